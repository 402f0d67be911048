// tests/js/web_browser.mjs — the browser verifier in a real browser: Debian's
// chromium driven by puppeteer-core (pinned in package-lock.json; no browser
// is downloaded). Run by tests/cli/web_browser.sh, which serves web/ on a free
// loopback port:
//   node tests/js/web_browser.mjs BASE_URL [SCREENSHOT_DIR]
// Checks: every corpus case through verifyCredential() inside the page gives
// the expected status and checks; the UI path (choose files → Verify → status
// text) for VALID, INVALID, UNKNOWN and a wrong file, with screenshots of each
// state; a hash typed and submitted with the keyboard; the ledger endpoint
// presets and localStorage; nothing is loaded from anywhere but the page's
// own server. One line per check, then "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const base = process.argv[2];
const shots = process.argv[3] || '';
const casesDir = new URL('../conformance/cases', import.meta.url).pathname;
let passed = 0, failed = 0;
const ok = (m) => { passed++; console.log(`ok   ${m}`); };
const bad = (m) => { failed++; console.log(`FAIL ${m}`); };
const check = (cond, m, why = '') => (cond ? ok(m) : bad(why ? `${m}: ${why}` : m));

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 900 });
  const foreign = [];
  // Same origin, not same folder: under `notary serve` the page is at
  // /verify/ and the browser still asks the origin for /favicon.ico.
  const origin = new URL(base).origin;
  page.on('request', (r) => { if (!r.url().startsWith(origin + '/') && !r.url().startsWith('data:')) foreign.push(r.url()); });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // A Content-Security-Policy (the page's meta tag, and the header of
  // `notary serve`) that blocks something the page needs shows up here.
  const cspViolations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
  await page.goto(base + '/', { waitUntil: 'networkidle0' });
  await page.waitForSelector('html[data-ready=true]', { timeout: 10000 });
  ok('the page loads and its script runs');

  // ---- the whole corpus through the entry point, in the browser ----
  const names = fs.readdirSync(casesDir).sort();
  let same = 0;
  for (const name of names) {
    const d = path.join(casesDir, name);
    const want = JSON.parse(fs.readFileSync(path.join(d, 'expected.json'), 'utf8'));
    const hashFile = path.join(d, 'hash');
    const bf = path.join(d, 'bundle.json'); // absent: the credential carries its bundle
    const input = fs.existsSync(bf) ? { bundle: fs.readFileSync(bf).toString('base64') } : {};
    if (fs.existsSync(hashFile)) input.hash = fs.readFileSync(hashFile, 'utf8').trim();
    else input.credential = fs.readFileSync(path.join(d, 'credential')).toString('base64');
    const got = await page.evaluate(async (inp) => {
      const { verifyCredential } = await import('./verify.js');
      const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      const arg = inp.bundle !== undefined ? { bundle: b64(inp.bundle) } : {};
      if (inp.hash !== undefined) arg.hash = inp.hash;
      else arg.credential = b64(inp.credential);
      const r = await verifyCredential(arg);
      return { status: r.status, checks: r.checks.map(({ name, outcome }) => ({ name, outcome })) };
    }, input);
    const g = JSON.stringify(got), w = JSON.stringify({ status: want.status, checks: want.checks });
    if (g === w) same++;
    else bad(`corpus case ${name} in the browser: ${g} != ${w}`);
  }
  check(same === names.length && names.length >= 100, `all ${names.length} corpus cases give the CLI's verdict in chromium`);

  // ---- the UI path ----
  async function verifyUi(caseName, { bundleFrom, label }) {
    await page.goto(base + '/', { waitUntil: 'networkidle0' });
    await page.waitForSelector('html[data-ready=true]');
    const d = path.join(casesDir, caseName);
    const cred = await page.$('#credential');
    await cred.uploadFile(path.join(d, 'credential'));
    const bun = await page.$('#bundle');
    await bun.uploadFile(bundleFrom || path.join(d, 'bundle.json'));
    await page.waitForFunction(() => document.getElementById('bundle-name').textContent.includes('chosen'));
    await page.click('#verify');
    await page.waitForFunction(() => !document.getElementById('result').hidden);
    const ui = await page.evaluate(() => ({
      status: document.getElementById('status').textContent,
      words: document.getElementById('status-words').textContent,
      next: document.getElementById('next').hidden ? '' : document.getElementById('next').textContent,
      error: document.getElementById('error').hidden ? '' : document.getElementById('error').textContent,
      facts: document.getElementById('facts').textContent,
      rows: [...document.querySelectorAll('#checks tbody tr')].map((tr) => [tr.dataset.check, tr.dataset.outcome]),
    }));
    if (shots) await page.screenshot({ path: path.join(shots, `web-${label}.png`), fullPage: true });
    return ui;
  }
  const rowsOf = (name) => JSON.parse(fs.readFileSync(path.join(casesDir, name, 'expected.json'), 'utf8')).checks.map((c) => [c.name, c.outcome]);

  let ui = await verifyUi('valid-notary-demo', { label: 'valid' });
  check(ui.status === 'VALID', 'UI: a credential and bundle of `make demo` read VALID', ui.status);
  check(JSON.stringify(ui.rows) === JSON.stringify(rowsOf('valid-notary-demo')), 'UI: every named check is listed with its outcome', JSON.stringify(ui.rows));
  check(/Issuer \(claimed\)0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1/.test(ui.facts) && /\(UTC\)/.test(ui.facts) && /\(local\)/.test(ui.facts),
    'UI: issuer, batch and block time (local and UTC) are shown', ui.facts);

  ui = await verifyUi('invalid-notary-demo-tampered', { label: 'invalid' });
  check(ui.status === 'INVALID', 'UI: a tampered credential reads INVALID', ui.status);
  check(JSON.stringify(ui.rows) === JSON.stringify(rowsOf('invalid-notary-demo-tampered')), 'UI: the failed check is listed as fail');

  ui = await verifyUi('unknown-pending', { label: 'unknown' });
  check(ui.status === 'UNKNOWN' && /What to do next/.test(ui.next), 'UI: a pending bundle reads UNKNOWN with what to do next', `${ui.status} / ${ui.next}`);

  ui = await verifyUi('valid-vc', { label: 'wrong-file', bundleFrom: path.join(casesDir, 'valid-vc', 'credential') });
  check(/ERROR/.test(ui.status) && /bundle: .*type (is missing|must be a string)/.test(ui.error) && /chose the proof bundle/.test(ui.error),
    'UI: a credential given as the bundle gets a clear error naming the wrong file', `${ui.status} / ${ui.error}`);

  // ---- drop both files at once (in either order): the page tells them apart and verifies ----
  await page.goto(base + '/', { waitUntil: 'networkidle0' });
  await page.waitForSelector('html[data-ready=true]');
  const dd = path.join(casesDir, 'valid-notary-demo');
  await page.evaluate(async (bundleB64, credB64) => {
    const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([b64(bundleB64)], 'diploma.proof.json', { type: 'application/json' }));
    dt.items.add(new File([b64(credB64)], 'diploma.json', { type: 'application/json' }));
    document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, fs.readFileSync(path.join(dd, 'bundle.json')).toString('base64'), fs.readFileSync(path.join(dd, 'credential')).toString('base64'));
  await page.waitForFunction(() => !document.getElementById('result').hidden, { timeout: 10000 });
  const dropped = await page.evaluate(() => [document.getElementById('status').textContent,
    document.getElementById('bundle-name').textContent, document.getElementById('credential-name').textContent]);
  check(dropped[0] === 'VALID' && /diploma\.proof\.json/.test(dropped[1]) && /diploma\.json/.test(dropped[2]),
    'drop: both files dropped together are told apart and read VALID', dropped.join(' / '));

  // ---- a credential that carries its bundle, dropped alone ----
  async function dropFiles(files) {
    await page.evaluate(async (fs_) => {
      const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      for (const [name, data] of fs_) dt.items.add(new File([b64(data)], name, { type: 'application/json' }));
      document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, files.map(([n, f]) => [n, fs.readFileSync(f).toString('base64')]));
    await page.waitForFunction(() => !document.getElementById('result').hidden, { timeout: 10000 });
    return page.evaluate(() => ({ status: document.getElementById('status').textContent,
      error: document.getElementById('error').hidden ? '' : document.getElementById('error').textContent,
      rows: [...document.querySelectorAll('#checks tbody tr')].map((tr) => [tr.dataset.check, tr.dataset.outcome]) }));
  }
  const openPage = async (url) => {
    await page.goto('about:blank'); // a fresh document, not a same-document fragment change
    await page.goto(url, { waitUntil: 'networkidle0' });
    await page.waitForSelector('html[data-ready=true]');
  };
  await openPage(base + '/');
  let r = await dropFiles([['diploma.embedded.json', path.join(casesDir, 'valid-embedded-notary-demo', 'credential')]]);
  check(r.status === 'VALID' && JSON.stringify(r.rows) === JSON.stringify(rowsOf('valid-embedded-notary-demo')),
    'drop: the demo credential with its bundle embedded, dropped alone, reads VALID with the CLI\'s checks', JSON.stringify(r));
  await openPage(base + '/');
  r = await dropFiles([['diploma.embedded.json', path.join(casesDir, 'invalid-embedded-tampered', 'credential')]]);
  check(r.status === 'INVALID', 'drop: an edited embedded credential reads INVALID', r.status);
  await openPage(base + '/');
  r = await dropFiles([['diploma.embedded.json', path.join(casesDir, 'valid-embedded', 'credential')], ['x.proof.json', path.join(casesDir, 'valid-vc', 'bundle.json')]]);
  check(/ERROR/.test(r.status) && /carries its proof bundle/.test(r.error), 'drop: an embedded credential with a separate bundle is refused, as by the CLI', `${r.status} / ${r.error}`);

  // ---- a verifier link: the bundle in the fragment (notary proof --link) ----
  const link = process.env.WEB_LINK_FRAGMENT ||
    '#bundle=' + Buffer.from(JSON.stringify(JSON.parse(fs.readFileSync(path.join(casesDir, 'valid-notary-demo', 'bundle.json'))))).toString('base64url');
  const seen = [];
  const onReq = (q) => seen.push(q.url());
  page.on('request', onReq);
  await openPage(base + '/' + link);
  page.off('request', onReq);
  // (the server's own log is checked too, by web_browser.sh)
  check(seen.slice(1).every((u) => !u.includes('bundle=')), 'link: no request the page makes carries the bundle', seen.join(' '));
  const note = await page.$eval('#link-note', (e) => (e.hidden ? '' : e.textContent));
  const bname = await page.$eval('#bundle-name', (e) => e.textContent);
  check(/drop or choose the credential/.test(note) && /from the link/.test(bname), 'link: the page pre-fills the bundle and asks for the credential', `${note} / ${bname}`);
  r = await dropFiles([['diploma.json', path.join(casesDir, 'valid-notary-demo', 'credential')]]);
  check(r.status === 'VALID', `link: ${process.env.WEB_LINK_FRAGMENT ? 'a link made by notary proof --link' : 'a link'} plus the dropped credential reads VALID`, JSON.stringify(r));
  if (shots) await page.screenshot({ path: path.join(shots, 'web-link.png'), fullPage: true });
  await openPage(base + '/');
  r = await dropFiles([['diploma.json', path.join(casesDir, 'valid-notary-demo', 'credential')]]);
  check(/ERROR/.test(r.status) && /no embedded proof bundle/.test(r.error), 'drop: a plain credential alone asks for its bundle', `${r.status} / ${r.error}`);
  for (const [frag, why, re] of [
    [link + '=', 'padding', /not base64url/], [link.slice(0, -7), 'truncated', /link: bundle: /], ['#bundle=Zm9v!', 'bad character', /not base64url/],
    ['#proof=abc', 'another key', /bundle=<base64url>/], ['#bundle=' + Buffer.from('{"type":"x"}').toString('base64url'), 'not a bundle', /link: bundle: type is/]]) {
    await openPage(base + '/' + frag);
    const e = await page.evaluate(() => [document.getElementById('status').textContent, document.getElementById('error').textContent, document.getElementById('result').hidden]);
    check(!e[2] && /ERROR/.test(e[0]) && re.test(e[1]) && /link is damaged/.test(e[1]), `link: a malformed fragment (${why}) gives a clear error, no verdict`, e.join(' / '));
  }
  { // a bundle of a hash given directly: no verdict from the link alone (§8); the visitor types the hash
    const hb = JSON.stringify(JSON.parse(fs.readFileSync(path.join(casesDir, 'valid-given', 'bundle.json'))));
    await openPage(base + '/#bundle=' + Buffer.from(hb).toString('base64url'));
    const before = await page.evaluate(() => [document.getElementById('result').hidden, document.getElementById('hash').value,
      document.getElementById('link-note').textContent]);
    check(before[0] && before[1] === '' && /Type or paste the hash/.test(before[2]),
      'link: a hash-only ("given") bundle gives no verdict until the visitor types the hash', before.join(' / '));
    const given = JSON.parse(hb).credential.hash;
    await page.click('#hash');
    await page.keyboard.type(given);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => !document.getElementById('result').hidden, { timeout: 10000 });
    const st2 = await page.evaluate(() => document.getElementById('status').textContent + ' ' + document.getElementById('error').textContent);
    check(/^VALID/.test(st2), 'link: ... and with the typed hash it is VALID', st2);
  }

  // ---- keyboard: type a hash, press Enter ----
  await page.goto(base + '/', { waitUntil: 'networkidle0' });
  await page.waitForSelector('html[data-ready=true]');
  await (await page.$('#bundle')).uploadFile(path.join(casesDir, 'valid-hash', 'bundle.json'));
  await page.waitForFunction(() => document.getElementById('bundle-name').textContent.includes('chosen'));
  await page.focus('#hash');
  await page.keyboard.type(fs.readFileSync(path.join(casesDir, 'valid-hash', 'hash'), 'utf8').trim());
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.getElementById('result').hidden);
  const st = await page.$eval('#status', (e) => e.textContent);
  check(st === 'VALID', 'keyboard: a typed hash submitted with Enter reads VALID', st);

  // ---- ledger endpoint: presets from config.json, remembered ----
  const presets = await page.$$eval('#rpc-presets option', (os) => os.map((o) => o.value));
  const cfg = JSON.parse(fs.readFileSync(new URL('../../web/config.json', import.meta.url), 'utf8'));
  check(JSON.stringify(presets) === JSON.stringify(cfg.ledgers.map((l) => l.url)), 'the ledger presets come from config.json', JSON.stringify(presets));
  await page.focus('#rpc');
  await page.keyboard.type('http://127.0.0.1:9/rpc');
  await page.keyboard.press('Tab');
  await page.reload({ waitUntil: 'networkidle0' });
  await page.waitForSelector('html[data-ready=true]');
  const kept = await page.$eval('#rpc', (e) => e.value);
  check(kept === 'http://127.0.0.1:9/rpc', 'the ledger endpoint is remembered across a reload (localStorage)', kept);

  check(foreign.length === 0, 'the page loads nothing from any other origin', foreign.join(' '));
  check(pageErrors.length === 0, 'no script errors in the page', pageErrors.join(' | '));
  check(cspViolations.length === 0, 'the Content-Security-Policy blocks nothing the page needs', cspViolations.join(' | '));
} catch (e) {
  bad(`browser test stopped: ${e.stack}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
