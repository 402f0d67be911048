// web/verify.js — the verifier's checks in JavaScript, for the page
// (web/index.html) and for Node (tests). An ES module with no dependencies
// but WebCrypto's SHA-256 (globalThis.crypto.subtle, also in Node 20).
//
// It reaches the same decisions as `verifier verify [--offline|--rpc] --json`
// (verifier/verify.c, core/bundle.c, core/jcs.c, core/credential.c,
// core/json.c, core/jfield.c): the same status, the same named checks with
// the same outcomes, and an input error (status "ERROR", no checks) for
// every file the CLI refuses. Messages may be worded differently.
// tests/cli/web_conformance.sh runs the corpus tests/conformance/ through
// both and requires identical results. See docs/web-verifier.md.
//
// Entry point:
//   verifyCredential({credential, bundle, hash, rpc, issuer, revocations})
//     credential  the credential file: Uint8Array, ArrayBuffer or string
//                 (a string is taken as its UTF-8 bytes); or give `hash`
//     hash        a credential hash, 64 hex digits (optional 0x, any case)
//     bundle      the proof bundle file: Uint8Array, ArrayBuffer or string;
//                 leave it out for a credential that carries its bundle
//                 (notary proof --embed, docs/proof-format.md §7); giving
//                 both is an input error, as in `verifier verify`
//     rpc         a JSON-RPC URL: then the ledger checks (web/online.js)
//                 and the revocation check (web/revocation.js) run too, as
//                 `verifier verify --rpc URL --json`
//     issuer      an address or did:web DID (or an array): --issuer; none
//                 given → the "issuer" check is unknown (never VALID)
//     revocations the revocation log copy: bytes or an http(s) URL
//     confirmations, contracts, timeoutSeconds   --confirmations,
//                 --contract, --timeout
//   → Promise<{status, online, ledgerChecked, credentialHash, hashing,
//              checks: [{name, ok, outcome, detail}], error, bundle, embedded}>
//     status: "VALID" | "INVALID" | "UNKNOWN" | "REVOKED" | "ERROR"
//     outcome: "pass" | "fail" | "unknown" | "skipped" | "revoked"
//     bundle: the parsed bundle (null when it could not be read)
//     embedded: true when the bundle came from inside the credential

import { verifyOnline, normalizeIssuers } from './online.js';
import { verifyRevocation } from './revocation.js';
import { credentialIssuer } from './did.js';

export const BUNDLE_MAX_BYTES = 1024 * 1024;
export const CREDENTIAL_MAX_BYTES = 16 * 1024 * 1024;
export const MAX_DEPTH = 64;
const MAX_UINT = 2n ** 53n;
const BUNDLE_TYPE = 'CredentialNotaryProof';

/** An input the verifier refuses (the CLI's exit 2, status "ERROR"). */
export class InputError extends Error {}

export function fail(msg) {
  throw new InputError(msg);
}

export function toBytes(x, what) {
  if (x instanceof Uint8Array) return x;
  if (x instanceof ArrayBuffer) return new Uint8Array(x);
  if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  if (typeof x === 'string') return new TextEncoder().encode(x);
  throw new TypeError(`${what}: give a Uint8Array, an ArrayBuffer or a string`);
}

// ---- strict JSON (core/json.c over jansson) ---------------------------------

// Values: {t:'obj', m: Map}, {t:'arr', a: []}, {t:'str', s}, {t:'num', lit,
// int}, {t:'true'}, {t:'false'}, {t:'null'}. Every number literal is also
// listed in `numbers` with the path of names/indexes that leads to it.

function decodeUtf8(bytes, name) {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    fail(`${name}: invalid UTF-8`);
  }
}

/**
 * Parse JSON text strictly: RFC 8259 grammar, no duplicate member names, no
 * "\u0000", no lone surrogates, no raw control characters in strings, nesting
 * at most MAX_DEPTH, integers within int64 (or, with intsAsReals, every
 * number a finite double), object or array at the top unless anyTop.
 */
export function parseStrict(bytes, { max, intsAsReals = false, anyTop = false, name = 'JSON' }) {
  if (bytes.length > max) fail(`${name}: ${bytes.length} bytes exceeds the limit of ${max} bytes`);
  if (bytes.length === 0) fail(`${name}: invalid JSON: empty document`);
  const s = decodeUtf8(bytes, name);
  const numbers = [];
  let i = 0;
  const err = (what) => fail(`${name}: ${what} at character ${i}`);
  const ws = () => {
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const hex4 = () => {
    const h = s.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) err('invalid \\u escape');
    i += 4;
    return parseInt(h, 16);
  };
  const str = () => {
    i++; // opening quote
    let out = '';
    for (;;) {
      if (i >= s.length) err('truncated string');
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return out;
      }
      if (c < 0x20) err('control character in a string');
      if (c !== 0x5c) {
        out += s[i++];
        continue;
      }
      i++;
      const e = s[i++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const u = hex4();
          if (u === 0) err('NUL character not allowed');
          if (u >= 0xdc00 && u <= 0xdfff) err('lone low surrogate');
          if (u >= 0xd800 && u <= 0xdbff) {
            if (s[i] !== '\\' || s[i + 1] !== 'u') err('lone high surrogate');
            i += 2;
            const l = hex4();
            if (l < 0xdc00 || l > 0xdfff) err('invalid surrogate pair');
            out += String.fromCharCode(u, l);
          } else {
            out += String.fromCharCode(u);
          }
          break;
        }
        default:
          err('invalid escape');
      }
    }
  };
  const isDigit = (c) => c >= '0' && c <= '9';
  const num = (path) => {
    const b = i;
    if (s[i] === '-') i++;
    if (s[i] === '0') {
      i++;
      if (isDigit(s[i])) err('invalid number (leading zero)');
    } else if (isDigit(s[i])) {
      while (isDigit(s[i])) i++;
    } else err('invalid number');
    let int = true;
    if (s[i] === '.') {
      int = false;
      i++;
      if (!isDigit(s[i])) err('invalid number');
      while (isDigit(s[i])) i++;
    }
    if (s[i] === 'e' || s[i] === 'E') {
      int = false;
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!isDigit(s[i])) err('invalid number');
      while (isDigit(s[i])) i++;
    }
    const lit = s.slice(b, i);
    if (int && !intsAsReals) {
      const v = BigInt(lit);
      if (v > 2n ** 63n - 1n || v < -(2n ** 63n)) err('number out of range');
      numbers.push({ lit, path });
      return { t: 'num', lit, int: true, big: v };
    }
    const d = Number(lit);
    if (!Number.isFinite(d)) err('number out of range');
    numbers.push({ lit, path });
    return { t: 'num', lit, int: false, d };
  };
  const value = (depth, path) => {
    ws();
    if (i >= s.length) err('truncated JSON');
    const c = s[i];
    if (c === '{' || c === '[') {
      if (depth + 1 > MAX_DEPTH) fail(`${name}: JSON nested deeper than the limit of ${MAX_DEPTH} levels`);
      i++;
      if (c === '[') {
        const a = [];
        ws();
        if (s[i] === ']') {
          i++;
          return { t: 'arr', a };
        }
        for (;;) {
          a.push(value(depth + 1, [...path, a.length]));
          ws();
          if (s[i] === ',') { i++; continue; }
          if (s[i] === ']') { i++; return { t: 'arr', a }; }
          err("expected ',' or ']'");
        }
      }
      const m = new Map();
      ws();
      if (s[i] === '}') {
        i++;
        return { t: 'obj', m };
      }
      for (;;) {
        ws();
        if (s[i] !== '"') err('expected a member name');
        const k = str();
        if (m.has(k)) fail(`${name}: duplicate object key "${printable(k)}"`);
        ws();
        if (s[i] !== ':') err("expected ':'");
        i++;
        m.set(k, value(depth + 1, [...path, k]));
        ws();
        if (s[i] === ',') { i++; continue; }
        if (s[i] === '}') { i++; return { t: 'obj', m }; }
        err("expected ',' or '}'");
      }
    }
    if (c === '"') return { t: 'str', s: str() };
    if (c === '-' || isDigit(c)) return num(path);
    for (const w of ['true', 'false', 'null']) {
      if (s.startsWith(w, i) && !/[A-Za-z]/.test(s[i + w.length] || '')) {
        i += w.length;
        return { t: w };
      }
    }
    err('invalid token');
  };
  ws();
  if (!anyTop && s[i] !== '{' && s[i] !== '[') err("'[' or '{' expected");
  const top = value(0, []);
  ws();
  if (i < s.length) err('trailing data after the JSON value');
  return { top, numbers };
}

export function printable(k) {
  const p = k.replace(/[^\x20-\x7e]/g, '?');
  return p.length > 40 ? p.slice(0, 40) + '...' : p;
}

// ---- RFC 8785 (core/jcs.c) -------------------------------------------------

/** ECMAScript Number::toString, which RFC 8785 §3.2.2.3 prescribes. */
export function jcsNumber(d) {
  if (!Number.isFinite(d)) throw new InputError(`number ${d} has no JSON form (RFC 8785)`);
  return d === 0 ? '0' : String(d);
}

function jcsSerialize(v) {
  switch (v.t) {
    case 'null': case 'true': case 'false': return v.t;
    case 'num': return jcsNumber(v.int ? Number(v.lit) : v.d);
    case 'str': return JSON.stringify(v.s);
    case 'arr': return '[' + v.a.map(jcsSerialize).join(',') + ']';
    case 'obj': {
      // Default sort compares UTF-16 code units: exactly RFC 8785 §3.2.3.
      const keys = [...v.m.keys()].sort();
      return '{' + keys.map((k) => JSON.stringify(k) + ':' + jcsSerialize(v.m.get(k))).join(',') + '}';
    }
  }
  throw new Error('unknown JSON value');
}

/** RFC 8785 canonical form of strict JSON text (every number a double). */
export function jcsCanonicalize(bytes, max = CREDENTIAL_MAX_BYTES, name = 'JSON') {
  const { top, numbers } = parseStrict(bytes, { max, intsAsReals: true, anyTop: true, name });
  return { canon: jcsSerialize(top), numbers };
}

// A decimal literal as digits × 10^p without leading/trailing zeros
// (core/jcs.c dec_parse, the exponent saturating the same way).
function decParse(s) {
  let i = 0;
  let neg = false;
  if (s[i] === '-' || s[i] === '+') neg = s[i++] === '-';
  const ib = i;
  while (i < s.length && s[i] >= '0' && s[i] <= '9') i++;
  const ie = i;
  let fb = i, fe = i;
  if (s[i] === '.') {
    fb = ++i;
    while (i < s.length && s[i] >= '0' && s[i] <= '9') i++;
    fe = i;
  }
  let x = 0;
  if (s[i] === 'e' || s[i] === 'E') {
    i++;
    let eneg = false;
    if (s[i] === '-' || s[i] === '+') eneg = s[i++] === '-';
    for (; i < s.length && s[i] >= '0' && s[i] <= '9'; i++) if (x < 1e12) x = x * 10 + (s.charCodeAt(i) - 48);
    if (eneg) x = -x;
  }
  let p = x - (fe - fb);
  let intd = s.slice(ib, ie).replace(/^0+/, '');
  let frac = s.slice(fb, fe);
  if (intd === '') {
    frac = frac.replace(/^0+/, '');
    intd = frac;
    frac = '';
  }
  const fracTrim = frac.replace(/0+$/, '');
  p += frac.length - fracTrim.length;
  frac = fracTrim;
  if (frac === '') {
    const t = intd.replace(/0+$/, '');
    p += intd.length - t.length;
    intd = t;
  }
  const d = intd + frac;
  return { neg: d ? neg : false, d, p: d ? p : 0 };
}

/** Is the number literal exactly the value RFC 8785 would hash? (jcs.c number_exact) */
export function numberExact(lit) {
  const a = decParse(lit);
  const mag = a.p + a.d.length;
  if (a.d.length === 0 || (a.d.length <= 15 && mag > -290 && mag < 290)) return true;
  const b = decParse(jcsNumber(Number(lit)));
  return a.d === b.d && a.p === b.p && a.neg === b.neg;
}

function pointer(path) {
  return path.map((p) => '/' + String(p)).join('');
}

// ---- SHA-256 and RFC 9162 (core/merkle.c) -------------------------------------

export async function sha256(bytes) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle)
    throw new Error('SHA-256 is unavailable: WebCrypto needs a secure context (open the page over https or from localhost)');
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

export const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export const fromHex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));

export async function prefixHash(prefix, ...parts) {
  const n = parts.reduce((a, p) => a + p.length, 1);
  const buf = new Uint8Array(n);
  buf[0] = prefix;
  let o = 1;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return sha256(buf);
}

// RFC 9162 §2.1.3.2 step 4 index arithmetic (merkle.c walk_step), on BigInt.
function walkStep(st) {
  const left = (st.fn & 1n) === 1n || st.fn === st.sn;
  if (left && (st.fn & 1n) === 0n)
    while ((st.fn & 1n) === 0n && st.fn !== 0n) {
      st.fn >>= 1n;
      st.sn >>= 1n;
    }
  st.fn >>= 1n;
  st.sn >>= 1n;
  return left;
}

/** Number of audit path hashes for leaf `index` in a tree of `size` (-1 if index >= size). */
export function merklePathLength(index, size) {
  if (index >= size) return -1;
  const st = { fn: index, sn: size - 1n };
  let n = 0;
  for (; st.sn !== 0n; n++) walkStep(st);
  return n;
}

async function rootFromPath(leaf, index, size, path) {
  const st = { fn: index, sn: size - 1n };
  let r = leaf;
  for (const p of path) {
    if (st.sn === 0n) return null;
    r = walkStep(st) ? await prefixHash(1, p, r) : await prefixHash(1, r, p);
  }
  return st.sn === 0n ? r : null;
}

// ---- the credential hash (core/credential.c) ------------------------------------

const HASHING_WORDS = {
  'jcs-sha256': 'jcs-sha256 (JSON: RFC 8785 JCS, then SHA-256)',
  sha256: 'sha256 (not JSON: SHA-256 of the raw bytes)',
  given: 'given (the hash itself was supplied)',
};

/** {hash (hex), hashing} of a credential file, as the notary and the CLI hash it. */
export async function credentialHash(data) {
  const bytes = toBytes(data, 'credential');
  if (bytes.length > CREDENTIAL_MAX_BYTES)
    fail(`credential of ${bytes.length} bytes exceeds the limit of ${CREDENTIAL_MAX_BYTES} bytes`);
  if (bytes.length === 0)
    fail('empty credential (0 bytes): there is nothing to verify; give the credential document');
  let i = 0;
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if (bom) i = 3;
  while (i < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[i])) i++;
  const json = i < bytes.length && (bytes[i] === 0x7b || bytes[i] === 0x5b);
  if (json && bom)
    fail('credential looks like JSON but starts with a UTF-8 byte order mark, which JSON forbids (RFC 8259 §8.1)');
  if (!json) return { hash: toHex(await sha256(bytes)), hashing: 'sha256' };
  let canon, numbers;
  try {
    ({ canon, numbers } = jcsCanonicalize(bytes, CREDENTIAL_MAX_BYTES, 'credential'));
  } catch (e) {
    if (e instanceof InputError)
      fail(`credential starts like JSON but is not strict JSON, so it cannot be canonicalized (RFC 8785): ${e.message}`);
    throw e;
  }
  for (const n of numbers)
    if (!numberExact(n.lit))
      fail(`credential: the number ${n.lit.slice(0, 40)} at ${pointer(n.path) || '/'} cannot be represented ` +
        `exactly as an IEEE-754 double (RFC 8785 would hash it as ${jcsNumber(Number(n.lit))}); the issuer must put such values in strings`);
  return { hash: toHex(await sha256(new TextEncoder().encode(canon))), hashing: 'jcs-sha256' };
}

// ---- the proof bundle (core/bundle.c, core/jfield.c) -------------------------------

const TYPE_WORDS = { obj: 'an object', arr: 'an array', str: 'a string', true: 'a boolean', false: 'a boolean', null: 'null' };
const typeWords = (v) => (v.t === 'num' ? (v.int ? 'an integer' : 'a non-integer number') : TYPE_WORDS[v.t]);

export function onlyKnown(o, where, known) {
  for (const k of o.m.keys())
    if (!known.includes(k))
      fail(`unknown field "${printable(k)}" ${where ? 'in ' + where : 'at the top level'} (version 1 is closed; it allows only ${known.join(', ')})`);
}

export function get(o, where, key, t) {
  const path = where ? `${where}.${key}` : key;
  const v = o.m.get(key);
  if (!v) fail(`${path} is missing`);
  const ok = t === 'int' ? v.t === 'num' && v.int : v.t === t;
  if (!ok) fail(`${path} must be ${{ obj: 'an object', arr: 'an array', str: 'a string', int: 'a JSON integer' }[t]}, got ${typeWords(v)}`);
  return v;
}

export function uint(o, where, key, min) {
  const v = o.m.get(key);
  if (v && v.t === 'num' && !v.int) fail(`${where}.${key} must be a JSON integer (no fraction or exponent), got ${v.lit}`);
  const n = get(o, where, key, 'int').big;
  if (n < BigInt(min) || n > MAX_UINT) fail(`${where}.${key} must be in ${min}..2^53, got ${n}`);
  return n;
}

export function hexValue(v, path, prefixed, n) {
  if (v.t !== 'str') fail(`${path} must be a string, got ${typeWords(v)}`);
  const re = new RegExp(`^${prefixed ? '0x' : ''}[0-9a-f]{${2 * n}}$`);
  if (!re.test(v.s))
    fail(`${path} must be ${prefixed ? '"0x" followed by ' : ''}${2 * n} lowercase hex digits${prefixed ? '' : ' without a "0x" prefix'}`);
  return prefixed ? v.s.slice(2) : v.s;
}

export const hexField = (o, where, key, prefixed, n) => hexValue(get(o, where, key, 'str'), `${where}.${key}`, prefixed, n);

/** Seconds since 1970 of "YYYY-MM-DDTHH:MM:SSZ" (bundle.c bundle_time_parse). */
export function parseTime(s) {
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(s) || s.length !== 20)
    fail(`timestamp "${printable(s)}" is not RFC 3339 UTC in the form YYYY-MM-DDTHH:MM:SSZ`);
  const [y, mo, d, h, mi, se] = [0, 5, 8, 11, 14, 17].map((o, k) => Number(s.slice(o, o + (k ? 2 : 4))));
  if (y < 1970) fail(`timestamp "${s}" is before 1970`);
  if (mo < 1 || mo > 12) fail(`timestamp "${s}" has month ${mo}`);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const dim = [31, 28 + (leap ? 1 : 0), 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (d < 1 || d > dim) fail(`timestamp "${s}" has day ${d}, but that month has ${dim} days`);
  if (h > 23 || mi > 59 || se > 59) fail(`timestamp "${s}" has a time outside 00:00:00..23:59:59`);
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
}

/** "YYYY-MM-DDTHH:MM:SSZ" of Unix seconds, or "(time out of range)" outside 1970..9999. */
export function formatTime(t) {
  if (t < 0n || t >= 253402300800n) return '(time out of range)';
  return new Date(Number(t) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Parse a proof bundle exactly as core/bundle.c bundle_parse does; InputError otherwise. */
export function parseBundle(data, name = 'bundle') {
  const bytes = toBytes(data, 'bundle');
  try {
    if (bytes.length > BUNDLE_MAX_BYTES) fail(`${bytes.length} bytes is larger than the bundle limit of ${BUNDLE_MAX_BYTES} bytes`);
    const { top, numbers } = parseStrict(bytes, { max: BUNDLE_MAX_BYTES, name: 'JSON' });
    for (const n of numbers)
      if (n.lit.length >= 2 && n.lit[0] === '-' && !/[1-9]/.test(n.lit))
        fail(`${n.path.join('.')} must be an unsigned integer written without a sign, got ${n.lit}`);
    return parseDoc(top);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${name}: ${e.message}`);
    throw e;
  }
}

function parseDoc(top) {
  if (top.t !== 'obj') fail(`a proof bundle is a JSON object, got ${typeWords(top)}`);
  const t = top.m.get('type');
  if (!t) fail(`type is missing: not a ${BUNDLE_TYPE} bundle`);
  if (t.t !== 'str') fail(`type must be a string, got ${typeWords(t)}`);
  if (t.s !== BUNDLE_TYPE) fail(`type is "${printable(t.s)}", expected "${BUNDLE_TYPE}"`);
  const v = top.m.get('version');
  if (!v) fail('version is missing');
  if (!(v.t === 'num' && v.int)) fail(`version must be a JSON integer, got ${typeWords(v)}`);
  if (v.big !== 1n) fail(`bundle version ${v.big} is not supported (this verifier reads version 1); use a newer verifier`);
  onlyKnown(top, '', ['type', 'version', 'credential', 'batch', 'inclusion', 'anchor']);

  const c = get(top, '', 'credential', 'obj');
  onlyKnown(c, 'credential', ['hash', 'hashing']);
  const credential = { hash: hexField(c, 'credential', 'hash', false, 32) };
  credential.hashing = get(c, 'credential', 'hashing', 'str').s;
  if (typeof credential.hashing !== 'string' || !Object.hasOwn(HASHING_WORDS, credential.hashing))
    fail(`credential.hashing: unknown credential hashing "${printable(credential.hashing)}": expected jcs-sha256, sha256 or given`);

  const b = get(top, '', 'batch', 'obj');
  onlyKnown(b, 'batch', ['kind', 'seq', 'size', 'root', 'closedAt']);
  const kind = get(b, 'batch', 'kind', 'str').s;
  if (kind !== 'issuance') fail(`batch.kind is "${printable(kind)}"; a credential proof must come from an "issuance" batch`);
  const batch = { kind, seq: uint(b, 'batch', 'seq', 0), size: uint(b, 'batch', 'size', 1) };
  batch.root = hexField(b, 'batch', 'root', false, 32);
  const closed = get(b, 'batch', 'closedAt', 'str').s;
  try {
    batch.closedAt = parseTime(closed);
  } catch (e) {
    fail(`batch.closedAt: ${e.message}`);
  }

  const inc = get(top, '', 'inclusion', 'obj');
  onlyKnown(inc, 'inclusion', ['leafIndex', 'path']);
  const leafIndex = uint(inc, 'inclusion', 'leafIndex', 0);
  const path = get(inc, 'inclusion', 'path', 'arr').a;
  if (leafIndex >= batch.size)
    fail(`inclusion.leafIndex ${leafIndex} is not below batch.size ${batch.size} (leaves are numbered from 0)`);
  const need = merklePathLength(leafIndex, batch.size);
  if (need < 0 || path.length !== need || path.length > 64)
    fail(`inclusion.path has ${path.length} hash${path.length === 1 ? '' : 'es'} but index ${leafIndex} in a tree of ${batch.size} needs ${need}`);
  const inclusion = { leafIndex, path: path.map((p, k) => hexValue(p, `inclusion.path[${k}]`, false, 32)) };

  let anchor = null;
  const a = top.m.get('anchor');
  if (a) {
    if (a.t !== 'obj') fail(`anchor must be an object (omit it in a pending bundle), got ${typeWords(a)}`);
    onlyKnown(a, 'anchor', ['ledger', 'chainId', 'contract', 'issuer', 'txHash', 'blockNumber', 'blockHash', 'blockTime']);
    const ledger = get(a, 'anchor', 'ledger', 'str').s;
    if (ledger !== 'evm' && ledger !== 'ebsi') fail(`anchor.ledger is "${printable(ledger)}"; expected "evm" or "ebsi"`);
    anchor = {
      ledger,
      chainId: uint(a, 'anchor', 'chainId', 1),
      contract: '0x' + hexField(a, 'anchor', 'contract', true, 20),
      issuer: '0x' + hexField(a, 'anchor', 'issuer', true, 20),
      txHash: '0x' + hexField(a, 'anchor', 'txHash', true, 32),
      blockNumber: uint(a, 'anchor', 'blockNumber', 0),
      blockHash: '0x' + hexField(a, 'anchor', 'blockHash', true, 32),
      blockTime: uint(a, 'anchor', 'blockTime', 0),
    };
  }
  return { credential, batch, inclusion, anchored: !!anchor, anchor };
}

// ---- the checks (verifier/verify.c) ---------------------------------------------------

const STATUS_WORDS = {
  VALID: 'the credential is in the bundle\'s batch (offline: ledger not checked)',
  INVALID: 'the proof does not prove this credential',
  UNKNOWN: 'could not decide; do not treat the credential as verified',
  ERROR: 'verification did not run',
  REVOKED: 'the credential was issued and anchored, but the issuer has REVOKED it',
};
export { STATUS_WORDS };

/** The status the CLI derives from check outcomes (verify.c recompute_status). */
export function statusOf(checks) {
  const has = (o) => checks.some((c) => c.outcome === o);
  return has('fail') ? 'INVALID' : has('unknown') ? 'UNKNOWN' : has('revoked') ? 'REVOKED' : 'VALID';
}

export function check(name, outcome, detail) {
  return { name, ok: outcome === 'pass' ? true : outcome === 'fail' || outcome === 'revoked' ? false : null, outcome, detail };
}

/** The offline checks of a subject {hash, hashing} against a parsed bundle (verify_offline). */
export async function verifyOffline(b, subject) {
  const checks = [];
  const have = subject.hash, want = b.credential.hash;
  checks.push(have === want
    ? check('credential.hash', 'pass', `credential hash ${have} equals the bundle's credential.hash`)
    : check('credential.hash', 'fail', `credential hash ${have} differs from the bundle's credential.hash ${want}: this proof is for another credential`));

  const sh = subject.hashing, bh = b.credential.hashing;
  if (sh === 'given') checks.push(check('credential.hashing', 'pass', `hash given directly; the bundle says it was made as ${HASHING_WORDS[bh]}`));
  else if (bh === 'given') checks.push(check('credential.hashing', 'pass', `the issuer submitted the hash directly; the file was hashed as ${HASHING_WORDS[sh]}`));
  else if (sh === bh) checks.push(check('credential.hashing', 'pass', `hashed as ${HASHING_WORDS[sh]}, as the bundle says`));
  else checks.push(check('credential.hashing', 'fail', `the file was hashed as ${HASHING_WORDS[sh]} but the bundle says ${HASHING_WORDS[bh]}`));

  const leaf = await prefixHash(0, fromHex(have));
  const { leafIndex } = b.inclusion, size = b.batch.size;
  const root = await rootFromPath(leaf, leafIndex, size, b.inclusion.path.map(fromHex));
  const n = b.inclusion.path.length;
  if (!root) checks.push(check('inclusion', 'fail', `leaf ${leafIndex} of ${size}: the audit path does not fit the tree`));
  else if (toHex(root) === b.batch.root)
    checks.push(check('inclusion', 'pass', `leaf ${leafIndex} of ${size} (leaf hash ${toHex(leaf)}) and ${n} path hash${n === 1 ? '' : 'es'} lead to batch.root ${b.batch.root}`));
  else
    checks.push(check('inclusion', 'fail', `leaf ${leafIndex} of ${size} (leaf hash ${toHex(leaf)}) and its path lead to ${toHex(root)}, not to batch.root ${b.batch.root}`));

  if (!b.anchored) {
    checks.push(check('anchor', 'unknown', `pending bundle: issuance batch ${b.batch.seq} (closed ${formatTime(BigInt(b.batch.closedAt))}) has no anchor yet, so nothing ties its root to the issuer; ask for the bundle again once the batch is anchored`));
  } else {
    const a = b.anchor;
    checks.push(check('anchor', 'skipped', `NOT CHECKED (offline): the bundle claims ${a.ledger} chain ${a.chainId}, contract ${a.contract}, issuer ${a.issuer}, tx ${a.txHash}, block ${a.blockNumber} ${a.blockHash} at ${formatTime(a.blockTime)}`));
  }
  return checks;
}

/** A subject from a typed hash: 64 hex digits, optional 0x/0X, any case (verify_subject_from_hex). */
export function subjectFromHex(h) {
  const m = /^(?:0[xX])?([0-9a-fA-F]{64})$/.exec(String(h));
  if (!m) fail('--hash: credential hash must be 64 hex digits (SHA-256)');
  return { hash: m[1].toLowerCase(), hashing: 'given' };
}

// ---- a credential that carries its bundle (core/embed.c, proof-format.md §7) ----------

// 1: `v` is our entry; 0: it is not; -1: it names our type in a `type` array (refused).
function isOurs(v) {
  if (v.t !== 'obj') return 0;
  const t = v.m.get('type');
  if (t && t.t === 'str') return t.s === BUNDLE_TYPE ? 1 : 0;
  if (t && t.t === 'arr' && t.a.some((x) => x.t === 'str' && x.s === BUNDLE_TYPE)) return -1;
  return 0;
}

// Where our entry is in the document `doc` (an object): {entry, index}, index -1
// when `proof` is the entry itself; entry null when there is none (embed.c locate).
function locateEntry(doc) {
  const badType = () => fail(`a proof entry names "${BUNDLE_TYPE}" in a type array: an embedded bundle's type must be exactly the string "${BUNDLE_TYPE}"`);
  const p = doc.m.get('proof');
  if (p && p.t === 'obj') {
    const o = isOurs(p);
    if (o < 0) badType();
    return { entry: o ? p : null, index: -1 };
  }
  let entry = null, index = -1;
  if (!p || p.t !== 'arr') return { entry, index };
  p.a.forEach((x, i) => {
    const o = isOurs(x);
    if (o < 0) badType();
    if (!o) return;
    if (entry) fail(`proof has more than one "${BUNDLE_TYPE}" entry (entries ${index} and ${i}): a credential carries at most one embedded bundle`);
    entry = x;
    index = i;
  });
  return { entry, index };
}

/**
 * Look for an embedded bundle in a credential file and compute its credential
 * hash, exactly as core/embed.c embed_split does: {found, bundle, hash,
 * hashing}. No JSON object, no `proof`, or no entry of our type → found false
 * and the plain credentialHash(). Otherwise the entry (in RFC 8785 form, so
 * read by value) is parsed as a bundle and the hash is jcs-sha256 of the
 * document with the entry stripped. InputError for what embed_split refuses.
 */
export async function embedSplit(data, name = 'credential') {
  const bytes = toBytes(data, 'credential');
  const plain = await credentialHash(bytes);
  const none = { found: false, bundle: null, ...plain };
  if (plain.hashing !== 'jcs-sha256') return none;
  const { top } = parseStrict(bytes, { max: CREDENTIAL_MAX_BYTES, intsAsReals: true, anyTop: true, name });
  if (top.t !== 'obj') return none;
  let loc;
  try {
    loc = locateEntry(top);
  } catch (e) {
    if (e instanceof InputError) fail(`${name}: ${e.message}`);
    throw e;
  }
  if (!loc.entry) return none;
  const text = new TextEncoder().encode(jcsSerialize(loc.entry));
  if (text.length > BUNDLE_MAX_BYTES)
    fail(`${name}: the embedded bundle has ${text.length} bytes, more than the bundle limit of ${BUNDLE_MAX_BYTES}`);
  const bundle = parseBundle(text, `${name}: embedded proof`);
  // Strip (embed.c strip): an array left empty goes, one left with one entry becomes it.
  const m = new Map(top.m);
  if (loc.index < 0) m.delete('proof');
  else {
    const a = top.m.get('proof').a.filter((_, i) => i !== loc.index);
    if (a.length === 0) m.delete('proof');
    else m.set('proof', a.length === 1 ? a[0] : { t: 'arr', a });
  }
  const hash = toHex(await sha256(new TextEncoder().encode(jcsSerialize({ t: 'obj', m }))));
  return { found: true, bundle, hash, hashing: 'jcs-sha256' };
}

// ---- the verifier link (notary proof --link, proof-format.md §8) ----------------------

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Bytes of strict base64url (RFC 4648 §5): no padding, no other characters, zero unused bits. */
export function base64urlDecode(s, what = 'base64url') {
  if (s.length > Math.ceil((BUNDLE_MAX_BYTES * 4) / 3)) fail(`${what}: longer than a bundle of ${BUNDLE_MAX_BYTES} bytes can be`);
  if (s.length === 0) fail(`${what}: empty`);
  const bad = /[^A-Za-z0-9_-]/.exec(s);
  if (bad) fail(`${what}: character ${JSON.stringify(bad[0])} at position ${bad.index} is not base64url (A-Z a-z 0-9 - _, no "=" padding)`);
  if (s.length % 4 === 1) fail(`${what}: ${s.length} characters cannot be base64url (truncated?)`);
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0, bits = 0, o = 0;
  for (const ch of s) {
    acc = (acc << 6) | B64URL.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) fail(`${what}: the last character has bits set beyond the data (not canonical base64url; the link was altered?)`);
  return out;
}

/**
 * The bundle a verifier link carries: `fragment` is location.hash
 * ("#bundle=<base64url>"). Returns null when the fragment is empty, else
 * {bytes, bundle} (bytes: the bundle file, bundle: parsed by every rule of
 * parseBundle). InputError for anything else, saying what is wrong.
 */
export function bundleFromFragment(fragment) {
  const f = String(fragment || '').replace(/^#/, '');
  if (f === '') return null;
  if (!f.startsWith('bundle=')) fail('link: the part after "#" must be bundle=<base64url> (made by notary proof --link)');
  const bytes = base64urlDecode(f.slice(7), 'link: bundle');
  return { bytes, bundle: parseBundle(bytes, 'link: bundle') };
}

/** See the top of this file. */
export async function verifyCredential({ credential, bundle, hash, rpc, issuer, revocations, confirmations = 1, contracts = [], timeoutSeconds = 30, memo = null } = {}) {
  const online = rpc != null && rpc !== '';
  if (!online && ((issuer != null && issuer !== '' && !(Array.isArray(issuer) && !issuer.length)) || (revocations != null && revocations !== '')))
    throw new TypeError('issuer and revocations need the ledger: give rpc (a JSON-RPC URL) too');
  if (credential == null && hash == null) throw new TypeError('give a credential or a hash');
  if (credential != null && hash != null) throw new TypeError('give either a credential or a hash, not both');
  if (bundle == null && hash != null) throw new TypeError('give the proof bundle');
  const result = { status: 'ERROR', ledgerChecked: false, online, credentialHash: null, hashing: null, checks: [], error: null, bundle: null, embedded: false, issuerName: null, issuerDisplay: null, issuerBasis: null };
  try {
    let issuers = null, claim = null;
    if (online) {
      try {
        issuers = normalizeIssuers(issuer);
      } catch (e) {
        fail(`issuer: ${e.message}`);
      }
      if (!Number.isInteger(confirmations) || confirmations < 1 || confirmations > 100000) fail('confirmations: give a number from 1 to 100000');
    }
    // As verifier/main.c: the credential first (it may carry the bundle), then the bundle file.
    let subject;
    if (credential != null) {
      const sp = await embedSplit(credential);
      if (sp.found && bundle != null)
        fail('credential: the credential carries its proof bundle (embedded); give it without a separate bundle, or give the plain credential with its bundle');
      if (!sp.found && bundle == null)
        fail('credential: this credential carries no embedded proof bundle (notary proof --embed); give its proof bundle too');
      subject = { hash: sp.hash, hashing: sp.hashing };
      if (online) claim = credentialIssuer(toBytes(credential, 'credential'));
      result.embedded = sp.found;
      if (sp.found) result.bundle = sp.bundle;
    } else {
      subject = subjectFromHex(hash);
    }
    if (bundle != null) result.bundle = parseBundle(bundle);
    result.credentialHash = subject.hash;
    result.hashing = subject.hashing;
    result.checks = await verifyOffline(result.bundle, subject);
    if (online) {
      // verifier/main.c: verify_online, then verify_revocation, one deadline for both.
      const opt = { rpc, issuers, contracts: contracts.map((c) => String(c).toLowerCase()), confirmations: BigInt(confirmations),
        deadlineMs: Date.now() + timeoutSeconds * 1000, revocations, claim, result, memo };
      const confirmed = await verifyOnline(result.bundle, opt, result.checks);
      await verifyRevocation(result.bundle, opt, result.checks, statusOf(result.checks));
      result.ledgerChecked = confirmed && statusOf(result.checks) !== 'INVALID';
    }
    result.status = statusOf(result.checks);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    result.error = e.message;
    result.checks = [];
  }
  return result;
}
