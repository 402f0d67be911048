// tests/js/web_batch.mjs — verifyCredentials() (web/batch.js) over the online
// cases of tests/cli/web_online.sh (CASES/NAME/{credential, bundle.json,
// case.json}), against its ganache: the cases that share the run's
// parameters (endpoint, issuer, log copy, confirmations) go through one run —
// mixed valid and tampered bundles of two anchors, in order and reversed, one
// at a time and eight at once — and every result must equal what
// verifyCredential() gives for that case alone (status, credential hash, each
// check's name and outcome), with answers shared across the run (memo hits).
// One line per run, then "N passed, N failed".
//   node tests/js/web_batch.mjs CASES LEDGER_URL
import fs from 'node:fs';
import path from 'node:path';
import { verifyCredential } from '../../web/verify.js';
import { verifyCredentials, countStatuses } from '../../web/batch.js';

const [dir, ledger] = process.argv.slice(2);
let passed = 0, failed = 0;
const ok = (m) => { passed++; console.log(`ok   ${m}`); };
const bad = (m) => { failed++; console.log(`FAIL ${m}`); };
const shape = (r) => JSON.stringify({ status: r.status, hash: r.credentialHash, checks: r.checks.map(({ name, outcome }) => [name, outcome]) });

const groups = new Map();
for (const name of fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, 'case.json'))).sort()) {
  const d = path.join(dir, name);
  const c = JSON.parse(fs.readFileSync(path.join(d, 'case.json'), 'utf8'));
  const run = { rpc: c.rpc || ledger, issuer: c.issuer || undefined, confirmations: c.confirmations || 1, timeoutSeconds: 20, contracts: c.contracts ? [c.contracts] : [],
    revocations: c.revocations ? fs.readFileSync(path.join(dir, c.revocations)) : undefined };
  const key = JSON.stringify([run.rpc, run.issuer, run.confirmations, c.revocations || '', c.contracts || '']);
  if (!groups.has(key)) groups.set(key, { run, items: [] });
  groups.get(key).items.push({ name, credential: fs.readFileSync(path.join(d, 'credential')), bundle: fs.readFileSync(path.join(d, 'bundle.json')) });
}
let shared = 0;
for (const { run, items } of groups.values()) {
  if (items.length < 2) continue;
  const alone = [];
  for (const it of items) alone.push(await verifyCredential({ credential: it.credential, bundle: it.bundle, ...run }));
  for (const [order, conc] of [['in order', 1], ['in order', 8], ['reversed', 8]]) {
    const list = order === 'reversed' ? [...items].reverse() : items;
    const want = order === 'reversed' ? [...alone].reverse() : alone;
    const seen = [];
    const res = await verifyCredentials(list, { ...run, concurrency: conc, onResult: (i) => seen.push(i) });
    const diff = res.map((r, i) => (shape(r) === shape(want[i]) && r.name === list[i].name && r.index === i ? null : `${list[i].name}: batch ${shape(r)} != alone ${shape(want[i])}`)).filter(Boolean);
    const what = `${items.length} cases (issuer ${run.issuer || 'none'}, ${run.revocations ? 'log copy' : 'no copy'}) ${order}, concurrency ${conc}`;
    if (diff.length) bad(`${what}: ${diff.join('; ')}`);
    else if (seen.length !== list.length) bad(`${what}: onResult called ${seen.length} times`);
    else ok(`${what}: every result as verifyCredential's alone ${JSON.stringify(countStatuses(res))}; memo ${res.memo.hits} hits, ${res.memo.misses} asked`);
    shared += res.memo.hits;
  }
}
if (shared > 0) ok(`ledger answers shared across bundles of one anchor (${shared} memo hits)`); else bad('no answer was shared in any run');
const e = await verifyCredentials([{ bundle: new Uint8Array(1) }], { rpc: ledger });
if (e[0].status === 'ERROR' && /credential or a hash/.test(e[0].error)) ok('an item with neither credential nor hash is ERROR, the run goes on');
else bad(`an item with neither credential nor hash: ${JSON.stringify(e[0])}`);
console.log(`${passed} passed, ${failed} failed`);
