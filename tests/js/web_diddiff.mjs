// tests/js/web_diddiff.mjs — the page's DID document rules (web/did.js) against
// the CLI's (anchor/did.c), differentially: the did:web host of
// tests/cli/web_online.sh serves, one after another, DID documents made by
// hand to probe each rule (id, accounts, CAIP-10 chain ids and EIP-55
// checksums, the name service, alsoKnownAs, limits, strict JSON) and seeded
// byte mutations of a valid one; for each, `verifier verify --issuer DID
// --json` and verifyCredential() must give the same issuer outcome and status.
// One line per disagreement, then "N passed, N failed".
//   node tests/js/web_diddiff.mjs VERIFIER CASE_DIR LEDGER_URL WWW DID ADDRESS CHAIN [SEED]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { verifyCredential } from '../../web/verify.js';

const [V, dir, ledger, www, baseDid, addr, chain, seed = '7'] = process.argv.slice(2);
const did = `${baseDid}:fuzz`;
const lower = addr.toLowerCase();
const vm = (o = {}) => ({ id: `${did}#k`, type: 'EcdsaSecp256k1RecoveryMethod2020', controller: did, blockchainAccountId: `eip155:${chain}:${addr}`, ...o });
const doc = (o = {}) => JSON.stringify({ '@context': ['https://www.w3.org/ns/did/v1'], id: did, verificationMethod: [vm()], ...o });
const name = (n, extra = {}) => ({ id: `${did}#n`, type: 'CredentialNotaryIssuer', serviceEndpoint: { name: n }, ...extra });
const flip = (a) => a.slice(0, 2) + [...a.slice(2)].map((c, i) => (i === 3 && /[a-f]/i.test(c) ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join('');
const docs = [
  ['valid', doc()], ['lowercase address', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:${chain}:${lower}` })] })],
  ['uppercase address', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:${chain}:0x${lower.slice(2).toUpperCase()}` })] })],
  ['broken EIP-55 checksum', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:${chain}:${flip(addr)}` })] })],
  ['chain 0', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:0:${addr}` })] })],
  ['chain with a leading zero', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:0${chain}:${addr}` })] })],
  ['chain 2^53', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:9007199254740992:${addr}` })] })],
  ['chain 2^53+1', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:9007199254740993:${addr}` })] })],
  ['chain of 18 digits', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:100000000000000000:${addr}` })] })],
  ['not eip155', doc({ verificationMethod: [vm({ blockchainAccountId: `cosmos:${chain}:${addr}` })] })],
  ['short address', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:${chain}:${addr.slice(0, 41)}` })] })],
  ['address without 0x', doc({ verificationMethod: [vm({ blockchainAccountId: `eip155:${chain}:${addr.slice(2)}00` })] })],
  ['account missing', doc({ verificationMethod: [{ id: `${did}#k`, type: 'EcdsaSecp256k1RecoveryMethod2020' }] })],
  ['method id missing', doc({ verificationMethod: [{ type: 'EcdsaSecp256k1RecoveryMethod2020', blockchainAccountId: `eip155:${chain}:${addr}` }] })],
  ['method id a number', doc({ verificationMethod: [vm({ id: 5 })] })],
  ['other type with junk', doc({ verificationMethod: [{ type: 'Ed25519VerificationKey2020', blockchainAccountId: 7 }, vm()] })],
  ['type missing', doc({ verificationMethod: [{ id: 'x' }, vm()] })],
  ['verificationMethod an object', doc({ verificationMethod: vm() })],
  ['no verificationMethod', JSON.stringify({ id: did })],
  ['33 methods', doc({ verificationMethod: Array.from({ length: 33 }, () => vm()) })],
  ['32 methods', doc({ verificationMethod: Array.from({ length: 32 }, () => vm()) })],
  ['method not an object', doc({ verificationMethod: [1, vm()] })],
  ['another id', doc({ id: `${did}x` })], ['id missing', JSON.stringify({ verificationMethod: [vm()] })], ['id a number', doc({ id: 1 })],
  ['top-level array', `[${doc()}]`], ['a name', doc({ service: [name('University of Testing')] })],
  ['a name, type array', doc({ service: [name('U', { type: ['LinkedDomains', 'CredentialNotaryIssuer'] })] })],
  ['two names', doc({ service: [name('A'), name('B')] })], ['empty name', doc({ service: [name('')] })],
  ['name with a control character', doc({ service: [name('A\u0001B')] })], ['name of 127 bytes', doc({ service: [name('a'.repeat(127))] })],
  ['name of 128 bytes', doc({ service: [name('a'.repeat(128))] })], ['name not a string', doc({ service: [name(5)] })],
  ['serviceEndpoint a string', doc({ service: [{ type: 'CredentialNotaryIssuer', serviceEndpoint: 'https://x' }] })],
  ['service an object', doc({ service: name('A') })], ['service entry not an object', doc({ service: ['x'] })],
  ['other services', doc({ service: [{ type: 'LinkedDomains', serviceEndpoint: 'https://x' }] })],
  ['33 services', doc({ service: Array.from({ length: 33 }, () => ({ type: 'X' })) })],
  ['alsoKnownAs a string', doc({ alsoKnownAs: 'https://x' })], ['alsoKnownAs junk', doc({ alsoKnownAs: [1, 'no uri', 'https://ok'] })],
  ['duplicate key', doc().replace('{', `{"id":"${did}",`)], ['trailing garbage', doc() + 'x'], ['BOM', '\ufeff' + doc()],
  ['a NUL escape', doc({ note: 'a\u0000b' })], ['a lone surrogate', doc().replace('}', ',"s":"\\ud800"}')],
  ['a huge integer', doc().replace('}', ',"n":123456789012345678901234567890}')], ['a big real', doc().replace('}', ',"n":1e400}')],
  ['nested 64', doc({ deep: JSON.parse('['.repeat(63) + ']'.repeat(63)) })], ['nested 65', doc({ deep: JSON.parse('['.repeat(64) + ']'.repeat(64)) })],
  ['empty file', ''], ['not JSON', 'hello'],
];
// seeded byte mutations of the valid document with a name
let s = Number(seed) >>> 0;
const rnd = (n) => { s = (s * 1103515245 + 12345) >>> 0; return s % n; };
const base = Buffer.from(doc({ service: [name('University of Testing')], alsoKnownAs: ['https://uni.example'] }));
for (let i = 0; i < 30; i++) {
  const b = Buffer.from(base);
  for (let k = 0; k <= rnd(3); k++) b[rnd(b.length)] = [0x22, 0x2c, 0x7b, 0x5d, 0x30, 0x41, 0x61, 0x80, rnd(256)][rnd(9)];
  docs.push([`mutation ${i}`, b]);
}
fs.mkdirSync(path.join(www, 'fuzz'), { recursive: true });
const cred = fs.readFileSync(path.join(dir, 'credential')), bundle = fs.readFileSync(path.join(dir, 'bundle.json'));
let passed = 0, failed = 0;
for (const [label, text] of docs) {
  fs.writeFileSync(path.join(www, 'fuzz', 'did.json'), text);
  const r = spawnSync(V, ['verify', path.join(dir, 'credential'), '--proof', path.join(dir, 'bundle.json'), '--rpc', ledger,
    '--issuer', did, '--json', '--timeout', '20', '--ca-file', process.env.WEB_DID_CA], { encoding: 'utf8' });
  let cli = null;
  try { cli = JSON.parse(r.stdout); } catch { /* below */ }
  const js = await verifyCredential({ credential: cred, bundle, rpc: ledger, issuer: did, timeoutSeconds: 20 });
  const io = (x) => { const c = x && x.checks.find((y) => y.name === 'issuer'); return c ? c.outcome : 'none'; };
  if (cli && cli.status === js.status && io(cli) === io(js)) passed++;
  else {
    failed++;
    console.log(`FAIL DID document "${label}": CLI ${cli ? cli.status + ' issuer ' + io(cli) : 'no JSON: ' + r.stderr.trim()}, ` +
      `verify.js ${js.status} issuer ${io(js)} (${(js.checks.find((y) => y.name === 'issuer') || {}).detail})`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
