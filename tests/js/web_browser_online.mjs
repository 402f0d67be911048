// tests/js/web_browser_online.mjs — the page's ledger checks in chromium
// (puppeteer-core, Debian's chromium), against the ganache of
// tests/cli/web_online.sh, which serves web/ on another loopback port (so
// every JSON-RPC call is cross-origin: CORS is exercised):
//   node tests/js/web_browser_online.mjs BASE_URL CASES LEDGER_URL [SCREENSHOT_DIR]
// Every online case through verifyCredential() inside the page gives the
// same status and checks as in Node (which tests/js/web_online.mjs holds to
// the CLI); the UI path (choose the files, type the endpoint and the issuer,
// Verify, read the status text) for VALID, INVALID, REVOKED and UNKNOWN, with
// screenshots; the endpoint and issuer remembered in localStorage; block time
// shown local and UTC; UNKNOWN says what to do next. "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { verifyCredential } from '../../web/verify.js';

const [base, dir, ledger, shots] = process.argv.slice(2);
let passed = 0, failed = 0;
const ok = (m) => { passed++; console.log(`ok   ${m}`); };
const bad = (m) => { failed++; console.log(`FAIL ${m}`); };
const check = (cond, m, why = '') => (cond ? ok(m) : bad(why ? `${m}: ${why}` : m));
const shape = (r) => JSON.stringify({ status: r.status, checks: r.checks.map(({ name, outcome }) => [name, outcome]) });

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  // The did:web test host's certificate is trusted by its SPKI hash for this run only (never a blanket ignore).
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage',
    ...(process.env.WEB_DID_SPKI ? [`--ignore-certificate-errors-spki-list=${process.env.WEB_DID_SPKI}`] : [])],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 1100 });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(base + '/', { waitUntil: 'networkidle0' });
  await page.waitForSelector('html[data-ready=true]', { timeout: 10000 });

  const names = fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, 'case.json'))).sort();
  let same = 0;
  for (const name of names) {
    const d = path.join(dir, name);
    const c = JSON.parse(fs.readFileSync(path.join(d, 'case.json'), 'utf8'));
    const arg = {
      credential: fs.readFileSync(path.join(d, 'credential')), bundle: fs.readFileSync(path.join(d, 'bundle.json')),
      rpc: c.rpc || ledger, issuer: c.issuer || undefined, confirmations: c.confirmations || 1, contracts: c.contracts ? [c.contracts] : [],
      revocations: c.revocations ? fs.readFileSync(path.join(dir, c.revocations)) : undefined,
    };
    const want = await verifyCredential(arg);
    const b64 = (x) => (x ? x.toString('base64') : undefined);
    const got = await page.evaluate(async (inp) => {
      const { verifyCredential: v } = await import('./verify.js');
      const u = (s) => (s === undefined ? undefined : Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0)));
      const r = await v({ ...inp, credential: u(inp.credential), bundle: u(inp.bundle), revocations: u(inp.revocations) });
      return { status: r.status, checks: r.checks.map(({ name, outcome }) => ({ name, outcome })) };
    }, { ...arg, credential: b64(arg.credential), bundle: b64(arg.bundle), revocations: b64(arg.revocations) });
    if (shape(got) === shape(want) && got.status === c.expect) same++;
    else bad(`online case ${name} in chromium: ${shape(got)} != ${shape(want)} (expected ${c.expect}; Node's: ` +
      `${want.checks.filter((x) => x.outcome !== 'pass').map((x) => `${x.name} ${x.outcome}: ${x.detail}`).join(' | ')})`);
  }
  check(same === names.length && names.length >= 5, `all ${names.length} online cases give the CLI's verdict in chromium (cross-origin JSON-RPC to ganache)`);

  if (process.env.WEB_CASES_ONLY) throw new Error('done'); // only the cases (tests/cli/web_ebsi.sh)

  // A did:web host that sends no Access-Control-Allow-Origin: the page cannot read its document → UNKNOWN, saying why.
  if (process.env.WEB_NOCORS_CASE) {
    const d = process.env.WEB_NOCORS_CASE;
    const b64 = (f) => fs.readFileSync(path.join(d, f)).toString('base64');
    const got = await page.evaluate(async (inp) => {
      const { verifyCredential: v } = await import('./verify.js');
      const u = (s) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0));
      const r = await v({ credential: u(inp.c), bundle: u(inp.b), revocations: u(inp.l), rpc: inp.rpc });
      return { status: r.status, issuer: r.checks.find((x) => x.name === 'issuer') };
    }, { c: b64('credential'), b: b64('bundle.json'), l: b64('log.json'), rpc: ledger });
    check(got.status === 'UNKNOWN' && got.issuer && got.issuer.outcome === 'unknown' && /Access-Control-Allow-Origin/.test(got.issuer.detail),
      'a did:web host without CORS headers: UNKNOWN in the page, the issuer check saying Access-Control-Allow-Origin', JSON.stringify(got));
  }

  // ---- the UI path ----
  async function ui(caseName, label, want, { issuer = true } = {}) {
    await page.goto(base + '/', { waitUntil: 'networkidle0' });
    await page.waitForSelector('html[data-ready=true]');
    const d = path.join(dir, caseName);
    const c = JSON.parse(fs.readFileSync(path.join(d, 'case.json'), 'utf8'));
    await page.$eval('#rpc', (el, v) => { el.value = v; el.dispatchEvent(new Event('change')); }, c.rpc || ledger);
    await page.$eval('#issuer', (el, v) => { el.value = v; el.dispatchEvent(new Event('change')); }, issuer ? c.issuer : '');
    await (await page.$('#credential')).uploadFile(path.join(d, 'credential'));
    await (await page.$('#bundle')).uploadFile(path.join(d, 'bundle.json'));
    if (c.revocations) await (await page.$('#revocations-file')).uploadFile(path.join(dir, c.revocations));
    await page.click('#verify');
    await page.waitForFunction(() => !document.querySelector('#result').hidden && !/…$/.test(document.querySelector('#status').textContent), { timeout: 30000 });
    const r = await page.evaluate(() => ({
      status: document.querySelector('#status').textContent,
      words: document.querySelector('#status-words').textContent,
      notice: document.querySelector('#notice').textContent,
      next: document.querySelector('#next').hidden ? '' : document.querySelector('#next').textContent,
      facts: document.querySelector('#facts').textContent,
      checks: [...document.querySelectorAll('#checks tbody tr')].map((tr) => `${tr.dataset.check}=${tr.dataset.outcome}`),
    }));
    check(r.status === want, `UI ${label}: the status reads ${want}`, `got "${r.status}" (${r.checks.join(' ')})`);
    check(r.checks.some((x) => x.startsWith('ledger.')) || label === 'unknown-ledger', `UI ${label}: the ledger checks are listed`, r.checks.join(' '));
    if (shots && ['valid', 'invalid', 'revoked', 'unknown'].includes(label))
      await page.screenshot({ path: path.join(shots, `web-online-${label}.png`), fullPage: true });
    return r;
  }
  const v = await ui('valid', 'valid', 'VALID');
  check(/Checked against the ledger at http:\/\/127\.0\.0\.1:\d+/.test(v.notice), 'UI valid: says which ledger endpoint was consulted', v.notice);
  check(/Block time.*\(local\).*\(UTC\)/.test(v.facts) && !/Block time \(claimed\)/.test(v.facts), 'UI valid: block time shown local and UTC, confirmed', v.facts);
  await ui('valid-tampered-root', 'invalid', 'INVALID');
  const rv = await ui('revoked', 'revoked', 'REVOKED');
  check(/revoked/i.test(rv.words), 'UI revoked: the words say revoked', rv.words);
  const u = await ui('no-log-copy', 'unknown', 'UNKNOWN');
  check(/What to do next: .*revocation log/.test(u.next), 'UI unknown (no log copy): says what to do next', u.next);
  const u2 = await ui('valid', 'no-issuer', 'UNKNOWN', { issuer: false });
  check(/Issuer field/.test(u2.next), 'UI without an issuer: UNKNOWN, and asks for the issuer', u2.next);
  const u3 = await ui('unreachable-with-log', 'unknown-ledger', 'UNKNOWN');
  check(/endpoint could not be consulted/.test(u3.next), 'UI unreachable ledger: says to check the endpoint', u3.next);

  // ---- the UI path for a did:web issuer typed in the Issuer field: VALID naming the DID and its name ----
  const dv = await ui('did-listed-with-log', 'did-web', 'VALID');
  check(/did:web:localhost%3A\d+ — University of Testing/.test(dv.facts), 'UI did:web: the issuer is shown by its DID and name', dv.facts);

  // ---- many at once (web/batch.js): several credentials and bundles → a table with counts per status ----
  {
    const many = fs.mkdtempSync(path.join(path.dirname(dir), 'many-'));
    const cp = (c, f, to) => fs.copyFileSync(path.join(dir, c, f), path.join(many, to));
    cp('valid', 'credential', 'c0.txt'); cp('valid', 'bundle.json', 'c0.proof.json');
    cp('revoked', 'credential', 'c1.txt'); cp('revoked', 'bundle.json', 'c1.proof.json');
    cp('pending-revocation', 'credential', 'c3.txt'); cp('pending-revocation', 'bundle.json', 'c3.proof.json');
    cp('valid-tampered-root', 'bundle.json', 'c0.tampered.proof.json'); // a second bundle for c0: reported, not verified
    // a forged pair: a new file and the valid bundle with its credential.hash: the inclusion proof fails
    fs.writeFileSync(path.join(many, 'forged.txt'), 'forged credential');
    const fb = JSON.parse(fs.readFileSync(path.join(dir, 'valid', 'bundle.json'), 'utf8'));
    fb.credential.hash = (await import('node:crypto')).createHash('sha256').update('forged credential').digest('hex');
    fs.writeFileSync(path.join(many, 'forged.proof.json'), JSON.stringify(fb));
    await page.goto(base + '/', { waitUntil: 'networkidle0' });
    await page.waitForSelector('html[data-ready=true]');
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'valid', 'case.json'), 'utf8'));
    await page.$eval('#rpc', (el, v) => { el.value = v; el.dispatchEvent(new Event('change')); }, ledger);
    await page.$eval('#issuer', (el, v) => { el.value = v; el.dispatchEvent(new Event('change')); }, c.issuer);
    await (await page.$('#revocations-file')).uploadFile(path.join(dir, c.revocations));
    await (await page.$('#many')).uploadFile(...fs.readdirSync(many).sort().map((f) => path.join(many, f)));
    await page.waitForFunction(() => !document.querySelector('#batch').hidden && / verified/.test(document.querySelector('#batch-summary').textContent), { timeout: 60000 });
    const t = await page.evaluate(() => ({
      summary: document.querySelector('#batch-summary').textContent,
      rows: [...document.querySelectorAll('#batch-results tbody tr')].map((tr) => `${tr.querySelector('.name').textContent}=${tr.dataset.status}`),
    }));
    check(/^4 verified: 1 VALID, 1 INVALID, 1 REVOKED, 1 UNKNOWN, 0 ERROR; 1 file not verified/.test(t.summary), 'UI many files: the counts per status', t.summary);
    const want = ['c0.txt + c0.proof.json=VALID', 'c1.txt + c1.proof.json=REVOKED', 'c3.txt + c3.proof.json=UNKNOWN', 'forged.txt + forged.proof.json=INVALID', 'c0.tampered.proof.json=NOT VERIFIED'];
    check(want.every((w) => t.rows.includes(w)) && t.rows.length === 5, 'UI many files: each credential paired with its bundle by hash, with its status', t.rows.join(' '));
    if (shots) await page.screenshot({ path: path.join(shots, 'web-online-many.png'), fullPage: true });
  }

  // ---- remembered in localStorage ----
  await page.$eval('#issuer', (el, v) => { el.value = v; el.dispatchEvent(new Event('change')); }, '0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1');
  await page.goto(base + '/', { waitUntil: 'networkidle0' });
  await page.waitForSelector('html[data-ready=true]');
  const kept = await page.evaluate(() => [document.querySelector('#rpc').value, document.querySelector('#issuer').value,
    [...document.querySelectorAll('#issuer-presets option')].length]);
  check(kept[0] !== '' && kept[1] === '0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1', 'the endpoint and the issuer are remembered after a reload', JSON.stringify(kept));
  check(kept[2] >= 1, 'the issuer field offers the presets of config.json', JSON.stringify(kept));
  check(pageErrors.length === 0, 'no script errors in the page', pageErrors.join('; '));
} catch (e) {
  if (!(process.env.WEB_CASES_ONLY && e.message === 'done')) bad(`the browser test stopped: ${e.stack}`);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
