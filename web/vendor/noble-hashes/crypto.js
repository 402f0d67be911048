// vendored from @noble/hashes 1.3.2 (MIT, see LICENSE) by scripts/vendor-web.mjs; do not edit
export const crypto = typeof globalThis === 'object' && 'crypto' in globalThis ? globalThis.crypto : undefined;
