// tests/js/web_online.mjs — the online cases made by tests/cli/web_online.sh
// (CASES/NAME/{credential, bundle.json, case.json}) through
// `verifier verify --rpc URL --issuer ADDR --json` and verifyCredential() in
// Node: both must give case.json's "expect" status and the same check names
// and outcomes in the same order. One line per case, then "N passed, N failed".
//   node tests/js/web_online.mjs VERIFIER CASES LEDGER_URL
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { verifyCredential } from '../../web/verify.js';

const [V, dir, ledger] = process.argv.slice(2);
const EXIT = { VALID: 0, INVALID: 1, ERROR: 2, UNKNOWN: 3, REVOKED: 4 };
const shape = (r) => JSON.stringify({ status: r.status, checks: r.checks.map(({ name, outcome }) => [name, outcome]) });
let passed = 0, failed = 0;
const names = fs.readdirSync(dir).filter((n) => fs.existsSync(path.join(dir, n, 'case.json'))).sort();
for (const name of names) {
  const d = path.join(dir, name);
  const c = JSON.parse(fs.readFileSync(path.join(d, 'case.json'), 'utf8'));
  const rpc = c.rpc || ledger;
  // issuer "" = none given (the credential's own did:web issuer, or UNKNOWN); the DID host's test CA: $WEB_DID_CA
  const args = ['verify', path.join(d, 'credential'), '--proof', path.join(d, 'bundle.json'), '--rpc', rpc, '--json', '--timeout', '20'];
  if (c.issuer) args.push('--issuer', c.issuer);
  if (process.env.WEB_DID_CA) args.push('--ca-file', process.env.WEB_DID_CA);
  if (c.confirmations) args.push('--confirmations', String(c.confirmations));
  if (c.contracts) args.push('--contract', c.contracts); // a pinned contract (registry or Timestamp)
  if (c.revocations) args.push('--revocations', path.join(dir, c.revocations));
  const r = spawnSync(V, args, { encoding: 'utf8' });
  const problems = [];
  let cli = null;
  try { cli = JSON.parse(r.stdout); } catch { problems.push(`the CLI printed no JSON (exit ${r.status}): ${r.stderr.trim()}`); }
  const t0 = Date.now();
  const js = await verifyCredential({
    credential: fs.readFileSync(path.join(d, 'credential')), bundle: fs.readFileSync(path.join(d, 'bundle.json')),
    rpc, issuer: c.issuer || undefined, confirmations: c.confirmations || 1, timeoutSeconds: 20, contracts: c.contracts ? [c.contracts] : [],
    revocations: c.revocations ? fs.readFileSync(path.join(dir, c.revocations)) : undefined,
  });
  const ms = Date.now() - t0;
  if (cli && cli.status !== c.expect) problems.push(`CLI says ${cli.status}, expected ${c.expect}`);
  if (cli && r.status !== EXIT[cli.status]) problems.push(`CLI exit ${r.status} for ${cli.status}`);
  if (js.status !== c.expect) problems.push(`verify.js says ${js.status}, expected ${c.expect}${js.error ? ' (' + js.error + ')' : ''}`);
  if (cli && shape(cli) !== shape(js)) problems.push(`CLI ${shape(cli)} != verify.js ${shape(js)}`);
  if (cli && js.credentialHash !== cli.credentialHash) problems.push('credential hashes differ');
  if (cli && js.issuerName && js.issuerName !== cli.issuerName) problems.push(`issuerName: CLI ${cli.issuerName}, verify.js ${js.issuerName}`);
  if (problems.length) {
    failed++;
    console.log(`FAIL online ${name}: ${problems.join('; ')}`);
    for (const ch of js.checks) console.log(`       js  ${ch.name} ${ch.outcome}: ${ch.detail}`);
    for (const ch of (cli ? cli.checks : [])) console.log(`       cli ${ch.name} ${ch.outcome}: ${ch.detail}`);
  } else {
    passed++;
    console.log(`ok   online ${name}: ${c.expect}, ${js.checks.length} checks alike (verify.js ${ms} ms)`);
  }
}
// The issuer rule (docs/web-verifier.md): no issuer given → "issuer" unknown, status UNKNOWN, never VALID.
for (const name of names.filter((n) => n === 'valid' || n === 'valid-never-checkpointed')) {
  const d = path.join(dir, name);
  const c = JSON.parse(fs.readFileSync(path.join(d, 'case.json'), 'utf8'));
  const js = await verifyCredential({
    credential: fs.readFileSync(path.join(d, 'credential')), bundle: fs.readFileSync(path.join(d, 'bundle.json')), rpc: ledger,
    revocations: c.revocations ? fs.readFileSync(path.join(dir, c.revocations)) : undefined,
  });
  const iss = js.checks.find((x) => x.name === 'issuer');
  if (js.status === 'UNKNOWN' && iss && iss.outcome === 'unknown') { passed++; console.log(`ok   online ${name} without an issuer: UNKNOWN (issuer unknown), not VALID`); }
  else { failed++; console.log(`FAIL online ${name} without an issuer: ${js.status}, issuer ${iss && iss.outcome}`); }
}
if (names.length < 5) { failed++; console.log(`FAIL only ${names.length} online cases`); }
console.log(`${passed} passed, ${failed} failed`);
