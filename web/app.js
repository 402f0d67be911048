// web/app.js — the page around web/verify.js: picking or dropping the two
// files, the ledger endpoint field (presets from config.json, remembered in
// localStorage), and the result in words. All verdicts come from
// verifyCredential(); this file only reads files and shows what it returns.
import { verifyCredential, STATUS_WORDS, bundleFromFragment, InputError } from './verify.js';
import { verifyCredentials, countStatuses, pairFiles } from './batch.js';

const $ = (id) => document.getElementById(id);
const RPC_KEY = 'credential-notary.rpc';
const ISSUER_KEY = 'credential-notary.issuer';
const REVOCATIONS_KEY = 'credential-notary.revocations';
const MARK = { VALID: '✓', INVALID: '✗', REVOKED: '✗', UNKNOWN: '?', ERROR: '!' };
const OUTCOME_WORDS = { pass: 'pass', fail: 'FAIL', unknown: 'unknown', skipped: 'skipped (not checked)', revoked: 'REVOKED' };

// The files chosen so far (from the inputs or a drop): {name, bytes}.
const picked = { credential: null, bundle: null, revocations: null };

async function readFile(f) {
  return { name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) };
}

function showPicked() {
  $('credential-name').textContent = picked.credential ? `chosen: ${picked.credential.name}` : '';
  $('bundle-name').textContent = picked.bundle ? `chosen: ${picked.bundle.name}` : '';
  $('revocations-name').textContent = picked.revocations ? `chosen: ${picked.revocations.name} (used instead of the URL)` : '';
}

// A dropped file is the bundle if its top-level "type" is
// "CredentialNotaryProof"; everything else (a credential that carries its
// bundle inside `proof` too) is the credential.
function topType(bytes) {
  if (bytes.length > 64 * 1024 * 1024) return '';
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    return !!v && !Array.isArray(v) && typeof v.type === 'string' ? v.type : '';
  } catch {
    const m = /^\s*\{\s*"type"\s*:\s*"([A-Za-z]+)"/.exec(new TextDecoder().decode(bytes.subarray(0, 4096)));
    return m ? m[1] : '';
  }
}
const looksLikeBundle = (bytes) => bytes.length <= 1024 * 1024 && topType(bytes) === 'CredentialNotaryProof';
const looksLikeRevlog = (bytes) => topType(bytes) === 'CredentialNotaryRevocationLog';

// Verify after a drop? Whenever there is a credential (alone it must carry its
// bundle, notary proof --embed; if not, the result asks for the bundle), or a
// bundle and a typed hash. A bundle alone waits for the credential.
function ready() {
  return !!picked.credential || !!(picked.bundle && $('hash').value.trim());
}

// ---- many at once: a folder or many files → one run (web/batch.js), a table with counts per status ----
const MAX_FILES = 10000;

// The files of a drop, folders walked (webkitGetAsEntry), at most MAX_FILES.
async function droppedFiles(dt) {
  const out = [];
  const entries = [...(dt.items || [])].map((i) => (i.webkitGetAsEntry ? i.webkitGetAsEntry() : null));
  if (!entries.length || entries.some((e) => !e)) return [...dt.files];
  const walk = async (e) => {
    if (out.length >= MAX_FILES) return;
    if (e.isFile) out.push(await new Promise((res, rej) => e.file(res, rej)));
    else if (e.isDirectory) {
      const r = e.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => r.readEntries(res, rej));
        if (!batch.length) break;
        for (const x of batch) await walk(x);
      }
    }
  };
  for (const e of entries) await walk(e);
  return out;
}

async function runMany(read) {
  const logs = read.filter((r) => looksLikeRevlog(r.bytes));
  if (logs.length) picked.revocations = logs[0];
  showPicked();
  const { items, unmatched } = await pairFiles(read.filter((r) => !looksLikeRevlog(r.bytes)), looksLikeBundle);
  const run = {};
  const rpc = $('rpc').value.trim();
  if (rpc) {
    run.rpc = rpc;
    const iss = $('issuer').value.trim();
    if (iss) run.issuer = iss;
    const rev = picked.revocations ? picked.revocations.bytes : $('revocations').value.trim();
    if (rev && rev.length) run.revocations = rev;
  }
  $('result').hidden = true;
  const sec = $('batch');
  sec.hidden = false;
  const tbody = sec.querySelector('tbody');
  tbody.textContent = '';
  $('batch-summary').textContent = `Verifying ${items.length} credential${items.length === 1 ? '' : 's'}…`;
  let results;
  try {
    results = await verifyCredentials(items, { ...run, concurrency: 8 });
  } catch (e) {
    $('batch-summary').textContent = `The page could not verify: ${e.message}`;
    return;
  }
  const row = (name, status, detail) => {
    const tr = document.createElement('tr');
    tr.dataset.status = status;
    for (const [k, v] of [['name', name], ['status', status], ['detail', detail]]) {
      const td = document.createElement('td');
      td.className = k;
      td.textContent = v;
      tr.append(td);
    }
    tbody.append(tr);
  };
  for (const r of results) {
    const bad = r.checks.find((c) => c.outcome === 'fail') || r.checks.find((c) => c.outcome === 'unknown') || r.checks.find((c) => c.outcome === 'revoked');
    const name = items[r.index].bundleName ? `${r.name} + ${items[r.index].bundleName}` : r.name;
    row(name, r.status, r.error || (bad ? `${bad.name}: ${bad.detail}` : `${r.checks.length} checks passed${r.online ? '' : ' (offline: the ledger was NOT checked)'}`));
  }
  for (const u of unmatched) row(u.name, 'NOT VERIFIED', u.why);
  const c = countStatuses(results);
  $('batch-summary').textContent = `${results.length} verified${rpc ? '' : ' offline (the ledger was NOT checked)'}: ` +
    ['VALID', 'INVALID', 'REVOKED', 'UNKNOWN', 'ERROR'].map((k) => `${c[k]} ${k}`).join(', ') +
    (unmatched.length ? `; ${unmatched.length} file${unmatched.length === 1 ? '' : 's'} not verified (no pair)` : '');
}

async function onDrop(ev) {
  ev.preventDefault();
  $('drop').classList.remove('over');
  const folder = !!ev.dataTransfer && [...(ev.dataTransfer.items || [])].some((i) => i.webkitGetAsEntry && i.webkitGetAsEntry()?.isDirectory);
  const files = ev.dataTransfer ? await droppedFiles(ev.dataTransfer) : [];
  const read = [];
  for (const f of files.slice(0, MAX_FILES)) read.push(await readFile(f));
  // A folder, or more than one credential or bundle: many at once.
  const nb = read.filter((r) => looksLikeBundle(r.bytes)).length, nc = read.filter((r) => !looksLikeBundle(r.bytes) && !looksLikeRevlog(r.bytes)).length;
  if (folder || nb > 1 || nc > 1) return runMany(read);
  $('batch').hidden = true;
  for (const r of read) {
    if (looksLikeRevlog(r.bytes)) picked.revocations = r;
    else if (looksLikeBundle(r.bytes)) picked.bundle = r;
    else picked.credential = r;
  }
  showPicked();
  if (ready()) run();
}

function fact(dl, term, value) {
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  dl.append(dt, dd);
}

function when(seconds) {
  const d = new Date(Number(seconds) * 1000);
  return `${d.toLocaleString()} (local) — ${d.toISOString().replace('.000Z', 'Z')} (UTC)`;
}

function nextSteps(r) {
  if (r.status !== 'UNKNOWN') return '';
  if (r.bundle && !r.bundle.anchored)
    return 'The issuer has closed the batch but not yet written its root to the ledger. Ask the holder (or the issuer) ' +
      'for the proof bundle again in a little while, once the batch is anchored, and verify again. ' +
      'Until then, do not treat the credential as verified.';
  const steps = [];
  const o = (n) => (r.checks.find((c) => c.name === n) || {}).outcome;
  if (o('ledger') === 'unknown')
    steps.push('The ledger endpoint could not be consulted: check the URL, that the node is up and that it allows requests from this page (CORS), or choose another endpoint, then verify again.');
  const iss = r.checks.find((c) => c.name === 'issuer');
  if (iss && iss.outcome === 'unknown' && /could not be resolved/.test(iss.detail))
    steps.push('The issuer\'s DID document could not be read: its host may be down, or may not allow this page to read it (a did:web host must send the header Access-Control-Allow-Origin). Try again later, or enter the issuer\'s address instead, or verify with the command-line verifier.');
  else if (iss && iss.outcome === 'unknown')
    steps.push('Enter the issuer\'s address or did:web DID (from the issuer\'s own website, a trust list or a register you trust) in the Issuer field, then verify again.');
  if (o('ledger.confirmations') === 'unknown' || o('ledger.transaction') === 'unknown')
    steps.push('The anchor is too recent or not yet mined: wait a few minutes and verify again.');
  if (o('ledger.block') === 'unknown')
    steps.push('The bundle\'s block was reorganised away: ask the holder or the issuer for a fresh proof bundle.');
  if (o('revocation') === 'unknown')
    steps.push('The revocation status is open: give a copy of the issuer\'s revocation log (its URL, or the file), or ask the issuer for it, then verify again. If the copy was refused, get it from the issuer\'s own site.');
  if (!steps.length) steps.push('Nothing failed, but something could not be decided. Try again later, or verify with the command-line verifier against a ledger node you trust.');
  return steps.join(' ') + ' Until then, do not treat the credential as verified.';
}

function wrongFileHint(msg) {
  if (/^credential: (the|this) credential carries/.test(msg) || /^link:/.test(msg)) return '';
  if (/^bundle:/.test(msg))
    return 'The proof bundle could not be read. Check that you chose the proof bundle (a JSON file with ' +
      '"type": "CredentialNotaryProof", usually NAME.proof.json) and not the credential, and that it is complete.';
  if (/^credential|^--hash/.test(msg))
    return 'The credential could not be read. A JSON credential must be strict JSON (no duplicate keys, no ' +
      'comments, numbers a double can hold exactly); any other file is checked byte for byte.';
  return '';
}

function show(r) {
  const sec = $('result');
  sec.hidden = false;
  $('batch').hidden = true;
  sec.className = r.status;
  $('status').textContent = r.status === 'ERROR' ? 'ERROR — could not verify' : r.status;
  $('status-mark').textContent = MARK[r.status] || '';
  const words = r.online && r.status === 'VALID'
    ? 'the credential is in a batch the issuer anchored on the ledger, confirmed by your endpoint, and not revoked'
    : STATUS_WORDS[r.status];
  $('status-words').textContent = words ? `${r.status}: ${words}.` : '';
  $('notice').textContent = r.status === 'ERROR' ? '' : r.online
    ? `Checked against the ledger at ${r.rpcOrigin} (your choice of endpoint).`
    : 'The ledger was NOT checked (offline: no ledger endpoint given): the batch root is only as trustworthy as the ' +
      'bundle itself, and the anchor details below are the bundle\'s claims. Give a ledger endpoint to confirm that the issuer anchored this root.';
  const next = nextSteps(r);
  $('next').hidden = !next;
  $('next').textContent = next ? `What to do next: ${next}` : '';
  $('error').hidden = !r.error;
  $('error').textContent = r.error ? `${r.error}\n\n${wrongFileHint(r.error)}` : '';

  const dl = $('facts');
  dl.replaceChildren();
  const b = r.bundle;
  if (r.credentialHash) fact(dl, 'Credential hash', `${r.credentialHash} (${r.hashing})`);
  if (b) {
    fact(dl, 'Batch', `issuance batch number ${b.batch.seq} (${b.batch.size} credential${b.batch.size === 1n ? '' : 's'}), ` +
      `leaf ${b.inclusion.leafIndex}, closed ${when(b.batch.closedAt)}`);
    fact(dl, 'Batch root', b.batch.root);
    if (b.anchor) {
      const a = b.anchor;
      // "(claimed)" until the ledger checks of that fact passed.
      const ok = (...names) => r.online && names.every((n) => (r.checks.find((c) => c.name === n) || {}).outcome === 'pass');
      const tag = (good) => (good ? '' : ' (claimed)');
      fact(dl, 'Issuer' + tag(ok('issuer', 'ledger.event')), r.issuerName
        ? `${r.issuerName}${r.issuerDisplay ? ' — ' + r.issuerDisplay : ''} (${a.issuer}; ${r.issuerBasis})` : a.issuer);
      fact(dl, 'Ledger' + tag(ok('ledger.chainId', 'ledger.contract')), `${a.ledger}, chain id ${a.chainId}, contract ${a.contract}`);
      fact(dl, 'Block' + tag(ok('ledger.block')), `${a.blockNumber} ${a.blockHash}`);
      fact(dl, 'Block time' + tag(ok('ledger.block')), when(a.blockTime));
      fact(dl, 'Transaction' + tag(ok('ledger.transaction')), a.txHash);
    } else {
      fact(dl, 'Anchor', 'none yet: the bundle is pending');
    }
  }
  const body = $('checks').tBodies[0];
  body.replaceChildren();
  for (const c of r.checks) {
    const tr = document.createElement('tr');
    tr.dataset.check = c.name;
    tr.dataset.outcome = c.outcome;
    for (const [text, cls] of [[c.name, ''], [OUTCOME_WORDS[c.outcome] || c.outcome, `o-${c.outcome}`], [c.detail, '']]) {
      const td = document.createElement('td');
      td.textContent = text;
      if (cls) td.className = cls;
      tr.append(td);
    }
    body.append(tr);
  }
  $('checks').hidden = r.checks.length === 0;
}

async function run() {
  const hash = $('hash').value.trim();
  const errorOnly = (msg) => show({ status: 'ERROR', checks: [], error: msg, bundle: null });
  if (!picked.credential && !hash) return errorOnly('Choose the credential file, or type its hash.');
  if (picked.credential && hash) return errorOnly('Give either the credential file or its hash, not both: clear the hash field.');
  if (!picked.bundle && hash) return errorOnly('Choose the proof bundle (the JSON file that came with the credential).');
  $('verify').disabled = true;
  try {
    // No bundle chosen: the credential must carry it (verifyCredential says so if not).
    const input = picked.bundle ? { bundle: picked.bundle.bytes } : {};
    if (hash) input.hash = hash;
    else input.credential = picked.credential.bytes;
    const rpc = $('rpc').value.trim();
    if (rpc) {
      input.rpc = rpc;
      const iss = $('issuer').value.trim();
      if (iss) input.issuer = iss;
      const rev = picked.revocations ? picked.revocations.bytes : $('revocations').value.trim();
      if (rev && rev.length) input.revocations = rev;
    }
    $('status').textContent = rpc ? 'Checking the ledger…' : '…';
    const r = await verifyCredential(input);
    try { r.rpcOrigin = rpc ? new URL(rpc).origin : ''; } catch { r.rpcOrigin = rpc; }
    show(r);
  } catch (e) {
    errorOnly(`The page could not verify: ${e.message}`);
  } finally {
    $('verify').disabled = false;
  }
}

function remember(id, key) {
  const el = $(id);
  el.value = localStorage.getItem(key) || '';
  el.addEventListener('change', () => localStorage.setItem(key, el.value.trim()));
}

function preset(list, value, label) {
  const o = document.createElement('option');
  o.value = value;
  o.label = label;
  $(list).append(o);
}

async function loadPresets() {
  remember('rpc', RPC_KEY);
  remember('issuer', ISSUER_KEY);
  remember('revocations', REVOCATIONS_KEY);
  try {
    const cfg = await (await fetch('config.json')).json();
    for (const l of cfg.ledgers || []) preset('rpc-presets', l.url, l.name);
    for (const i of cfg.issuers || []) {
      preset('issuer-presets', i.issuer, i.name);
      // Choosing a preset issuer fills its revocation log URL when the field is empty.
      if (i.revocations)
        $('issuer').addEventListener('change', () => {
          if ($('issuer').value.trim() === i.issuer && !$('revocations').value.trim()) {
            $('revocations').value = i.revocations;
            localStorage.setItem(REVOCATIONS_KEY, i.revocations);
          }
        });
    }
  } catch {
    /* no presets: the field still takes any URL */
  }
}

// A verifier link (notary proof --link) carries the bundle in the fragment,
// which the browser never sends to any server; it is read here only, parsed
// by every bundle rule, and pre-fills the bundle. The visitor then drops the
// credential, or for a bundle of a hash given directly ("given") types the
// hash: a link alone never gives a verdict (docs/proof-format.md §8).
function fromLink() {
  let got;
  try {
    got = bundleFromFragment(location.hash);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    picked.bundle = null;
    showPicked();
    show({ status: 'ERROR', checks: [], bundle: null,
      error: `${e.message}. The link is damaged or incomplete: open it again exactly as printed or sent, or ask the holder for the proof bundle file.` });
    return;
  }
  if (!got) return;
  picked.bundle = { name: 'the proof bundle from the link', bytes: got.bytes };
  showPicked();
  $('link-note').hidden = false;
  if (got.bundle.credential.hashing === 'given') {
    // The link carries the hash too: checking the bundle against its own hash
    // proves nothing about the document in front of the visitor (§8: without
    // a credential, never VALID). The visitor types or pastes it.
    $('link-note').textContent = 'The link carries the proof bundle of a credential hash given directly. Type or ' +
      'paste the hash of the document you were shown in the hash field, then Verify.';
    $('hash').focus();
  } else {
    $('link-note').textContent = 'The link carries the proof bundle (it stays in this browser). Now drop or choose the credential file.';
  }
}

for (const [id, which] of [['credential', 'credential'], ['bundle', 'bundle'], ['revocations-file', 'revocations']])
  $(id).addEventListener('change', async (ev) => {
    const f = ev.target.files[0];
    picked[which] = f ? await readFile(f) : null;
    showPicked();
  });
$('many').addEventListener('change', async (ev) => {
  const read = [];
  for (const f of [...ev.target.files].slice(0, MAX_FILES)) read.push(await readFile(f));
  if (read.length) runMany(read);
});
const drop = $('drop');
for (const t of ['dragenter', 'dragover']) drop.addEventListener(t, (ev) => { ev.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', onDrop);
$('form').addEventListener('submit', (ev) => { ev.preventDefault(); run(); });
loadPresets();
window.addEventListener('hashchange', fromLink);
fromLink();
document.documentElement.dataset.ready = 'true';
