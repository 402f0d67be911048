#!/usr/bin/env node
// scripts/gen-conformance.mjs — (re)write the conformance corpus
// tests/conformance/ from real runs of the C verifier.
//
//   node scripts/gen-conformance.mjs [BUILD_DIR]      (default: build)
//
// Each case is a folder tests/conformance/cases/NAME/ holding `credential`
// (the file, any bytes) or `hash` (a typed hash, one line), `bundle.json`
// (absent: the credential carries its bundle, docs/proof-format.md §7), and `expected.json`: the status, exit code and per-check names/outcomes
// that `verifier verify --offline --json` printed for them. Credential
// hashes come from the CLI's own report ("credentialHash") and trees are
// built here with Node's SHA-256 and the RFC 9162 rules, so web/verify.js
// plays no part in making its own test data. The cases mirror the C tests
// (tests/cli/verify_offline.sh, tests/unit/test_bundle.c): valid in several
// tree shapes, every tampered kind, malformed bundles and credentials,
// pending, a wrong credential. tests/cli/web_conformance.sh runs them all
// through both verifiers.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const build = process.argv[2] || 'build';
const V = path.resolve(root, build, 'bin/verifier');
const out = path.join(root, 'tests/conformance/cases');
const tmp = fs.mkdtempSync('/tmp/gen-conformance-');

const sha = (...parts) => createHash('sha256').update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest();
const hx = (b) => Buffer.from(b).toString('hex');
const leaf = (h) => sha([0], Buffer.from(h, 'hex'));
const node = (l, r) => sha([1], l, r);

// RFC 9162 §2.1.1 MTH over leaf hashes, and §2.1.3.1 PATH.
function mth(ls) {
  if (ls.length === 1) return ls[0];
  let k = 1;
  while (k * 2 < ls.length) k *= 2;
  return node(mth(ls.slice(0, k)), mth(ls.slice(k)));
}
function pathOf(m, ls) {
  if (ls.length === 1) return [];
  let k = 1;
  while (k * 2 < ls.length) k *= 2;
  return m < k ? [...pathOf(m, ls.slice(0, k)), mth(ls.slice(k))] : [...pathOf(m - k, ls.slice(k)), mth(ls.slice(0, k))];
}

const ANCHOR = {
  ledger: 'evm',
  chainId: 1337,
  contract: '0xe78a0f7e598cc8b0bb87894b0f60dd2a88d6a8ab',
  issuer: '0x90f8bf6a479f320ead074411a4b0e7944ea8c9c1',
  txHash: '0x' + '11'.repeat(32),
  blockNumber: 7,
  blockHash: '0x' + '22'.repeat(32),
  blockTime: 1763769612,
};

// A bundle for hash `h` at `index` in a tree of `size` whose other leaves are
// filler hashes; returns the bundle object (documented member order).
function bundleFor(h, hashing, { size = 5, index = 3, pending = false, seq = 4 } = {}) {
  const hashes = Array.from({ length: size }, (_, i) => (i === index ? h : hx(sha(`filler ${i}`))));
  const ls = hashes.map(leaf);
  const b = {
    type: 'CredentialNotaryProof',
    version: 1,
    credential: { hash: h, hashing },
    batch: { kind: 'issuance', seq, size, root: hx(mth(ls)), closedAt: '2025-11-22T00:00:00Z' },
    inclusion: { leafIndex: index, path: pathOf(index, ls).map(hx) },
  };
  if (!pending) b.anchor = { ...ANCHOR };
  return b;
}

// Run the CLI: the report as JSON and the exit code.
// A case without bundle.json gives the credential alone (an embedded bundle,
// docs/proof-format.md §7). A usage error (exit 2: embedded bundle and a
// separate one, or neither) prints no JSON: it counts as ERROR, no checks.
function cli(dir) {
  const args = ['verify', '--offline', '--json'];
  if (fs.existsSync(path.join(dir, 'bundle.json'))) args.push('--proof', path.join(dir, 'bundle.json'));
  if (fs.existsSync(path.join(dir, 'hash'))) args.push('--hash', fs.readFileSync(path.join(dir, 'hash'), 'utf8').trim());
  else args.push(path.join(dir, 'credential'));
  const r = spawnSync(V, args, { encoding: 'utf8' });
  if (r.status === 2 && r.stdout.trim() === '') return { exit: 2, report: { status: 'ERROR', checks: [], error: r.stderr.trim() } };
  return { exit: r.status, report: JSON.parse(r.stdout) };
}

// The credential object `doc` with bundle `b` embedded by the table of
// docs/proof-format.md §7 (as core/embed.c embed_insert), written with sorted
// members and a two-space indent like `notary proof --embed`; the CLI reads
// it in the corpus, so the table is checked by the C verifier, not by this.
function embed(doc, b) {
  const d = { ...doc };
  if (d.proof === undefined) d.proof = b;
  else if (Array.isArray(d.proof)) d.proof = [...d.proof, b];
  else d.proof = [d.proof, b];
  const sorted = (v) => (Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object'
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])])) : v);
  return Buffer.from(JSON.stringify(sorted(d), null, 2) + '\n');
}

// The hash and hashing the CLI computes for a credential file.
function cliHash(cred) {
  const d = fs.mkdtempSync(path.join(tmp, 'h-'));
  fs.writeFileSync(path.join(d, 'credential'), cred);
  fs.writeFileSync(path.join(d, 'bundle.json'), JSON.stringify(bundleFor('00'.repeat(32), 'sha256')));
  const { report } = cli(d);
  if (!report.credentialHash) throw new Error(`the CLI could not hash a credential meant to be valid: ${report.error}`);
  return { hash: report.credentialHash, hashing: report.hashing };
}

const cases = [];
// add(NAME, {credential | hash, bundle: object or raw string/Buffer}, WHY)
function add(name, c, why) {
  cases.push({ name, why, ...c });
}

// ---- credentials -------------------------------------------------------------
const vc = fs.readFileSync(path.join(root, 'tests/conformance/vc-example.json'));
const vcObj = JSON.parse(vc);
const vcH = cliHash(vc);
const raw = Buffer.concat([Buffer.from('%PDF-1.7 not json: a PDF, say\n'), Buffer.from([0, 0xff, 0xfe, 0x80])]);
const rawH = cliHash(raw);
const valid = bundleFor(vcH.hash, vcH.hashing);

add('valid-vc', { credential: vc, bundle: valid }, 'a W3C VC 2.0 JSON credential, leaf 3 of 5, anchored');
add('valid-vc-reformatted', { credential: Buffer.from(reorder(vcObj)), bundle: valid },
  'the same credential re-indented with its members in another order');
add('valid-raw', { credential: raw, bundle: bundleFor(rawH.hash, 'sha256', { size: 2, index: 1 }) }, 'a non-JSON file, hashed as bytes');
add('valid-hash', { hash: vcH.hash, bundle: valid }, 'a typed hash (--hash)');
add('valid-hash-0x-upper', { hash: '0X' + vcH.hash.toUpperCase(), bundle: valid }, '--hash with 0X and upper case');
add('valid-given', { hash: rawH.hash, bundle: bundleFor(rawH.hash, 'given', { size: 3, index: 0 }) }, 'a bundle that says "given"');
add('valid-given-file', { credential: raw, bundle: bundleFor(rawH.hash, 'given', { size: 3, index: 2 }) }, 'a file against a "given" bundle');
for (const [size, index] of [[1, 0], [2, 0], [3, 1], [3, 2], [7, 6], [8, 5], [13, 12], [1000, 777]])
  add(`valid-tree-${size}-${index}`, { credential: vc, bundle: bundleFor(vcH.hash, vcH.hashing, { size, index }) }, `leaf ${index} of ${size}`);
add('valid-ebsi', { credential: vc, bundle: { ...valid, anchor: { ...ANCHOR, ledger: 'ebsi' } } }, 'an ebsi anchor');
add('valid-big-numbers', { credential: vc, bundle: { ...valid, batch: { ...valid.batch, seq: 9007199254740992 } } }, 'seq = 2^53, the largest allowed');

// Real bundles of `make demo` (notary proof --batch 0 --dir): two holders, and the demo's tampered credential.
const demo = (f) => fs.readFileSync(path.join(root, 'tests/conformance', f));
add('valid-notary-demo', { credential: demo('demo-credential-00000.json'), bundle: demo('demo-bundle-00000.json') }, 'a credential and bundle made by `make demo` (notary proof)');
add('valid-notary-demo-2', { credential: demo('demo-credential-00001.json'), bundle: demo('demo-bundle-00001.json') }, 'another holder of the same demo batch');
add('invalid-notary-demo-tampered', { credential: demo('demo-tampered-00001.json'), bundle: demo('demo-bundle-00001.json') }, 'the demo\'s tampered credential (ECTS credits raised) with the real bundle');
add('invalid-notary-demo-swapped', { credential: demo('demo-credential-00000.json'), bundle: demo('demo-bundle-00001.json') }, 'one holder\'s credential with another holder\'s bundle');

// JSON credentials whose canonical form is subtle: the CLI's hash must be verify.js's.
const tricky = {
  'jcs-numbers': '{"n":[0,-0,1E2,1.5e3,0.1,1e21,1e-7,5e-324,1.7976931348623157e308,123456789012345,-1.25,3e1,100e-2,0.000001]}',
  'jcs-unicode-keys': '{"\\ud83d\\ude00":1,"\\ue000":2,"a":3,"\\u00e9":4,"A":5,"":6,"aa":7}',
  'jcs-escapes': '{"s":"\\u0001\\b\\t\\n\\f\\r\\"\\\\\\/\\u007f\\u2028 é €","t":"\\u001f"}',
  'jcs-literals': ' \n\t[true,false,null,{},[],"x",{"b":[{"a":{}}]}]\r\n',
  'jcs-depth-64': '['.repeat(64) + ']'.repeat(64),
  'bom-not-json': '\ufeffhello, not JSON',
};
for (const [name, text] of Object.entries(tricky)) {
  const h = cliHash(Buffer.from(text));
  add(`valid-${name}`, { credential: Buffer.from(text), bundle: bundleFor(h.hash, h.hashing, { size: 4, index: 1 }) }, `credential ${name}`);
}

// ---- INVALID: every tampered kind ----------------------------------------------------
const other = Buffer.from(JSON.stringify({ ...vcObj, id: 'urn:uuid:00000000-0000-4000-8000-000000000000' }));
add('invalid-other-credential', { credential: other, bundle: valid }, 'a valid proof presented with another credential');
add('invalid-edited-credential', { credential: Buffer.from(vc.toString().replace('Master', 'Doctor')), bundle: valid }, 'one word of the credential changed');
add('invalid-other-hash', { hash: rawH.hash, bundle: valid }, 'another typed hash');
add('invalid-hashing-mismatch', { credential: vc, bundle: { ...valid, credential: { hash: vcH.hash, hashing: 'sha256' } } }, 'JSON credential, bundle says sha256');
add('invalid-hashing-mismatch-raw', { credential: raw, bundle: bundleFor(rawH.hash, 'jcs-sha256', { size: 2, index: 1 }) }, 'raw file, bundle says jcs-sha256');
add('invalid-tampered-root', { credential: vc, bundle: { ...valid, batch: { ...valid.batch, root: hx(sha('another root')) } } }, 'batch.root replaced');
add('invalid-other-index', { credential: vc, bundle: { ...valid, inclusion: { ...valid.inclusion, leafIndex: 2 } } }, 'leafIndex 2 instead of 3 (same path length)');
const v7 = bundleFor(vcH.hash, vcH.hashing, { size: 7, index: 1 });
add('invalid-swapped-path', { credential: vc, bundle: { ...v7, inclusion: { ...v7.inclusion, path: [...v7.inclusion.path].reverse() } } }, 'audit path in the wrong order');
add('invalid-tampered-path', { credential: vc, bundle: { ...v7, inclusion: { ...v7.inclusion, path: [hx(sha('x')), ...v7.inclusion.path.slice(1)] } } }, 'one path hash replaced');
const v2 = bundleFor(vcH.hash, vcH.hashing, { size: 2, index: 1 });
add('invalid-own-sibling', { credential: vc, bundle: { ...v2, inclusion: { leafIndex: 1, path: [hx(leaf(vcH.hash))] } } }, 'own leaf as sibling');
add('valid-other-size-same-walk', { credential: vc, bundle: { ...v7, batch: { ...v7.batch, size: 8 } } }, 'batch.size 8 instead of 7: for leaf 1 the RFC 9162 walk is the same, so the proof still holds');
{ // interior node presented as a leaf (RFC 9162 second-preimage: the 0x00/0x01 prefixes)
  const hs = [0, 1, 2, 3].map((i) => hx(sha(`leaf ${i}`)));
  const ls = hs.map(leaf);
  const inner = node(ls[0], ls[1]);
  const b = bundleFor(hx(inner), 'given', { size: 2, index: 0 });
  b.batch.root = hx(mth(ls));
  b.inclusion.path = [hx(node(ls[2], ls[3]))];
  add('invalid-interior-node-as-leaf', { hash: hx(inner), bundle: b }, 'an interior node hash claimed as a credential of a 2-leaf tree');
}
add('invalid-pending-other-credential', { credential: other, bundle: bundleFor(vcH.hash, vcH.hashing, { pending: true }) }, 'pending bundle, wrong credential: INVALID wins over UNKNOWN');

// ---- UNKNOWN ---------------------------------------------------------------------
add('unknown-pending', { credential: vc, bundle: bundleFor(vcH.hash, vcH.hashing, { pending: true }) }, 'batch closed, not anchored yet');
add('unknown-pending-hash', { hash: vcH.hash, bundle: bundleFor(vcH.hash, vcH.hashing, { pending: true, size: 1, index: 0 }) }, 'pending, typed hash');

// ---- ERROR: malformed bundles ------------------------------------------------------
const vtext = JSON.stringify(valid, null, 2);
const edits = {
  'garbage': 'this is not json',
  'empty': '',
  'bom': '\ufeff' + vtext,
  'trailing-data': vtext + ' {}',
  'top-array': '[' + vtext + ']',
  'duplicate-key': vtext.replace('"version": 1', '"version": 1, "version": 1'),
  'duplicate-key-escaped': vtext.replace('"version": 1', '"version": 1, "\\u0076ersion": 1'),
  'version-2': vtext.replace('"version": 1', '"version": 2'),
  'version-string': vtext.replace('"version": 1', '"version": "1"'),
  'version-real': vtext.replace('"version": 1', '"version": 1.0'),
  'type-wrong': vtext.replace('CredentialNotaryProof', 'CredentialNotaryProofs'),
  'type-missing': vtext.replace('"type": "CredentialNotaryProof",', ''),
  'unknown-top-field': vtext.replace('"version": 1', '"version": 1, "note": "hi"'),
  'unknown-batch-field': vtext.replace('"kind": "issuance",', '"kind": "issuance", "extra": true,'),
  'root-33-bytes': vtext.replace(valid.batch.root, valid.batch.root + '00'),
  'root-uppercase': vtext.replace(valid.batch.root, valid.batch.root.toUpperCase()),
  'root-0x': vtext.replace(valid.batch.root, '0x' + valid.batch.root),
  'txhash-no-0x': vtext.replace(ANCHOR.txHash, ANCHOR.txHash.slice(2)),
  'contract-0X': vtext.replace(ANCHOR.contract, '0X' + ANCHOR.contract.slice(2)),
  'size-string': vtext.replace('"size": 5', '"size": "5"'),
  'size-real': vtext.replace('"size": 5', '"size": 5.0'),
  'size-exponent': vtext.replace('"size": 5', '"size": 5e0'),
  'size-zero': vtext.replace('"size": 5', '"size": 0'),
  'seq-negative-zero': vtext.replace('"seq": 4', '"seq": -0'),
  'seq-negative': vtext.replace('"seq": 4', '"seq": -4'),
  'seq-2^53+1': vtext.replace('"seq": 4', '"seq": 9007199254740993'),
  'seq-huge': vtext.replace('"seq": 4', '"seq": 99999999999999999999999'),
  'chainid-zero': vtext.replace('"chainId": 1337', '"chainId": 0'),
  'leafindex-ge-size': vtext.replace('"leafIndex": 3', '"leafIndex": 5'),
  'path-short': JSON.stringify({ ...valid, inclusion: { leafIndex: 3, path: valid.inclusion.path.slice(1) } }),
  'path-long': JSON.stringify({ ...valid, inclusion: { leafIndex: 3, path: [...valid.inclusion.path, valid.batch.root] } }),
  'path-not-array': JSON.stringify({ ...valid, inclusion: { leafIndex: 3, path: valid.batch.root } }),
  'kind-revocation': vtext.replace('"issuance"', '"revocation"'),
  'hashing-unknown': vtext.replace('"jcs-sha256"', '"sha3"'),
  'ledger-unknown': vtext.replace('"evm"', '"btc"'),
  'anchor-null': JSON.stringify({ ...valid, anchor: null }),
  'anchor-missing-field': JSON.stringify({ ...valid, anchor: { ...ANCHOR, blockHash: undefined } }),
  'closedat-feb-30': vtext.replace('2025-11-22T00:00:00Z', '2025-02-30T00:00:00Z'),
  'closedat-leap-second': vtext.replace('2025-11-22T00:00:00Z', '2016-12-31T23:59:60Z'),
  'closedat-1969': vtext.replace('2025-11-22T00:00:00Z', '1969-12-31T23:59:59Z'),
  'closedat-offset': vtext.replace('2025-11-22T00:00:00Z', '2025-11-22T00:00:00+00:00'),
  'closedat-fraction': vtext.replace('2025-11-22T00:00:00Z', '2025-11-22T00:00:00.5Z'),
  'lone-surrogate': vtext.replace('"issuance"', '"issuance\\ud800"'),
  'nul-escape': vtext.replace('"issuance"', '"issu\\u0000ance"'),
  'control-char': vtext.replace('"issuance"', '"issu\tance"'),
  'invalid-utf8': Buffer.concat([Buffer.from(vtext.replace('"issuance"', '"issu')), Buffer.from([0xc0, 0xaf]), Buffer.from('ance"')]),
  'nesting-65': JSON.stringify({ ...valid, note: undefined }).replace('{', '{"x":' + '['.repeat(64) + ']'.repeat(64) + ','),
  'leading-zero': vtext.replace('"seq": 4', '"seq": 04'),
  'single-quotes': vtext.replace('"seq"', "'seq'"),
  'comment': vtext.replace('{', '{ /* hi */'),
};
for (const [name, text] of Object.entries(edits))
  add(`error-bundle-${name}`, { credential: vc, bundle: Buffer.isBuffer(text) ? text : Buffer.from(text) }, `malformed bundle: ${name}`);

// ---- ERROR: malformed credentials and hashes -----------------------------------------
const badCreds = {
  'duplicate-key': '{"a":1,"a":2}',
  'duplicate-key-escaped': '{"a":1,"\\u0061":2}',
  'big-integer': '{"id":12345678901234567}',
  'long-fraction': '{"x":1.70000000000000001}',
  'underflow': '{"x":1e-400}',
  'overflow': '{"x":1e400}',
  'bom-json': '\ufeff{"a":1}',
  'empty': '',
  'trailing-comma': '{"a":1,}',
  'nesting-65': '['.repeat(65) + ']'.repeat(65),
  'nul-escape': '{"a":"\\u0000"}',
  'lone-surrogate': '{"a":"\\udc00"}',
  'truncated': '{"a":[1,2',
  'invalid-escape': '{"a":"\\x41"}',
  'nan': '{"a":NaN}',
  'plus-number': '{"a":+1}',
};
for (const [name, text] of Object.entries(badCreds))
  add(`error-credential-${name}`, { credential: Buffer.from(text), bundle: valid }, `malformed credential: ${name}`);
add('error-credential-invalid-utf8', { credential: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), bundle: valid }, 'UTF-8-encoded surrogate in a JSON string');
add('error-hash-short', { hash: 'abc', bundle: valid }, '--hash of 3 digits');
// Names every JavaScript object inherits are not hashing words either (a
// lookup with `in` would take them; the C parser knows three words only).
for (const word of ['constructor', '__proto__', 'toString'])
  add(`error-bundle-hashing-inherited-${word.replace(/_/g, '')}`,
    { hash: vcH.hash, bundle: { ...valid, credential: { hash: vcH.hash, hashing: word } } },
    `typed hash, bundle hashing "${word}" (a name JS objects inherit)`);
add('error-hash-nonhex', { hash: 'g'.repeat(64), bundle: valid }, '--hash not hex');

function reorder(o) {
  // members in reverse order, 4-space indent, numbers respelled where lossless
  const rev = (v) => (Array.isArray(v) ? v.map(rev) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, rev(x)])) : v);
  return JSON.stringify(rev(o), null, 4).replace(/"credits": (\d+)/, (_, n) => `"credits": ${n}.0e0`);
}

// ---- credentials that carry their bundle (notary proof --embed, §7) --------------------
const diProof = { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofValue: 'z3FXQjecWufY46' };
const demoCred = JSON.parse(demo('demo-credential-00000.json'));
const demoBundle = JSON.parse(demo('demo-bundle-00000.json'));
add('valid-embedded-notary-demo', { credential: embed(demoCred, demoBundle) }, 'the demo credential with its real bundle (notary proof) embedded, given alone');
add('valid-embedded', { credential: embed(vcObj, valid) }, 'embedded bundle, the credential had no proof');
{
  const withDi = bundleFor(cliHash(Buffer.from(JSON.stringify({ ...vcObj, proof: diProof }))).hash, 'jcs-sha256');
  add('valid-embedded-next-to-proof', { credential: embed({ ...vcObj, proof: diProof }, withDi) }, 'proof: [P, BUNDLE] strips back to proof: P');
  const two = [diProof, { ...diProof, proofValue: 'z2' }];
  const withTwo = bundleFor(cliHash(Buffer.from(JSON.stringify({ ...vcObj, proof: two }))).hash, 'jcs-sha256', { size: 2, index: 0 });
  add('valid-embedded-proof-set', { credential: embed({ ...vcObj, proof: two }, withTwo) }, 'proof: [P1, P2, BUNDLE] strips back to the same array');
  const first = Buffer.from(JSON.stringify({ ...vcObj, proof: [bundleFor(withTwo.credential.hash, 'jcs-sha256', { size: 2, index: 0 }), ...two] }));
  add('valid-embedded-first-in-set', { credential: first }, 'the entry first in a proof set: stripped, the other two stay in order');
  add('invalid-embedded-wrong-strip', { credential: embed({ ...vcObj, proof: diProof }, valid) },
    'proof: [P, BUNDLE] with a bundle for the credential without P: stripping keeps P, so the hash differs');
}
{ // inside a credential the bundle is read by value: 1.0 is 1, 5e0 is 5
  const t = embed(vcObj, valid).toString().replace('"version": 1', '"version": 1.0').replace('"size": 5', '"size": 5e0');
  add('valid-embedded-numbers-by-value', { credential: Buffer.from(t) }, 'the entry written with 1.0 and 5e0: the same numbers by value');
}
add('invalid-embedded-tampered', { credential: Buffer.from(embed(demoCred, demoBundle).toString().replace(/"ectsCredits": (\d+)/, (_, n) => `"ectsCredits": ${Number(n) + 1}`)) },
  'the embedded demo credential with one value changed');
add('invalid-embedded-edited-credential', { credential: Buffer.from(embed(vcObj, valid).toString().replace('Master', 'Doctor')) }, 'one word of an embedded credential changed');
add('invalid-embedded-tampered-root', { credential: embed(vcObj, { ...valid, batch: { ...valid.batch, root: hx(sha('another root')) } }) }, 'the embedded bundle\'s batch.root replaced');
add('unknown-embedded-pending', { credential: embed(vcObj, bundleFor(vcH.hash, vcH.hashing, { pending: true })) }, 'a pending bundle embedded');
add('error-embedded-and-bundle', { credential: embed(vcObj, valid), bundle: valid }, 'an embedded bundle and a separate one: two bundles for one credential');
add('error-embedded-none', { credential: vc }, 'a plain credential without a bundle');
add('error-embedded-raw-alone', { credential: raw }, 'a raw file carries no entry: it needs its bundle');
add('error-embedded-nested-proof', { credential: Buffer.from(JSON.stringify({ ...vcObj, credentialSubject: { ...vcObj.credentialSubject, proof: valid } })) },
  'only the top-level proof is read: a bundle inside credentialSubject is not an entry');
add('error-embedded-top-array', { credential: Buffer.from(JSON.stringify([vcObj, valid])) }, 'a top-level array carries no entry');
add('error-embedded-proof-string', { credential: Buffer.from(JSON.stringify({ ...vcObj, proof: 'CredentialNotaryProof' })) }, 'proof a string: no entry');
add('error-embedded-duplicate', { credential: Buffer.from(JSON.stringify({ ...vcObj, proof: [valid, diProof, valid] })) }, 'two entries of our type');
add('error-embedded-duplicate-with-bundle', { credential: Buffer.from(JSON.stringify({ ...vcObj, proof: [valid, valid] })), bundle: valid }, 'two entries, and a separate bundle');
add('error-embedded-type-array', { credential: Buffer.from(JSON.stringify({ ...vcObj, proof: { ...valid, type: ['CredentialNotaryProof'] } })) }, 'the entry\'s type an array naming our type');
add('error-embedded-type-array-in-set', { credential: Buffer.from(JSON.stringify({ ...vcObj, proof: [diProof, { ...diProof, type: ['DataIntegrityProof', 'CredentialNotaryProof'] }] })), bundle: valid },
  'a proof set entry names our type in an array: refused even with a separate bundle');
add('error-embedded-unknown-field', { credential: embed(vcObj, { ...valid, note: 'hi' }) }, 'the entry has a field version 1 does not allow');
add('error-embedded-version-2', { credential: embed(vcObj, { ...valid, version: 2 }) }, 'the entry is version 2');
add('error-embedded-no-inclusion', { credential: embed(vcObj, { ...valid, inclusion: undefined }) }, 'the entry lacks inclusion');
add('error-embedded-duplicate-key', { credential: Buffer.from(embed(vcObj, valid).toString().replace('"version": 1', '"version": 1,\n    "version": 1')) }, 'a duplicate key inside the entry');
add('error-embedded-inexact-number', { credential: Buffer.from(embed(vcObj, valid).toString().replace('"seq": 4', '"seq": 9007199254740993')) }, 'a number a double cannot hold, inside the entry');

// ---- write ------------------------------------------------------------------------
fs.rmSync(out, { recursive: true, force: true });
const index = [];
for (const c of cases) {
  const dir = path.join(out, c.name);
  fs.mkdirSync(dir, { recursive: true });
  if (c.hash !== undefined) fs.writeFileSync(path.join(dir, 'hash'), c.hash + '\n');
  else fs.writeFileSync(path.join(dir, 'credential'), c.credential);
  const b = c.bundle;
  if (b !== undefined) fs.writeFileSync(path.join(dir, 'bundle.json'), Buffer.isBuffer(b) ? b : JSON.stringify(b, null, 2) + '\n');
  const { exit, report } = cli(dir);
  const expected = { why: c.why, status: report.status, exit, checks: report.checks.map(({ name, outcome }) => ({ name, outcome })) };
  fs.writeFileSync(path.join(dir, 'expected.json'), JSON.stringify(expected, null, 2) + '\n');
  index.push(`${report.status.padEnd(8)} ${c.name}`);
  const want = c.name.split('-')[0].toUpperCase();
  if (want !== report.status) console.error(`warning: ${c.name}: the CLI says ${report.status}, the name says ${want}`);
}
fs.rmSync(tmp, { recursive: true, force: true });
console.log(index.join('\n'));
console.log(`${cases.length} cases written to ${path.relative(root, out)}`);
