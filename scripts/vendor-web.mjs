// scripts/vendor-web.mjs — the files the browser verifier (web/) takes from
// elsewhere, made reproducibly from pinned sources:
//   web/noble-*.js  Keccak-256 (sha3.js and the four modules it imports)
//       copied from @noble/hashes, pinned in package-lock.json (npm ci checks
//       its integrity hash), each with its MIT licence text at the top (a .txt
//       file would not be served by `notary serve`, which embeds only the
//       page's kinds of file).
//       Flat, prefixed names (web/noble-sha3.js ...), with the imports
//       rewritten to them (also the bare '@noble/hashes/crypto'), so the
//       browser loads them without a bundler or a CDN, and `notary serve`,
//       which serves the files of web/ itself by exact name, serves them too.
//   web/registry.json  keccak-256 of the NotaryRegistry and NotaryRegistry2
//       runtime code (contracts/build/NotaryRegistry{,2}.json,
//       deployedBytecode — the code the C verifier embeds), so the page
//       recognises either registry by its code without shipping the code.
// Usage: node scripts/vendor-web.mjs          (write)
//        node scripts/vendor-web.mjs --check  (exit 1 if a file differs)
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const check = process.argv.includes('--check');
const PIN = '1.3.2';
const src = path.join(root, 'node_modules/@noble/hashes');
const dst = path.join(root, 'web');
const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
if (pkg.version !== PIN) {
  console.error(`vendor-web: node_modules has @noble/hashes ${pkg.version}, expected ${PIN}: run scripts/setup.sh --npm .`);
  process.exit(2);
}
const files = {};
for (const f of ['sha3.js', '_assert.js', '_u64.js', 'utils.js', 'crypto.js']) {
  let t = fs.readFileSync(path.join(src, 'esm', f), 'utf8');
  t = t.replace("from '@noble/hashes/crypto'", "from './noble-crypto.js'").replace(/from '\.\/([a-z_0-9]+\.js)'/g, "from './noble-$1'")
    .replace(/\n?\/\/# sourceMappingURL=.*\n?$/, '\n');
  const lic = fs.readFileSync(path.join(src, 'LICENSE'), 'utf8').trimEnd().split('\n').map((l) => ('// ' + l).trimEnd()).join('\n');
  files[path.join(dst, 'noble-' + f)] = `// vendored from @noble/hashes ${PIN} by scripts/vendor-web.mjs; do not edit. Its licence:\n${lic}\n` + t;
}
const { keccak_256 } = await import(path.join(src, 'esm/sha3.js'));
const art = JSON.parse(fs.readFileSync(path.join(root, 'contracts/build/NotaryRegistry.json'), 'utf8'));
const code = Buffer.from(art.deployedBytecode.replace(/^0x/, ''), 'hex');
const hex = (b) => Buffer.from(b).toString('hex');
const art2 = JSON.parse(fs.readFileSync(path.join(root, 'contracts/build/NotaryRegistry2.json'), 'utf8'));
const code2 = Buffer.from(art2.deployedBytecode.replace(/^0x/, ''), 'hex');
files[path.join(root, 'web/registry.json')] = JSON.stringify({
  about: 'keccak-256 of the NotaryRegistry and NotaryRegistry2 runtime code (contracts/build/NotaryRegistry{,2}.json); written by scripts/vendor-web.mjs',
  runtimeCodeKeccak: '0x' + hex(keccak_256(code)),
  runtimeCodeBytes: code.length,
  runtime2CodeKeccak: '0x' + hex(keccak_256(code2)),
  runtime2CodeBytes: code2.length,
}, null, 2) + '\n';
let bad = 0;
for (const [f, t] of Object.entries(files)) {
  const have = fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null;
  if (check) {
    if (have !== t) { console.error(`vendor-web: ${path.relative(root, f)} differs from what scripts/vendor-web.mjs makes`); bad++; }
  } else {
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, t);
  }
}
process.exit(bad ? 1 : 0);
