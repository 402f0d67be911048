// scripts/vendor-web.mjs — the files the browser verifier (web/) takes from
// elsewhere, made reproducibly from pinned sources:
//   web/vendor/noble-hashes/  Keccak-256 (sha3.js and the three modules it
//       imports) copied from @noble/hashes, pinned in package-lock.json
//       (npm ci checks its integrity hash), with its LICENSE; the one bare
//       import ('@noble/hashes/crypto') is pointed at the copied crypto.js so
//       the browser loads it without a bundler or a CDN.
//   web/registry.json  keccak-256 of the NotaryRegistry runtime code
//       (contracts/build/NotaryRegistry.json, deployedBytecode — the code
//       the C verifier embeds), so the page recognises the registry by its
//       code without shipping the code.
// Usage: node scripts/vendor-web.mjs          (write)
//        node scripts/vendor-web.mjs --check  (exit 1 if a file differs)
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const check = process.argv.includes('--check');
const PIN = '1.3.2';
const src = path.join(root, 'node_modules/@noble/hashes');
const dst = path.join(root, 'web/vendor/noble-hashes');
const pkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
if (pkg.version !== PIN) {
  console.error(`vendor-web: node_modules has @noble/hashes ${pkg.version}, expected ${PIN}: run scripts/setup.sh --npm .`);
  process.exit(2);
}
const files = {};
for (const f of ['sha3.js', '_assert.js', '_u64.js', 'utils.js', 'crypto.js']) {
  let t = fs.readFileSync(path.join(src, 'esm', f), 'utf8');
  t = t.replace("from '@noble/hashes/crypto'", "from './crypto.js'").replace(/\n?\/\/# sourceMappingURL=.*\n?$/, '\n');
  files[path.join(dst, f)] = `// vendored from @noble/hashes ${PIN} (MIT, see LICENSE) by scripts/vendor-web.mjs; do not edit\n` + t;
}
files[path.join(dst, 'LICENSE')] = fs.readFileSync(path.join(src, 'LICENSE'), 'utf8');
const { keccak_256 } = await import(path.join(src, 'esm/sha3.js'));
const art = JSON.parse(fs.readFileSync(path.join(root, 'contracts/build/NotaryRegistry.json'), 'utf8'));
const code = Buffer.from(art.deployedBytecode.replace(/^0x/, ''), 'hex');
const hex = (b) => Buffer.from(b).toString('hex');
files[path.join(root, 'web/registry.json')] = JSON.stringify({
  about: 'keccak-256 of the NotaryRegistry runtime code (contracts/build/NotaryRegistry.json); written by scripts/vendor-web.mjs',
  runtimeCodeKeccak: '0x' + hex(keccak_256(code)),
  runtimeCodeBytes: code.length,
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
