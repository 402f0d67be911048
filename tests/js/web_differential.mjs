// tests/js/web_differential.mjs — beyond the corpus: seeded random inputs
// through the C verifier and web/verify.js, which must agree on each.
//   node tests/js/web_differential.mjs VERIFIER_BINARY [SEED]
// 1. byte mutations (insert / delete / replace with JSON-ish bytes) of a valid
//    bundle and of a valid JSON credential: same status and check outcomes;
// 2. number literals of every kind (random doubles in shortest and 1..21-digit
//    forms, long integers, long fractions, extreme exponents) in a JSON
//    credential: the same credential hash, or both refuse it (RFC 8785 would
//    round it). The seed is fixed so a failure reproduces; one line per
//    disagreement, then "N passed, N failed".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyCredential, credentialHash } from '../../web/verify.js';

const V = process.argv[2];
let seed = Number(process.argv[3] || 12345);
const rnd = (n) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
const caseDir = new URL('../conformance/cases/valid-vc/', import.meta.url).pathname;
const base = fs.readFileSync(path.join(caseDir, 'bundle.json'));
const cred = fs.readFileSync(path.join(caseDir, 'credential'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'web-diff-'));
const bf = path.join(tmp, 'bundle.json'), cf = path.join(tmp, 'credential');
let passed = 0, failed = 0;

function cli(c, b) {
  fs.writeFileSync(cf, c);
  fs.writeFileSync(bf, b);
  const r = spawnSync(V, ['verify', cf, '--proof', bf, '--offline', '--json'], { encoding: 'utf8' });
  return JSON.parse(r.stdout);
}
const shape = (x) => JSON.stringify([x.status, x.checks.map((k) => [k.name, k.outcome])]);

// 1. mutations
const alphabet = Buffer.from('{}[]",:0123456789-+.eE \\u\n\tabcdefx\x00\xff\xc3\xa9');
function mutate(b) {
  let out = Buffer.from(b);
  for (let k = 1 + rnd(3); k > 0; k--) {
    const p = rnd(out.length + 1), op = rnd(3), c = alphabet[rnd(alphabet.length)];
    if (op === 0) out = Buffer.concat([out.subarray(0, p), Buffer.from([c]), out.subarray(p)]);
    else if (op === 1) out = Buffer.concat([out.subarray(0, p), out.subarray(p + 1)]);
    else if (p < out.length) out[p] = c;
  }
  return out;
}
let agree = 0;
for (let i = 0; i < 300; i++) {
  const b = i % 2 ? mutate(base) : base, c = i % 2 ? cred : mutate(cred);
  const C = cli(c, b), J = await verifyCredential({ credential: c, bundle: b });
  if (shape(C) === shape(J)) agree++;
  else {
    failed++;
    console.log(`FAIL mutation ${i} (seed ${process.argv[3] || 12345}): CLI ${shape(C)} (${C.error}), verify.js ${shape(J)} (${J.error})`);
  }
}
if (agree === 300) { passed++; console.log('ok   300 mutated bundles and credentials: same verdicts'); }

// 2. number literals
const digits = (k) => Array.from({ length: k }, (_, i) => (i === 0 ? 1 + rnd(9) : rnd(10))).join('');
const randomDouble = () => new Float64Array(new Uint32Array([rnd(2 ** 31) * 2 + rnd(2), rnd(2 ** 31) * 2 + rnd(2)]).buffer)[0];
function lit() {
  const d = randomDouble();
  switch (rnd(6)) {
    case 0: return Number.isFinite(d) ? String(d) : '1';
    case 1: return Number.isFinite(d) ? d.toPrecision(1 + rnd(21)).replace('+', '') : '2';
    case 2: return (rnd(2) ? '-' : '') + digits(1 + rnd(22));
    case 3: return digits(1 + rnd(10)) + '.' + digits(1 + rnd(12)) + (rnd(2) ? 'e' + (rnd(2) ? '-' : '') + rnd(330) : '');
    case 4: return '0.' + '0'.repeat(rnd(10)) + digits(1 + rnd(18));
    default: return digits(1 + rnd(3)) + 'e' + (rnd(2) ? '-' : '+') + (290 + rnd(40));
  }
}
agree = 0;
let refused = 0;
for (let i = 0; i < 400; i++) {
  const text = Buffer.from(`{"x":${lit()}}`);
  const C = cli(text, base);
  let J = null;
  try { J = (await credentialHash(text)).hash; } catch { /* refused */ }
  if (C.credentialHash === J) { agree++; refused += J === null; }
  else { failed++; console.log(`FAIL number ${text}: CLI ${C.credentialHash} (${C.error}), verify.js ${J}`); }
}
if (agree === 400) { passed++; console.log(`ok   400 random number literals: same hash (${refused} refused by both)`); }
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
