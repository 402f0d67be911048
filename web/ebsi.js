// web/ebsi.js — the "ebsi" flow's answers to the ledger checks for the page
// (verifier/online_ebsi.c over anchor/ebsi.c; docs/ebsi.md, proof-format.md
// §5.1): the root was written by EBSI's Timestamp contract. Through the
// ledger JSON-RPC endpoint the visitor gives (the CLI's --rpc), the same
// questions as the CLI:
//   ledger.contract     the Timestamp contract the visitor pinned (contracts), else skipped
//   ledger.transaction  its input is exactly timestampHashes([alg], [root], [record]) of this batch
//   ledger.event        the receipt carries TimestampedHashes([sha256(root)], [alg], [root], [record])
//   ledger.record       getTimestamp(root) by eth_call: timestampedBy the issuer, in the receipt's
//                       block, with this record; a revert "timestamp unknown" → fail
// Every encoding is compared byte for byte with the one canonical ABI
// encoding of the values read (as anchor/ebsi.c re-encodes and compares), so
// only exactly our record passes. The block and its confirmations are the
// driver's (web/online.js runFlow). Used through verifyCredential(), never alone.
import { keccak_256 } from './noble-sha3.js';
import { LedgerError, data, selector, hexBytes, qty as qtyOf, recordRead } from './online.js';
import { sha256 } from './verify.js';

const MAX_DATA = 256; // EBSI_MAX_DATA
const MAX_JSON_INT = 2n ** 53n; // EBSI_MAX_JSON_INT
export const TIMESTAMP_SIG = 'timestampHashes(uint256[],bytes[],bytes[])';
export const EVENT_SIG = 'TimestampedHashes(bytes32[],uint256[],bytes[],bytes[])';
// (no top-level use of the modules this one is imported with: they import it too)
const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export const EVENT_TOPIC = '0x' + toHex(keccak_256(new TextEncoder().encode(EVENT_SIG)));
const UNKNOWN_REASON = 'timestamp unknown';

const word = (n) => BigInt(n).toString(16).padStart(64, '0');
const padded = (hex) => hex + '0'.repeat((64 - (hex.length % 64)) % 64);
const latin1 = (bytes) => String.fromCharCode(...bytes);
const utf8hex = (s) => toHex(new TextEncoder().encode(s));

/** The record data of a batch (ebsi_data_encode): RFC 8785 text. */
export function recordText(kind, seq, size) {
  return `{"kind":"${kind}","seq":${seq},"size":${size},"v":1}`;
}

/** timestampData bytes → {kind, seq, size} or null (ebsi_data_parse: exactly the canonical text, numbers ≤ 2^53). */
export function parseRecord(bytes) {
  if (bytes.length === 0 || bytes.length > MAX_DATA) return null;
  const m = /^\{"kind":"(issuance|revocation)","seq":(0|[1-9][0-9]{0,15}),"size":(0|[1-9][0-9]{0,15}),"v":1\}$/.exec(latin1(bytes));
  if (!m) return null;
  const seq = BigInt(m[2]), size = BigInt(m[3]);
  return seq > MAX_JSON_INT || size > MAX_JSON_INT ? null : { kind: m[1], seq, size };
}

// The ABI encoding of dynamic arrays (anchor/abi.c): each arg {uints: [BigInt]} or {bytes: [hex]}.
function encodeArgs(args) {
  const tails = args.map((a) => {
    if (a.uints) return word(a.uints.length) + a.uints.map(word).join('');
    let off = 32 * a.bytes.length, heads = '', items = '';
    for (const h of a.bytes) {
      heads += word(off);
      const item = word(h.length / 2) + padded(h);
      items += item;
      off += item.length / 2;
    }
    return word(a.bytes.length) + heads + items;
  });
  let off = 32 * args.length, head = '';
  for (const t of tails) { head += word(off); off += t.length / 2; }
  return head + tails.join('');
}

/** Call data of timestampHashes([alg], [root], [record]) (ebsi_calldata), hex without 0x. */
export function calldata(alg, root, rec) {
  return selector(TIMESTAMP_SIG) + encodeArgs([{ uints: [alg] }, { bytes: [root] }, { bytes: [utf8hex(rec)] }]);
}

async function timestampId(root) {
  return toHex(await sha256(hexBytes(root)));
}

const issuanceOf = (b) => recordText('issuance', b.batch.seq, b.batch.size);

// The word at `i` (of hex without 0x) as a BigInt, or null past the end.
const wordAt = (hex, i) => (hex.length >= 64 * (i + 1) ? BigInt('0x' + hex.slice(64 * i, 64 * (i + 1))) : null);

/** Exactly Error("timestamp unknown") (ebsi_revert_is_unknown)? `hex` with 0x. */
export function revertIsUnknown(hex) {
  const want = '0x08c379a0' + word(32) + word(UNKNOWN_REASON.length) + padded(utf8hex(UNKNOWN_REASON));
  return typeof hex === 'string' && hex.toLowerCase() === want;
}

// rpc.c classify: a JSON-RPC error that is a revert; take_error_data: its bytes.
function revertData(err) {
  const re = err && err.rpcError;
  if (!re || typeof re !== 'object') return undefined;
  const msg = String(re.message || '');
  if (!(re.code === 3 || /execution reverted|VM Exception|revert/i.test(msg))) return undefined;
  let d = re.data;
  if (d && typeof d === 'object') d = typeof d.data === 'string' ? d.data : d.result;
  return typeof d === 'string' && /^0x([0-9a-fA-F]{2})*$/.test(d) ? d : null;
}

/**
 * getTimestamp(root) at the contract (ebsi_get_timestamp): null when it
 * reverts "timestamp unknown"; else {from, blockNumber, alg, data (record or
 * null)}, the answer being exactly the canonical encoding with hash.value =
 * root. LedgerError for any other revert or answer.
 */
export async function getTimestamp(rpc, contract, root, block = 'latest') {
  const call = selector('getTimestamp(bytes)') + word(32) + word(32) + root;
  let ret;
  try {
    ret = data(await rpc.call('eth_call', [{ to: contract, data: '0x' + call }, block]), 'eth_call result').slice(2);
  } catch (e) {
    if (!(e instanceof LedgerError)) throw e;
    const rd = revertData(e);
    if (rd === undefined) throw e;
    if (rd && revertIsUnknown(rd)) return null;
    throw new LedgerError(`getTimestamp at ${contract} reverted, but not with "${UNKNOWN_REASON}" (${String(e.rpcError.message).slice(0, 120)}): is it EBSI's Timestamp contract?`);
  }
  const bad = (why) => { throw new LedgerError(`getTimestamp at ${contract} did not answer as the Timestamp contract does (${why})`); };
  if (ret.length > 2 * 8192) bad('answer too long');
  const from = wordAt(ret, 1), blockNumber = wordAt(ret, 2), alg = wordAt(ret, 4), dl = wordAt(ret, 8);
  if (from === null || blockNumber === null || alg === null || dl === null) bad('answer too short');
  if (from >= 2n ** 160n || blockNumber >= 2n ** 64n || alg >= 2n ** 64n || dl > 8192n) bad('a value out of range');
  if (ret.slice(64 * 6, 64 * 7) !== word(32) || ret.slice(64 * 7, 64 * 8) !== root) bad('getTimestamp answer is about another hash value');
  const dhex = ret.slice(64 * 9, 64 * 9 + 2 * Number(dl));
  const canon = word(128) + word(from) + word(blockNumber) + word(256) + word(alg) + word(64) + word(32) + root + word(dl) + padded(dhex);
  if (canon !== ret) bad('getTimestamp answer is not in canonical ABI form');
  return { from: '0x' + from.toString(16).padStart(40, '0'), blockNumber, alg, data: dl > 0n ? parseRecord(hexBytes(dhex)) : null };
}

/**
 * A TimestampedHashes log as one of our records (ebsi_parse_event): one
 * topic, one hash of 32 bytes, timestampId = sha256(hash), our record data,
 * the canonical encoding byte for byte. → {root, alg, record} or null.
 */
export async function parseEvent(log) {
  const t = log.topics;
  if (!Array.isArray(t) || t.length !== 1 || String(t[0]).toLowerCase() !== EVENT_TOPIC) return null;
  if (typeof log.data !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(log.data) || log.data.length > 2 + 2 * 4096) return null;
  const d = log.data.slice(2).toLowerCase();
  const id = d.slice(64 * 5, 64 * 6), alg = wordAt(d, 7), root = d.slice(64 * 11, 64 * 12), L = wordAt(d, 14);
  if (alg === null || L === null || alg >= 2n ** 64n || L > BigInt(MAX_DATA) || root.length !== 64) return null;
  const dhex = d.slice(64 * 15, 64 * 15 + 2 * Number(L));
  const record = parseRecord(hexBytes(dhex));
  if (!record || id !== (await timestampId(root))) return null;
  const want = encodeArgs([{ uints: [BigInt('0x' + id)] }, { uints: [alg] }, { bytes: [root] }, { bytes: [dhex] }]);
  return want === d ? { root, alg, record } : null;
}

/** The "ebsi" flow for web/online.js runFlow (verifier/online_ebsi.c). */
export const ebsiFlow = {
  txTo: 'the Timestamp contract, timestamping exactly this root, kind, seq and size',
  txInputWhy: ' is not exactly timestampHashes of this root, seq and size',
  // ledger.contract: no RPC unless the committed code is asked for (not offered by the page): the pins decide.
  async contract(rpc, b, opt) {
    const ad = b.anchor.contract;
    if (!opt.contracts.length)
      return ['skipped', `the Timestamp contract was not pinned (--contract ADDR): VALID only means the issuer timestamped the root at ${ad}`];
    if (!opt.contracts.includes(ad)) return ['fail', `${ad} is not a Timestamp contract you pinned`];
    return ['pass', `${ad} is a pinned Timestamp contract`];
  },
  // The input must be the canonical timestampHashes call of this batch; the algorithm id is read from it.
  txInput(b, input, facts) {
    const hex = input.slice(2);
    const alg = wordAt(hex.slice(8), 4);
    if (hex.length > 2 * 4096 || alg === null || alg >= 2n ** 64n) return false;
    facts.alg = alg;
    return hex === calldata(alg, b.batch.root, issuanceOf(b));
  },
  // One TimestampedHashes log (one topic), data exactly the canonical encoding for this root, record and algorithm.
  async eventMatches(b, log, facts) {
    const t = log.topics;
    if (!Array.isArray(t) || t.length !== 1 || String(t[0]).toLowerCase() !== EVENT_TOPIC) return false;
    let d;
    try { d = data(log.data, 'log data').slice(2); } catch (e) { if (e instanceof LedgerError) return false; throw e; }
    const want = encodeArgs([{ uints: [BigInt('0x' + (await timestampId(b.batch.root)))] }, { uints: [facts.alg] },
      { bytes: [b.batch.root] }, { bytes: [utf8hex(issuanceOf(b))] }]);
    return d === want;
  },
  eventDetail(b, ok) {
    const r16 = b.batch.root.slice(0, 16);
    return ok ? `TimestampedHashes(root ${r16}…, issuance seq ${b.batch.seq} size ${b.batch.size}) emitted by the Timestamp contract in the issuer's transaction`
      : `no TimestampedHashes event for root ${r16}… (seq ${b.batch.seq}, size ${b.batch.size}) in that transaction`;
  },
  async record(rpc, b, rcBlock) {
    const a = b.anchor;
    // "timestamp unknown" at the head is asked again at the receipt's block (online.js recordRead)
    const rec = await recordRead((block) => getTimestamp(rpc, a.contract, b.batch.root, block), rcBlock, `getTimestamp(root) says "${UNKNOWN_REASON}"`);
    if (!rec) return ['fail', `getTimestamp(root) reverts "${UNKNOWN_REASON}", even at the block of the transaction's event: the Timestamp contract has no record of this root`];
    const d = rec.data;
    const ok = rec.from === a.issuer && rec.blockNumber === rcBlock && !!d && d.kind === 'issuance' && d.seq === b.batch.seq && d.size === b.batch.size;
    return [ok ? 'pass' : 'fail', ok ? `getTimestamp(root): first timestamped by the issuer in block ${rec.blockNumber} with this seq and size`
      : `getTimestamp(root) names block ${rec.blockNumber} by ${rec.from}, not this issuer's record of this batch`];
  },
};

// ---- revocation checkpoints on EBSI (verifier/revocation_ledger.c, the ebsi paths) ------------

/**
 * The issuer's revocation checkpoints as the Timestamp contract's events show
 * them (vrev_ledger_history): the contract's TimestampedHashes events in
 * windows of `window` blocks back from `head` (topic0 only: nothing is
 * indexed), each of our record format whose transaction's sender is the
 * issuer, kind "revocation"; stops once seq 0 is in a window. Each with its
 * block time. Sorted in chain order. LedgerError when the ledger could not
 * be read (or changed while it was read).
 */
export async function checkpointHistory(rpc, a, head, window) {
  const out = [];
  for (let hi = head; ;) {
    const lo = hi >= window - 1n ? hi - (window - 1n) : 0n;
    const logs = await rpc.call('eth_getLogs', [{ address: a.contract, fromBlock: '0x' + lo.toString(16), toBlock: '0x' + hi.toString(16), topics: [EVENT_TOPIC] }]);
    if (!Array.isArray(logs)) throw new LedgerError('malformed answer: eth_getLogs is not an array');
    let firstSeen = false, cachedBlock = null, cachedTime = 0n, cachedHash = '', senderTx = null, sender = null;
    for (const log of logs) {
      if (!log || typeof log !== 'object') throw new LedgerError('malformed answer: a log');
      if (log.removed === true) continue;
      if (data(log.address, 'log.address', 20) !== a.contract) continue;
      const ev = await parseEvent(log);
      if (!ev) continue; // somebody else's timestamp, in another format
      const bn = qtyOf(log.blockNumber, 'log.blockNumber'), bh = data(log.blockHash, 'log.blockHash', 32), th = data(log.transactionHash, 'log.transactionHash', 32);
      const li = qtyOf(log.logIndex, 'log.logIndex');
      if (senderTx !== th) {
        const tx = await rpc.call('eth_getTransactionByHash', [th]);
        if (tx === null) throw new LedgerError(`block ${bn}: the node has a log of transaction it does not know (a reorg?): try again`);
        if (!tx || typeof tx !== 'object') throw new LedgerError('malformed answer: transaction');
        const same = tx.blockNumber != null && qtyOf(tx.blockNumber, 'tx.blockNumber') === bn && data(tx.blockHash, 'tx.blockHash', 32) === bh;
        senderTx = th;
        sender = data(tx.from, 'tx.from', 20);
        if (!same) throw new LedgerError(`block ${bn}: a transaction moved while it was read (a reorg): try again`);
      }
      if (sender !== a.issuer) continue;
      if (bn !== cachedBlock) {
        const blk = await rpc.call('eth_getBlockByNumber', ['0x' + bn.toString(16), false]);
        if (!blk || typeof blk !== 'object') throw new LedgerError(`block ${bn} could not be read`);
        cachedBlock = bn;
        cachedTime = qtyOf(blk.timestamp, 'block.timestamp');
        cachedHash = data(blk.hash, 'block.hash', 32);
      }
      if (cachedHash !== bh) throw new LedgerError(`block ${bn} changed while it was read (a reorg): try again`);
      if (ev.record.kind !== 'revocation') continue;
      firstSeen = firstSeen || ev.record.seq === 0n;
      out.push({ seq: ev.record.seq, size: ev.record.size, root: ev.root, blockNumber: bn, blockTime: cachedTime, logIndex: li });
    }
    if (firstSeen || lo === 0n) break;
    hi = lo - 1n;
  }
  const chain = (x, y) => (x.blockNumber !== y.blockNumber ? (x.blockNumber < y.blockNumber ? -1 : 1) : x.logIndex < y.logIndex ? -1 : x.logIndex > y.logIndex ? 1 : 0);
  return out.sort(chain);
}

/** vrev_history_numbered: sorted by (seq, chain order); null, or [name, why] when not numbered 0..n-1 once each. */
export function historyNumbered(v) {
  v.sort((x, y) => (x.seq !== y.seq ? (x.seq < y.seq ? -1 : 1) : x.blockNumber !== y.blockNumber ? (x.blockNumber < y.blockNumber ? -1 : 1) : x.logIndex < y.logIndex ? -1 : x.logIndex > y.logIndex ? 1 : 0));
  for (let i = 1; i < v.length; i++)
    if (v[i].seq === v[i - 1].seq)
      return ['seq-repeat', `checkpoint ${v[i].seq} was timestamped twice by the issuer (blocks ${v[i - 1].blockNumber} and ${v[i].blockNumber}, roots ` +
        `${v[i - 1].root.slice(0, 8)}… and ${v[i].root.slice(0, 8)}…): two histories claim the same number`];
  for (let i = 0; i < v.length; i++)
    if (v[i].seq !== BigInt(i))
      return ['seq-gap', `the issuer's checkpoints up to ${v[v.length - 1].seq} lack checkpoint ${i}: the issuer skipped a number or the node withholds events`];
  return null;
}

/** vrev_ledger_record for ebsi: getTimestamp(root) at `head`, as {ours, kind, seq, size, blockNumber, blockTime} or null. */
export async function ledgerRecord(rpc, a, root, head) {
  const rec = await getTimestamp(rpc, a.contract, root, '0x' + head.toString(16));
  if (!rec) return null;
  const ours = rec.from === a.issuer && !!rec.data;
  if (!ours) return { ours: false, blockNumber: 0n };
  const blk = await rpc.call('eth_getBlockByNumber', ['0x' + rec.blockNumber.toString(16), false]);
  if (!blk || typeof blk !== 'object') throw new LedgerError(`block ${rec.blockNumber} could not be read`);
  return { ours, kind: rec.data.kind, seq: rec.data.seq, size: rec.data.size, blockNumber: rec.blockNumber, blockTime: qtyOf(blk.timestamp, 'block.timestamp') };
}
