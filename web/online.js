// web/online.js — the ledger checks of `verifier verify --rpc URL --json` for
// the page (verifier/online.c, online_evm.c, issuer.c; docs/proof-format.md
// §5), through JSON-RPC over fetch() to the endpoint the visitor chooses.
// Same check names, order and outcomes as the CLI; details may be worded
// differently. The revocation check is web/revocation.js. Used by
// verifyCredential() in web/verify.js, never on its own.
import { keccak_256 } from './noble-sha3.js';
import { check, formatTime } from './verify.js';
import { issuerCheck, checkDidArg } from './did.js';
import { ebsiFlow } from './ebsi.js';
import { parseAnchored2, anchoredAt2, issuerKeyCheck } from './keyhistory.js';

const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export const REGISTRY = { runtimeCodeKeccak: null, runtime2CodeKeccak: null }; // filled from registry.json by loadRegistry()
const ZERO_WORD = '0'.repeat(24);

/** A ledger that could not be consulted (unreachable, malformed answer): UNKNOWN, never VALID or INVALID. */
export class LedgerError extends Error {}

export const keccakHex = (bytes) => toHex(keccak_256(bytes));
const utf8 = (s) => new TextEncoder().encode(s);
export const selector = (sig) => keccakHex(utf8(sig)).slice(0, 8);
export const ANCHORED_TOPIC = '0x' + keccakHex(utf8('Anchored(address,bytes32,uint64,uint64,uint8)'));

/** The registry's runtime-code hash, from web/registry.json next to this module (made by scripts/vendor-web.mjs). */
export async function loadRegistry() {
  if (REGISTRY.runtimeCodeKeccak) return REGISTRY;
  const url = new URL('./registry.json', import.meta.url);
  let j;
  if (url.protocol === 'file:') {
    const fs = await import('node:fs');
    j = JSON.parse(fs.readFileSync(url, 'utf8'));
  } else {
    j = await (await fetch(url)).json();
  }
  if (!/^0x[0-9a-f]{64}$/.test(j.runtimeCodeKeccak)) throw new Error('registry.json: no runtimeCodeKeccak');
  REGISTRY.runtimeCodeKeccak = j.runtimeCodeKeccak;
  REGISTRY.runtime2CodeKeccak = j.runtime2CodeKeccak || null; // NotaryRegistry2 (web/keyhistory.js)
  return REGISTRY;
}

// ---- JSON-RPC (anchor/rpc.c: timeouts, retries, strict answers) ------------------

/**
 * A JSON-RPC client for `url`: per-request timeout, up to 3 attempts on
 * network errors and HTTP 429/5xx, one overall deadline. Every failure is a
 * LedgerError. A URL that is not http(s) is one too ("bad ledger URL").
 */
export function rpcClient(url, { timeoutMs = 10000, deadlineMs = Date.now() + 30000, attempts = 3, memo = null } = {}) {
  let u;
  try {
    u = new URL(url);
  } catch {
    throw new LedgerError(`bad ledger URL: "${String(url).slice(0, 80)}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LedgerError(`bad ledger URL: only http:// and https:// are used, not ${u.protocol}`);
  let id = 0;
  const call = async (method, params = []) => {
    let last = '';
    for (let a = 1; a <= attempts; a++) {
      const left = deadlineMs - Date.now();
      if (left <= 0) throw new LedgerError(`${method}: the time limit for the verification ran out${last ? ' (' + last + ')' : ''}`);
      let res, text;
      try {
        res = await fetch(u, {
          method: 'POST', headers: { 'Content-Type': 'application/json' }, cache: 'no-store', credentials: 'omit',
          redirect: 'error', body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
          signal: AbortSignal.timeout(Math.min(timeoutMs, left)),
        });
        text = await res.text();
      } catch (e) {
        last = `${u.origin}: ${e.name === 'TimeoutError' ? 'timed out' : 'could not connect (is the endpoint up, and does it allow this page\'s origin — CORS?)'}`;
        continue;
      }
      if (res.status === 429 || res.status >= 500) { last = `${method}: HTTP ${res.status}`; continue; }
      if (res.status !== 200) throw new LedgerError(`${method}: HTTP ${res.status} from ${u.origin}`);
      if (text.length > 32 * 1024 * 1024) throw new LedgerError(`${method}: answer larger than 32 MiB`);
      let j;
      try { j = JSON.parse(text); } catch { throw new LedgerError(`${method}: the answer is not JSON`); }
      if (j && j.error) {
        const err = new LedgerError(`${method}: ${String(j.error.message || JSON.stringify(j.error)).slice(0, 200)}`);
        err.rpcError = j.error; // {code, message, data}: a revert's bytes (web/ebsi.js getTimestamp)
        throw err;
      }
      if (!j || typeof j !== 'object' || !('result' in j)) throw new LedgerError(`${method}: the answer has no result`);
      return j.result;
    }
    throw new LedgerError(last || `${method}: no answer`);
  };
  if (!memo) return { call, origin: u.origin };
  // A run's memo (web/batch.js, anchor/rpc_memo.c): read-only questions asked once per run,
  // keyed by the whole request (endpoint, method, parameters), failures never kept.
  const memoCall = (method, params = []) => {
    if (!MEMO_METHODS.has(method)) return call(method, params);
    const key = `${u.href}\n${method}\n${canonicalJson(params)}`;
    let p = memo.rpc.get(key);
    if (p) memo.hits++;
    else {
      memo.misses++;
      p = call(method, params);
      memo.rpc.set(key, p);
      p.catch(() => { if (memo.rpc.get(key) === p) memo.rpc.delete(key); });
    }
    return p.then((r) => structuredClone(r));
  };
  return { call: memoCall, origin: u.origin };
}

// anchor/rpc_memo.c rpc_memo_cacheable: the read-only methods.
const MEMO_METHODS = new Set(['eth_chainId', 'eth_getCode', 'eth_call', 'eth_getTransactionByHash', 'eth_getTransactionReceipt',
  'eth_getBlockByNumber', 'eth_getBlockByHash', 'eth_blockNumber', 'eth_getLogs']);
/** JSON with object keys sorted (the memo's key of a request's parameters). */
export function canonicalJson(v) {
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  if (v && typeof v === 'object') return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonicalJson(v[k])).join(',') + '}';
  return JSON.stringify(v);
}

const bad = (what) => { throw new LedgerError(`malformed answer: ${what}`); };
export function qty(v, what) {
  if (typeof v !== 'string' || !/^0x(0|[1-9a-f][0-9a-f]*)$/i.test(v)) bad(`${what} is not a hex quantity`);
  const n = BigInt(v);
  if (n >= 2n ** 64n) bad(`${what} is out of range`);
  return n;
}
export function data(v, what, n) {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v) || (n !== undefined && v.length !== 2 + 2 * n)) bad(`${what} is not ${n === undefined ? 'hex data' : n + ' bytes of hex'}`);
  return v.toLowerCase();
}
export const hexq = (n) => '0x' + BigInt(n).toString(16);

// One ABI word as an unsigned integer of `bits` bits (anchor/abi.c abi_get_uint: high bytes zero).
export function word(hex, i, bits, what) {
  const w = hex.slice(64 * i, 64 * (i + 1));
  if (w.length !== 64) bad(`${what}: missing word ${i}`);
  const v = BigInt('0x' + w);
  if (v >= 2n ** BigInt(bits)) bad(`${what}: word ${i} is out of range for uint${bits}`);
  return v;
}

/** eth_call of `to` with `calldata` at `block`; the answer must be exactly `want` bytes (hex without 0x). */
export async function ethCall(rpc, to, calldata, block, want) {
  const r = data(await rpc.call('eth_call', [{ to, data: '0x' + calldata }, block]), 'eth_call result');
  if (r.length !== 2 + 2 * want) throw new LedgerError(`contract answered ${(r.length - 2) / 2} bytes where ${want} were expected: is it a NotaryRegistry?`);
  return r.slice(2);
}
export const addrWord = (a) => ZERO_WORD + a.slice(2);

/** anchoredAt(issuer, root) (anchor/registry.c registry_anchored_at). */
export async function anchoredAt(rpc, contract, issuer, root, block) {
  const ret = await ethCall(rpc, contract, selector('anchoredAt(address,bytes32)') + addrWord(issuer) + root, block, 160);
  const w = (i, b) => word(ret, i, b, 'anchoredAt answer out of range');
  return { blockNumber: w(0, 64), timestamp: w(1, 64), size: w(2, 64), seq: w(3, 64), kind: w(4, 8) };
}

/** An Anchored event of the registry, decoded (registry_parse_event), or null if the log is not one. */
export function parseAnchored(log) {
  try {
    const t = log.topics;
    if (!Array.isArray(t) || t.length !== 3 || String(t[0]).toLowerCase() !== ANCHORED_TOPIC) return null;
    const d = data(log.data, 'log data');
    if (d.length !== 2 + 192) return null;
    const t1 = data(t[1], 'topic', 32), t2 = data(t[2], 'topic', 32);
    if (t1.slice(2, 26) !== ZERO_WORD) return null;
    const hex = d.slice(2);
    return { issuer: '0x' + t1.slice(26), root: t2.slice(2), size: word(hex, 0, 64, 'event'), seq: word(hex, 1, 64, 'event'), kind: word(hex, 2, 8, 'event') };
  } catch (e) {
    if (e instanceof LedgerError) return null;
    throw e;
  }
}

async function blockByNumber(rpc, n) {
  const b = await rpc.call('eth_getBlockByNumber', [hexq(n), false]);
  if (b === null) return null;
  if (!b || typeof b !== 'object') bad('block');
  return { number: qty(b.number, 'block.number'), hash: data(b.hash, 'block.hash', 32), timestamp: qty(b.timestamp, 'block.timestamp') };
}

// evm.c evm_block_canonical: is `hash` the block at height `number`? With its time and depth.
async function blockCanonical(rpc, number, hash) {
  const b = await blockByNumber(rpc, number);
  if (!b || b.hash !== hash) return { canonical: false, depth: 0n };
  const latest = qty(await rpc.call('eth_blockNumber'), 'eth_blockNumber');
  return { canonical: true, depth: latest >= number ? latest - number + 1n : 0n, time: b.timestamp };
}

// ---- the issuer (verifier/issuer.c, with the rule of docs/web-verifier.md) ------------

const ADDR = /^0x[0-9a-fA-F]{40}$/;
/** The issuers given: an address, a did:web DID, or an array of them (verify_trusted_add). TypeError for anything else. */
export function normalizeIssuers(issuer) {
  const list = issuer == null || issuer === '' ? [] : Array.isArray(issuer) ? issuer : [issuer];
  const addrs = [], dids = [];
  for (const x of list) {
    const s = String(x).trim();
    if (s.startsWith('did:')) { checkDidArg(s); dids.push(s); }
    else if (ADDR.test(s)) addrs.push(s.toLowerCase());
    else throw new TypeError(`issuer "${s.slice(0, 80)}": not an address (0x + 40 hex digits) or a did:web DID (did:web:HOST[%3APORT][:PATH...])`);
  }
  return { addrs, dids };
}

// ---- the sequence of checks (online.c) -----------------------------------------------

async function blockIsStale(rpc, a) {
  const c = await blockCanonical(rpc, a.blockNumber, a.blockHash);
  if (c.canonical) return false;
  const blk = await rpc.call('eth_getBlockByHash', [a.blockHash, false]);
  if (blk === null) return true;
  if (!blk || typeof blk !== 'object') bad('block');
  // ganache answers a hash it dropped in a reorg with another block: "not known", so stale.
  if (data(blk.hash, 'block.hash', 32) !== a.blockHash) return true;
  return qty(blk.number, 'block.number') === a.blockNumber;
}

function staleCheck(checks, a, now) {
  checks.push(check('ledger.block', 'unknown', `the bundle's block ${a.blockNumber} (${a.blockHash}) is no longer canonical: a reorg took it away and ${now}. ` +
    'The bundle is stale, not forged: the issuer re-anchors such batches; ask for a fresh bundle'));
}

async function txNotMined(rpc, a, pending, checks) {
  if (await blockIsStale(rpc, a)) staleCheck(checks, a, pending ? `transaction ${a.txHash} is pending again` : `transaction ${a.txHash} is not on this ledger now`);
  else if (pending) checks.push(check('ledger.transaction', 'unknown', `transaction ${a.txHash} is not mined yet`));
  else checks.push(check('ledger.transaction', 'fail', `transaction ${a.txHash} is not on this ledger (the bundle's block ${a.blockNumber} is, without it)`));
}

// ---- the flows (online_flow.h): each ledger kind's own questions -----------------------

/**
 * The record check's one rule for "no record" (verifier/online_flow.h
 * online_record_read; both flows): it runs after the issuer's receipt, with
 * its event, was found in block rcBlock, so a head without a record is not an
 * answer yet (a load-balanced endpoint whose node is behind, or a reorg).
 * `read(block)` gives the contract's record at a block tag, or null when it
 * has none there. Returns the head's record; null only when the contract has
 * none at the receipt's block either (the flow's INVALID). LedgerError
 * (UNKNOWN) when the node cannot answer for that block, or has the record
 * there but not at the head. `none` words the empty answer.
 */
export async function recordRead(read, rcBlock, none) {
  const rec = await read('latest');
  if (rec) return rec;
  let there;
  try {
    there = await read(hexq(rcBlock));
  } catch (e) {
    if (e instanceof LedgerError) throw new LedgerError(`${none} at the head, and at the transaction's block ${rcBlock}: ${e.message}`);
    throw e;
  }
  if (there) throw new LedgerError(`${none} at the head but has the root at the transaction's block ${rcBlock}: the node is behind or reorganising`);
  return null;
}

/** The "evm" flow (verifier/online_evm.c): the NotaryRegistry contract, its Anchored event and anchoredAt record. */
export const evmFlow = {
  txTo: 'the registry',
  // ledger.contract: the NotaryRegistry runtime code (compared by its keccak-256), and the pins.
  // NotaryRegistry2 (facts.v2): the issuer is an identity, the sender one of its keys (web/keyhistory.js).
  async contract(rpc, b, opt, facts) {
    const a = b.anchor;
    const code = data(await rpc.call('eth_getCode', [a.contract, 'latest']), 'eth_getCode');
    const codeHash = code.length > 2 ? '0x' + keccakHex(hexBytes(code)) : '';
    facts.v2 = !!REGISTRY.runtime2CodeKeccak && codeHash === REGISTRY.runtime2CodeKeccak;
    const codeOk = facts.v2 || codeHash === REGISTRY.runtimeCodeKeccak;
    const pinOk = !opt.contracts.length || opt.contracts.includes(a.contract);
    return codeOk && pinOk ? ['pass', `${a.contract} runs the NotaryRegistry${facts.v2 ? '2' : ''} code`]
      : ['fail', !pinOk ? `${a.contract} is not a registry you pinned` : `${a.contract} runs neither the NotaryRegistry nor the NotaryRegistry2 code: its events prove nothing`];
  },
  // v2: any key may send; the event, the record and issuer.key bind it to the identity
  senderOk(b, key, facts) { return facts.v2 || key === b.anchor.issuer; },
  txInput: null,
  eventMatches(b, log, facts) {
    const a = b.anchor, ev = facts.v2 ? parseAnchored2(log) : parseAnchored(log);
    return !!ev && ev.issuer === a.issuer && (!facts.v2 || ev.key === facts.key) && ev.root === b.batch.root && ev.size === b.batch.size && ev.seq === b.batch.seq && ev.kind === 0n;
  },
  eventDetail(b, ok) {
    const r16 = b.batch.root.slice(0, 16);
    return ok ? `Anchored(issuer, root ${r16}…, size ${b.batch.size}, seq ${b.batch.seq}, issuance) emitted by the registry`
      : `no Anchored event for root ${r16}…, size ${b.batch.size}, seq ${b.batch.seq} in that transaction`;
  },
  // ledger.record: anchoredAt(issuer, root); empty at the head is asked again at the receipt's block (recordRead)
  async record(rpc, b, rcBlock, facts) {
    const a = b.anchor, v2 = facts.v2, who = v2 ? 'identity' : 'issuer';
    const none = `anchoredAt(${who}, root) is empty`;
    const read = async (block) => {
      const r = await (v2 ? anchoredAt2 : anchoredAt)(rpc, a.contract, a.issuer, b.batch.root, block);
      return r.blockNumber === 0n ? null : r;
    };
    const rec = await recordRead(read, rcBlock, none);
    if (!rec) return ['fail', `${none}, even at the block of the transaction's event: the registry has no record of this root for the ${who}`];
    if (v2) facts.recordTime = rec.timestamp;
    const ok = (!v2 || rec.key === facts.key) && rec.blockNumber === rcBlock && rec.size === b.batch.size && rec.seq === b.batch.seq && rec.kind === 0n;
    return [ok ? 'pass' : 'fail', ok ? `the registry records this root for the ${who}: block ${rec.blockNumber}, size ${rec.size}, seq ${rec.seq}`
      : `the registry's record (block ${rec.blockNumber}, size ${rec.size}, seq ${rec.seq}) does not match the bundle`];
  },
  // issuer.key (v2 only): the key-history rule with B = the anchor's block
  async keyCheck(rpc, b, rcBlock, facts) {
    if (!facts.v2) return null;
    const k = await issuerKeyCheck(rpc, b.anchor.contract, b.anchor.issuer, facts.key, rcBlock);
    return [k.outcome, k.detail];
  },
};

/**
 * The checks after ledger.chainId, in order (online.c run_checks), with a
 * flow's own questions; each stops the run when it fails. Returns true when
 * every ledger check passed (ledgerChecked). LedgerError when the ledger
 * could not be asked.
 */
export async function runFlow(rpc, b, opt, checks, flow) {
  const a = b.anchor;
  let allOk = true;
  const facts = {};
  const [co, cd] = await flow.contract(rpc, b, opt, facts);
  checks.push(check('ledger.contract', co, cd));
  if (co === 'fail') return false;

  // ledger.transaction
  const tx = await rpc.call('eth_getTransactionByHash', [a.txHash]);
  if (tx === null) return txNotMined(rpc, a, false, checks);
  if (!tx || typeof tx !== 'object') bad('transaction');
  if (tx.blockNumber === null || tx.blockNumber === undefined) return txNotMined(rpc, a, true, checks);
  facts.key = data(tx.from, 'tx.from', 20);
  const sentOk = (flow.senderOk ? flow.senderOk(b, facts.key, facts) : facts.key === a.issuer) && tx.to != null && data(tx.to, 'tx.to', 20) === a.contract;
  const inputOk = !flow.txInput || (await flow.txInput(b, data(tx.input, 'tx.input'), facts));
  const rc = await rpc.call('eth_getTransactionReceipt', [a.txHash]);
  if (rc !== null && (!rc || typeof rc !== 'object')) bad('receipt');
  const minedOk = rc !== null && rc.status !== undefined && qty(rc.status, 'receipt.status') === 1n;
  const ok = sentOk && inputOk && minedOk;
  checks.push(check('ledger.transaction', ok ? 'pass' : 'fail', ok ? `${a.txHash} succeeded, sent by the issuer to ${flow.txTo}`
    : !sentOk ? `${a.txHash} was not sent by the bundle's issuer to its contract`
      : !inputOk ? `${a.txHash}${flow.txInputWhy}` : `${a.txHash} did not succeed (reverted or no receipt)`));
  if (!ok) return false;
  const rcBlock = qty(rc.blockNumber, 'receipt.blockNumber'), rcHash = data(rc.blockHash, 'receipt.blockHash', 32);
  if (!Array.isArray(rc.logs)) bad('receipt.logs');

  // ledger.event: decoded, not searched for.
  let evOk = false;
  for (const log of rc.logs) {
    if (evOk) break;
    if (!log || typeof log !== 'object' || data(log.address, 'log.address', 20) !== a.contract) continue;
    evOk = await flow.eventMatches(b, log, facts);
  }
  checks.push(check('ledger.event', evOk ? 'pass' : 'fail', flow.eventDetail(b, evOk)));
  if (!evOk) return false;

  const [ro, rd] = await flow.record(rpc, b, rcBlock, facts);
  checks.push(check('ledger.record', ro, rd));
  if (ro === 'fail') return false;
  const kc = flow.keyCheck ? await flow.keyCheck(rpc, b, rcBlock, facts) : null;
  if (kc) {
    checks.push(check('issuer.key', kc[0], kc[1]));
    if (kc[0] !== 'pass') return false;
  }

  // ledger.block and ledger.confirmations (online.c check_block)
  const c = await blockCanonical(rpc, rcBlock, rcHash);
  if (!c.canonical) {
    checks.push(check('ledger.block', 'unknown', `block ${rcHash} is no longer canonical at height ${rcBlock} (reorg): wait and retry`));
    return false;
  }
  if (rcBlock !== a.blockNumber || rcHash !== a.blockHash) {
    if (await blockIsStale(rpc, a)) staleCheck(checks, a, `the transaction was mined again in block ${rcBlock} (${rcHash.slice(0, 20)}…)`);
    else checks.push(check('ledger.block', 'fail', `the bundle says block ${a.blockNumber} (${a.blockHash}), but the transaction is in block ${rcBlock} (${rcHash})`));
    return false;
  }
  const blkOk = c.time === a.blockTime && (facts.recordTime === undefined || facts.recordTime === c.time);
  checks.push(check('ledger.block', blkOk ? 'pass' : 'fail', blkOk ? `block ${rcBlock} ${rcHash} is canonical; block time ${c.time} (${formatTime(c.time)}) matches`
    : `block ${rcBlock} ${rcHash} is canonical, but its time ${c.time} is not the bundle's (or the contract's record)`));
  if (!blkOk) return false;
  if (c.depth >= opt.confirmations) {
    checks.push(check('ledger.confirmations', 'pass', `${c.depth} confirmations (${opt.confirmations} required)`));
    return allOk;
  }
  checks.push(check('ledger.confirmations', 'unknown', `only ${c.depth} of ${opt.confirmations} required confirmations: pending, not yet valid`));
  return false;
}

export function hexBytes(h) {
  const s = h.startsWith('0x') ? h.slice(2) : h;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}

/**
 * The ledger checks of a parsed bundle (online.c verify_online), appended to
 * `checks` (the offline ones; the "anchor" SKIPPED check is dropped).
 * opt: {rpc (URL), issuers {addrs, dids}, contracts [addresses], confirmations (BigInt), deadlineMs}.
 * Returns true when the ledger confirmed everything (ledgerChecked).
 */
export async function verifyOnline(b, opt, checks) {
  if (!b.anchored) return false; // the offline "anchor" UNKNOWN stays: a pending bundle is not yet valid
  const i = checks.findIndex((c) => c.name === 'anchor' && c.outcome === 'skipped');
  if (i >= 0) checks.splice(i, 1);
  const a = b.anchor;
  const flow = a.ledger === 'evm' ? evmFlow : a.ledger === 'ebsi' ? ebsiFlow : null;
  if (!flow) {
    checks.push(check('ledger', 'unknown', `bundles anchored with the '${a.ledger}' flow are not supported by this verifier`));
    return false;
  }
  const verb = a.ledger === 'ebsi' ? 'timestamped by' : 'anchored by';
  await issuerCheck(a, verb, opt.issuers, opt.claim, { deadlineMs: opt.deadlineMs, memo: opt.memo }, checks, opt.result);
  let rpc;
  try {
    await loadRegistry();
    rpc = rpcClient(opt.rpc, { deadlineMs: opt.deadlineMs, memo: opt.memo });
    const id = qty(await rpc.call('eth_chainId'), 'eth_chainId');
    if (id !== a.chainId) {
      checks.push(check('ledger.chainId', 'fail', `the ledger is chain ${id} but the bundle was anchored on chain ${a.chainId}`));
      return false;
    }
    checks.push(check('ledger.chainId', 'pass', `ledger is chain ${id}, as the bundle says`));
    return !!(await runFlow(rpc, b, opt, checks, flow));
  } catch (e) {
    if (!(e instanceof LedgerError)) throw e;
    checks.push(check('ledger', 'unknown', /^bad ledger URL/.test(e.message) ? e.message
      : `could not consult the ledger (${e.message}): the credential's status is unknown, not invalid; try again or use another endpoint`));
    return false;
  }
}
