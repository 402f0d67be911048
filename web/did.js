// web/did.js — the issuer's name by did:web, for the page: the same rules as
// anchor/did.c (did_web_url, did_doc_parse, did_web_resolve) and the issuer
// check of verifier/issuer.c (pinned addresses and DIDs, else the DID the
// credential names in its "issuer"), with the same outcomes:
//   listed → pass naming the DID (and the document's CredentialNotaryIssuer name);
//   a document that does not list the address, or is malformed, too big, has
//     another id, or answers with a redirect → fail;
//   unreachable (network, HTTP status other than 200, time limit, the host's
//     CORS refusing this page's origin), a DID method not resolved → unknown.
// The page fetches the document itself: the DID host must send
// Access-Control-Allow-Origin (docs/web-verifier.md).
import { keccak_256 } from './noble-sha3.js';
import { check, parseStrict, InputError, printable } from './verify.js';

export const DID_MAX_LEN = 256; // with the C string's NUL: at most 255 bytes
export const DID_DOC_MAX_BYTES = 64 * 1024;
export const DID_MAX_METHODS = 32;
export const DID_ACCOUNT_TYPE = 'EcdsaSecp256k1RecoveryMethod2020';
export const DID_NAME_SERVICE_TYPE = 'CredentialNotaryIssuer';
const DID_NAME_MAX = 128;
const CREDENTIAL_ISSUER_MAX = 256;
const JFIELD_MAX_UINT = 2n ** 53n;

/** A DID that gives no answer about the address (E_NETWORK / E_UNSUPPORTED in the C code): unknown. */
export class DidUnresolved extends Error {}
/** An answer that the DID does not name the address (E_INVALID / E_LIMIT): fail. */
export class DidInvalid extends Error {}

const enc = new TextEncoder();
const bytesOf = (s) => enc.encode(s).length;
const isAlnum = (c) => /^[A-Za-z0-9]$/.test(c);
// jfield_printable: printable ASCII, other bytes '?', cut with "..."
const shown = (s, n = 80) => {
  const p = Array.from(enc.encode(s), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '?')).join('');
  return p.length > n - 1 ? p.slice(0, n - 4) + '...' : p;
};

function hostOk(h) {
  if (h.length === 0 || h.length > 253) return false;
  let onlyDigits = true, label = 0;
  for (let i = 0; i < h.length; i++) {
    const c = h[i];
    if (c === '.') {
      if (label === 0 || h[i - 1] === '-') return false;
      label = 0;
      continue;
    }
    if (!isAlnum(c) && c !== '-') return false;
    if (c === '-' && label === 0) return false;
    if (!(c >= '0' && c <= '9')) onlyDigits = false;
    if (++label > 63) return false;
  }
  return label > 0 && h[h.length - 1] !== '-' && !onlyDigits;
}

/** The document URL of a did:web DID (anchor/did.c did_web_url). DidInvalid for anything it refuses. */
export function didWebUrl(did) {
  const bad = (m) => { throw new DidInvalid(m); };
  if (typeof did !== 'string') bad('a DID is a string');
  if (bytesOf(did) >= DID_MAX_LEN || did.includes('\0')) bad(`a DID is at most ${DID_MAX_LEN - 1} bytes`);
  const sh = shown(did);
  if (!did.startsWith('did:web:')) bad(`${sh}: not a did:web DID (only did:web:HOST[%3APORT][:PATH...] is resolved)`);
  const p = did.slice(8);
  const hl = p.indexOf(':') < 0 ? p.length : p.indexOf(':');
  const hostPart = p.slice(0, hl);
  const pct = hostPart.indexOf('%');
  const host = pct < 0 ? hostPart : hostPart.slice(0, pct);
  let port = '';
  if (pct >= 0) {
    const rest = hostPart.slice(pct), digits = rest.slice(3);
    if (rest.length < 4 || (rest.slice(0, 3) !== '%3A' && rest.slice(0, 3) !== '%3a') || digits.length > 5)
      bad(`${sh}: after the host only %3A and a port may follow`);
    if (!/^[0-9]+$/.test(digits)) bad(`${sh}: the port must be decimal digits`);
    const v = Number(digits);
    if (v < 1 || v > 65535 || digits[0] === '0') bad(`${sh}: the port must be 1..65535`);
    port = ':' + v;
  }
  if (!hostOk(host)) bad(`${sh}: the host must be a DNS name (letters, digits, '-' and '.'; not an IP address)`);
  let url = `https://${host}${port}`;
  let s = p.slice(hl);
  if (!s) return url + '/.well-known/did.json';
  for (const seg of s.slice(1).split(':')) {
    if (seg === '' || seg === '.' || seg === '..' || ![...seg].every((c) => isAlnum(c) || c === '.' || c === '-' || c === '_'))
      bad(`${sh}: a path segment must be letters, digits, '.', '-' or '_' (not empty, '.' or '..')`);
    url += '/' + seg;
  }
  return url + '/did.json';
}

/** An Ethereum address with an EIP-55 checksum when mixed case (anchor/signer.c eth_address_parse), lowercase. */
function ethAddress(s) {
  if (!/^0x[0-9a-fA-F]{40}$/.test(s)) return null;
  const h = s.slice(2);
  if (h === h.toLowerCase() || h === h.toUpperCase()) return '0x' + h.toLowerCase();
  const k = keccak_256(enc.encode(h.toLowerCase()));
  for (let i = 0; i < 40; i++) {
    const nib = (k[i >> 1] >> (i % 2 ? 0 : 4)) & 15;
    const c = h[i];
    if (/[a-f]/.test(c) && nib >= 8) return null;
    if (/[A-F]/.test(c) && nib < 8) return null;
  }
  return '0x' + h.toLowerCase();
}

function isUri(s) {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:(.+)$/.exec(s);
  return !!m && /^[\x21-\x7e]+$/.test(m[1]);
}

const TYPES = { obj: 'an object', arr: 'an array', str: 'a string' };
function want(v, where, t) {
  if (!v || v.t !== t) throw new DidInvalid(`DID document: ${where} must be ${TYPES[t]}`);
  return v;
}
const str = (o, where, key) => want(o.m.get(key), `${where ? where + '.' : ''}${key}`, 'str').s;

function readAccount(where, v) {
  const bad = (m) => { throw new DidInvalid(`DID document: ${where}.blockchainAccountId${m}, got "${shown(v, 100)}"`); };
  if (!v.startsWith('eip155:')) bad(' must be "eip155:CHAIN:0xADDRESS" (CAIP-10)');
  const m = /^([0-9]{1,17}):(.*)$/s.exec(v.slice(7));
  if (!m || m[1][0] === '0' || BigInt(m[1]) > JFIELD_MAX_UINT) bad(': the chain id must be a decimal number 1..2^53 without leading zeros');
  const addr = m[2].length === 42 ? ethAddress(m[2]) : null;
  if (!addr) bad(': the address must be 0x and 40 hex digits (EIP-55 checksum if mixed case)');
  return { chainId: BigInt(m[1]), addr };
}

/**
 * A DID document's bytes → {accounts: [{chainId (BigInt), addr, vmId}], name, alsoKnownAs}
 * (anchor/did.c did_doc_parse: strict JSON, "id" exactly the DID, accounts of
 * type EcdsaSecp256k1RecoveryMethod2020, one CredentialNotaryIssuer service
 * naming the issuer). DidInvalid for anything the C parser refuses.
 */
export function parseDidDoc(bytes, did) {
  let top;
  try {
    top = parseStrict(bytes, { max: DID_DOC_MAX_BYTES, anyTop: true, name: 'DID document' }).top;
  } catch (e) {
    if (e instanceof InputError) throw new DidInvalid(e.message);
    throw e;
  }
  want(top, 'the document', 'obj');
  const id = str(top, '', 'id');
  if (id !== did) throw new DidInvalid(`DID document: id is "${shown(id, 100)}", not the DID "${shown(did, 100)}" being resolved`);
  const out = { accounts: [], name: '', alsoKnownAs: '' };
  const aka = top.m.get('alsoKnownAs');
  if (aka) {
    want(aka, 'alsoKnownAs', 'arr');
    const u = aka.a.find((x) => x.t === 'str' && isUri(x.s));
    if (u) out.alsoKnownAs = shown(u.s, 128);
  }
  const svcs = top.m.get('service');
  if (svcs) {
    want(svcs, 'service', 'arr');
    if (svcs.a.length > DID_MAX_METHODS) throw new DidInvalid(`DID document: service has ${svcs.a.length} entries, at most ${DID_MAX_METHODS} are read`);
    let seen = false;
    svcs.a.forEach((svc, i) => {
      const where = `service[${i}]`;
      want(svc, where, 'obj');
      const t = svc.m.get('type');
      const ours = t && ((t.t === 'str' && t.s === DID_NAME_SERVICE_TYPE) || (t.t === 'arr' && t.a.some((x) => x.t === 'str' && x.s === DID_NAME_SERVICE_TYPE)));
      if (!ours) return;
      if (seen) throw new DidInvalid(`DID document: ${where}: a second ${DID_NAME_SERVICE_TYPE} service (one name only)`);
      seen = true;
      const ep = svc.m.get('serviceEndpoint');
      if (!ep) throw new DidInvalid(`DID document: ${where}.serviceEndpoint is missing`);
      want(ep, `${where}.serviceEndpoint`, 'obj');
      const name = str(ep, `${where}.serviceEndpoint`, 'name');
      const n = bytesOf(name);
      if (!(n > 0 && n < DID_NAME_MAX && !name.includes('\0') && !/[\x00-\x1f\x7f]/.test(name)))
        throw new DidInvalid(`DID document: ${where}.serviceEndpoint.name must be 1..${DID_NAME_MAX - 1} bytes of text without control characters`);
      out.name = shown(name, DID_NAME_MAX);
    });
  }
  const vms = top.m.get('verificationMethod');
  if (!vms) return out;
  want(vms, 'verificationMethod', 'arr');
  if (vms.a.length > DID_MAX_METHODS) throw new DidInvalid(`DID document: verificationMethod has ${vms.a.length} entries, at most ${DID_MAX_METHODS} are read`);
  vms.a.forEach((vm, i) => {
    const where = `verificationMethod[${i}]`;
    want(vm, where, 'obj');
    if (str(vm, where, 'type') !== DID_ACCOUNT_TYPE) return;
    const vmId = str(vm, where, 'id');
    const acc = readAccount(where, str(vm, where, 'blockchainAccountId'));
    out.accounts.push({ ...acc, vmId: shown(vmId, 128) });
  });
  return out;
}

/** Read at most `max` bytes of a response body; null when it has more. */
async function readLimited(res, max) {
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    return b.length > max ? null : b;
  }
  const reader = res.body.getReader();
  const parts = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    parts.push(value);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/**
 * Resolve a did:web DID (anchor/did.c did_web_resolve): one GET of its
 * document, https only, no redirect followed (a redirect is an answer: fail),
 * at most 64 KiB, within the deadline. → {url, doc}. DidInvalid / DidUnresolved.
 */
export async function resolveDidWeb(did, { deadlineMs = Date.now() + 30000, timeoutMs = 10000 } = {}) {
  const url = didWebUrl(did);
  const left = deadlineMs - Date.now();
  if (left <= 0) throw new DidUnresolved(`${url}: cannot fetch: the time limit for the verification ran out`);
  let res;
  try {
    res = await fetch(url, { method: 'GET', cache: 'no-store', credentials: 'omit', redirect: 'manual', referrerPolicy: 'no-referrer',
      signal: AbortSignal.timeout(Math.min(timeoutMs, left)) });
  } catch (e) {
    throw new DidUnresolved(`${url}: cannot fetch: ${e.name === 'TimeoutError' ? 'timed out'
      : 'no answer (is the host up, is its certificate trusted, and does it allow this page\'s origin — Access-Control-Allow-Origin?)'}`);
  }
  // redirect: 'manual' — the browser gives an "opaqueredirect" response, Node the 3xx itself; neither is followed.
  if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400))
    throw new DidInvalid(`${url}: the server answered ${res.status ? 'HTTP ' + res.status + ', ' : ''}a redirect; it is not followed`);
  if (res.status !== 200) throw new DidUnresolved(`${url}: the server answered HTTP ${res.status}`);
  let body;
  try {
    body = await readLimited(res, DID_DOC_MAX_BYTES);
  } catch (e) {
    throw new DidUnresolved(`${url}: cannot fetch: ${e.name === 'TimeoutError' ? 'timed out' : 'the transfer broke off'}`);
  }
  if (!body) throw new DidInvalid(`${url}: larger than the DID document limit of ${DID_DOC_MAX_BYTES} bytes`);
  return { url, doc: parseDidDoc(body, did) };
}

/** Resolve a DID by its method (issuer.c resolve_did): did:web only; others DidUnresolved. */
async function resolveDid(did, o) {
  if (did.startsWith('did:web:') && o.memo) {
    // a run's memo (web/batch.js): one fetch per DID per run; failures are asked again
    let p = o.memo.dids.get(did);
    if (!p) {
      p = resolveDidWeb(did, o);
      o.memo.dids.set(did, p);
      p.catch(() => { if (o.memo.dids.get(did) === p) o.memo.dids.delete(did); });
    }
    return p;
  }
  if (did.startsWith('did:web:')) return resolveDidWeb(did, o);
  if (did.startsWith('did:ebsi:')) throw new DidUnresolved('did:ebsi resolution is not supported yet');
  throw new DidUnresolved('a DID method this verifier does not resolve (did:web)');
}

/**
 * The issuer a JSON credential names (core/credential.c credential_issuer_read):
 * {kind: 'none'} | {kind: 'id', id} | {kind: 'unusable', why}. Never throws.
 */
export function credentialIssuer(bytes) {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (i >= bytes.length || bytes[i] !== 0x7b) return { kind: 'none' };
  let top;
  try {
    top = parseStrict(bytes, { max: 16 * 1024 * 1024, name: 'credential' }).top;
  } catch (e) {
    if (e instanceof InputError) return { kind: 'none' };
    throw e;
  }
  let iss = top.m.get('issuer');
  if (!iss) return { kind: 'none' };
  if (iss.t === 'obj') iss = iss.m.get('id');
  if (!iss || iss.t !== 'str') return { kind: 'unusable', why: 'its "issuer" is neither a string nor an object with a string "id"' };
  const n = bytesOf(iss.s);
  if (n === 0 || n >= CREDENTIAL_ISSUER_MAX) return { kind: 'unusable', why: `its issuer id is empty or longer than ${CREDENTIAL_ISSUER_MAX - 1} bytes` };
  if (/[\x00-\x1f\x7f]/.test(iss.s)) return { kind: 'unusable', why: 'its issuer id contains a control character' };
  return { kind: 'id', id: iss.s };
}

// ---- the issuer check (verifier/issuer.c verify_issuer_check) --------------------------

async function didLists(did, a, o) {
  const { url, doc } = await resolveDid(did, o);
  const k = doc.accounts.findIndex((x) => x.chainId === a.chainId && x.addr === a.issuer);
  return { url, doc, k };
}

function passDid(checks, res, did, r, basis, verb, note) {
  const acc = r.doc.accounts[r.k];
  res.issuerName = did;
  res.issuerDisplay = r.doc.name;
  res.issuerBasis = basis;
  checks.push(check('issuer', 'pass', `issued by ${did}${r.doc.name ? ' — ' + r.doc.name : ''} (${acc.addr})` +
    `${r.doc.alsoKnownAs ? ', also known as ' + r.doc.alsoKnownAs : ''}: ${basis}; its DID document ${r.url} lists ${acc.addr} as ${acc.vmId} ` +
    `(${DID_ACCOUNT_TYPE}, eip155:${acc.chainId})${note}`));
}

function notEstablished(checks, verb, ad, why) {
  checks.push(check('issuer', 'unknown', `issuer not established: the bundle's root was ${verb} ${ad} but nothing names who that is; ` +
    `give the issuer's address or did:web DID${why}`));
}

async function checkClaim(a, verb, claim, o, checks, res) {
  const ad = a.issuer;
  if (!claim) return notEstablished(checks, verb, ad, ' (a hash was given: no credential names its issuer)');
  if (claim.kind === 'none') return notEstablished(checks, verb, ad, ' (the credential names no issuer: not a JSON credential with an "issuer")');
  if (claim.kind === 'unusable') return notEstablished(checks, verb, ad, ` (the credential names no usable issuer: ${claim.why})`);
  const sh = shown(claim.id, 100);
  if (!claim.id.startsWith('did:')) return notEstablished(checks, verb, ad, ` (the credential's issuer "${sh}" is not a DID)`);
  let r;
  try {
    if (claim.id.startsWith('did:web:')) {
      try { didWebUrl(claim.id); } catch (e) { throw new DidUnresolved(e.message); } // a DID it cannot turn into a URL: no answer
    }
    r = await didLists(claim.id, a, o);
  } catch (e) {
    if (e instanceof DidUnresolved) {
      checks.push(check('issuer', 'unknown', `the credential names its issuer as ${sh}, which could not be resolved: ${e.message}. ` +
        `The issuer is not established (the root was ${verb} ${ad}): try again later, or give the issuer's address or DID`));
      return;
    }
    if (e instanceof DidInvalid) {
      checks.push(check('issuer', 'fail', `the credential names its issuer as ${sh}, but ${e.message}: the issuer is not established as ${verb} ${ad}`));
      return;
    }
    throw e;
  }
  if (r.k >= 0) return passDid(checks, res, claim.id, r, 'DID from the credential', verb, '');
  checks.push(check('issuer', 'fail', `the credential names its issuer as ${sh}, but its DID document ${r.url} lists no ${DID_ACCOUNT_TYPE} ` +
    `account ${ad} for chain ${a.chainId}: the root was ${verb} ${ad}, not by that issuer`));
}

function claimNote(claim, matched) {
  if (!claim || claim.kind !== 'id') return '';
  if (matched && claim.id === matched) return '; the credential names the same issuer';
  return `; the credential names its issuer as ${shown(claim.id, 100)}, not checked: the pinned issuer decides`;
}

/**
 * The "issuer" check (verifier/issuer.c): `trusted` {addrs, dids} given by the
 * visitor; `claim` the credential's own issuer (credentialIssuer(), null for a
 * bare hash), consulted only when nothing is pinned. Appends one check; sets
 * res.issuerName / issuerDisplay / issuerBasis on a pass by DID.
 */
export async function issuerCheck(a, verb, trusted, claim, o, checks, res = {}) {
  if (trusted.addrs.length + trusted.dids.length === 0) return checkClaim(a, verb, claim, o, checks, res);
  if (trusted.addrs.includes(a.issuer)) {
    res.issuerBasis = 'pinned address';
    checks.push(check('issuer', 'pass', `${verb} ${a.issuer}, a trusted issuer: pinned address${claimNote(claim, null)}`));
    return;
  }
  let unknown = false, whyUnknown = '', whyFail = '';
  for (const did of trusted.dids) {
    let r;
    try {
      r = await didLists(did, a, o);
    } catch (e) {
      if (e instanceof DidUnresolved) {
        unknown = true;
        if (!whyUnknown) whyUnknown = `${did} could not be resolved: ${e.message}`;
        continue;
      }
      if (!(e instanceof DidInvalid)) throw e;
      if (!whyFail) whyFail = `${did}: ${e.message}`;
      continue;
    }
    if (r.k >= 0) return passDid(checks, res, did, r, 'DID given as the issuer', verb, claimNote(claim, did));
    if (!whyFail) whyFail = `${did}: its DID document lists no ${DID_ACCOUNT_TYPE} account ${a.issuer} for chain ${a.chainId}`;
  }
  if (unknown)
    checks.push(check('issuer', 'unknown', `${verb} ${a.issuer}, not a trusted address; ${whyUnknown}. The issuer is not established: try again later`));
  else
    checks.push(check('issuer', 'fail', `${verb} ${a.issuer}, which is not among the trusted issuers${whyFail ? '; ' + whyFail : ''}`));
}

/** Check an issuer the visitor typed (verify_trusted_add): an address, or a did:web DID with a valid URL. TypeError otherwise. */
export function checkDidArg(s) {
  try {
    didWebUrl(s);
  } catch (e) {
    throw new TypeError(`issuer "${printable(s)}": ${e.message}`);
  }
}
