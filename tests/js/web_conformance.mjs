// tests/js/web_conformance.mjs — every case of tests/conformance/cases through
// the C verifier (`verifier verify --offline --json`) and web/verify.js in
// Node; both must give the case's expected status and the same check names
// and outcomes in the same order. A case without bundle.json gives the
// credential alone (an embedded bundle, docs/proof-format.md §7). One line per case ("ok NAME" / "FAIL NAME:
// why"), then "N passed, N failed". Run by tests/cli/web_conformance.sh.
//   node tests/js/web_conformance.mjs VERIFIER_BINARY [CASES_DIR]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { verifyCredential } from '../../web/verify.js';

const V = process.argv[2];
const dir = process.argv[3] || new URL('../conformance/cases', import.meta.url).pathname;
const EXIT = { VALID: 0, INVALID: 1, ERROR: 2, UNKNOWN: 3, REVOKED: 4 };
const shape = (r) => JSON.stringify({ status: r.status, checks: r.checks.map(({ name, outcome }) => ({ name, outcome })) });

let passed = 0, failed = 0;
const names = fs.readdirSync(dir).sort();
if (names.length === 0) {
  console.log('FAIL no cases in ' + dir);
  failed++;
}
for (const name of names) {
  const d = path.join(dir, name);
  const want = JSON.parse(fs.readFileSync(path.join(d, 'expected.json'), 'utf8'));
  const hashFile = path.join(d, 'hash');
  const hash = fs.existsSync(hashFile) ? fs.readFileSync(hashFile, 'utf8').trim() : undefined;
  const bundleFile = path.join(d, 'bundle.json');
  const hasBundle = fs.existsSync(bundleFile); // absent: the credential carries its bundle (§7)
  const args = ['verify', '--offline', '--json', ...(hasBundle ? ['--proof', bundleFile] : [])];
  args.push(...(hash !== undefined ? ['--hash', hash] : [path.join(d, 'credential')]));
  const r = spawnSync(V, args, { encoding: 'utf8' });
  const problems = [];
  let c;
  try {
    // A usage error (exit 2, e.g. an embedded bundle and --proof) prints no JSON: ERROR, no checks.
    c = r.status === 2 && r.stdout.trim() === '' && r.stderr.trim() !== ''
      ? { status: 'ERROR', checks: [], usage: true } : JSON.parse(r.stdout);
  } catch {
    problems.push(`the CLI printed no JSON (exit ${r.status}): ${r.stderr.trim()}`);
  }
  if (c && shape(c) !== shape(want)) problems.push(`CLI ${shape(c)} != expected ${shape(want)}`);
  if (c && r.status !== EXIT[c.status]) problems.push(`CLI exit ${r.status} for ${c.status}`);
  let j;
  try {
    const input = hasBundle ? { bundle: fs.readFileSync(bundleFile) } : {};
    if (hash !== undefined) input.hash = hash;
    else input.credential = fs.readFileSync(path.join(d, 'credential'));
    j = await verifyCredential(input);
  } catch (e) {
    problems.push(`verify.js threw: ${e.stack}`);
  }
  if (j && shape(j) !== shape(want)) problems.push(`verify.js ${shape(j)} != expected ${shape(want)}${j.error ? ' (' + j.error + ')' : ''}`);
  if (j && c && !c.usage && j.credentialHash !== c.credentialHash) problems.push(`credentialHash: verify.js ${j.credentialHash}, CLI ${c.credentialHash}`);
  if (j && (j.status === 'ERROR') !== (j.error !== null)) problems.push('verify.js: error text and status ERROR disagree');
  if (problems.length) {
    failed++;
    console.log(`FAIL ${name}: ${problems.join('; ')}`);
  } else {
    passed++;
    console.log(`ok   ${name} (${want.status})`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
