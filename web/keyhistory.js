// web/keyhistory.js — NotaryRegistry2 for the page: the issuer is an identity
// whose anchoring keys are authorized, retired and declared compromised on
// the ledger (docs/registry-v2.md; docs/proof-format.md §5.2). The same
// decoding and the same rule as the CLI (anchor/registry2.c
// registry2_parse_anchored, registry2_anchored_at, registry2_key_status,
// anchor/registry2_keys.c registry2_key_counts; verifier/online_evm.c
// evm_key), used by web/online.js's ledger checks when the contract runs the
// NotaryRegistry2 code. Only functions are taken from online.js (the two
// modules import each other; nothing here runs at load time but the topic).
import { keccak_256 } from './noble-sha3.js';
import { LedgerError, data, word, ethCall, addrWord, selector } from './online.js';

const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const ZERO_WORD = '0'.repeat(24);

/** topic0 of Anchored(address,bytes32,uint64,uint64,uint8,address) (docs/registry-v2.md §3). */
export const ANCHORED2_TOPIC = '0x' + toHex(keccak_256(new TextEncoder().encode('Anchored(address,bytes32,uint64,uint64,uint8,address)')));
/** "Did not happen" in a key status: 2^64 − 1. */
export const NEVER = 2n ** 64n - 1n;

// An ABI address word: 12 zero bytes, then the address (anchor/abi.c abi_get_address).
function addrOf(hex, i, what) {
  const w = hex.slice(64 * i, 64 * (i + 1));
  if (w.length !== 64 || w.slice(0, 24) !== ZERO_WORD) throw new LedgerError(`malformed answer: ${what}: word ${i} is not an address`);
  return '0x' + w.slice(24);
}

/**
 * A v2 Anchored event, decoded strictly (exactly 3 topics [topic0, identity,
 * root] and 128 bytes of data: size, seq, kind, key), or null if the log is
 * not one. `issuer` is the identity.
 */
export function parseAnchored2(log) {
  try {
    const t = log.topics;
    if (!Array.isArray(t) || t.length !== 3 || String(t[0]).toLowerCase() !== ANCHORED2_TOPIC) return null;
    const d = data(log.data, 'log data');
    if (d.length !== 2 + 256) return null;
    const t1 = data(t[1], 'topic', 32), t2 = data(t[2], 'topic', 32);
    if (t1.slice(2, 26) !== ZERO_WORD) return null;
    const hex = d.slice(2);
    return { issuer: '0x' + t1.slice(26), root: t2.slice(2), size: word(hex, 0, 64, 'event'), seq: word(hex, 1, 64, 'event'),
      kind: word(hex, 2, 8, 'event'), key: addrOf(hex, 3, 'event') };
  } catch (e) {
    if (e instanceof LedgerError) return null;
    throw e;
  }
}

/** anchoredAt(identity, root) on NotaryRegistry2: 6 words, the last the anchoring key. */
export async function anchoredAt2(rpc, contract, identity, root, block) {
  const ret = await ethCall(rpc, contract, selector('anchoredAt(address,bytes32)') + addrWord(identity) + root, block, 192);
  const w = (i, b) => word(ret, i, b, 'anchoredAt answer out of range');
  return { blockNumber: w(0, 64), timestamp: w(1, 64), size: w(2, 64), seq: w(3, 64), kind: w(4, 8), key: addrOf(ret, 5, 'anchoredAt answer') };
}

/** keyStatus(identity, key): the four block numbers of docs/registry-v2.md §1. */
export async function keyStatus(rpc, contract, identity, key, block) {
  const ret = await ethCall(rpc, contract, selector('keyStatus(address,address)') + addrWord(identity) + addrWord(key), block, 128);
  const w = (i) => word(ret, i, 64, 'keyStatus answer out of range');
  return { authorizedFrom: w(0), retiredAt: w(1), compromisedSince: w(2), identityCompromisedSince: w(3) };
}

/**
 * THE rule (registry2_key_counts): does an anchor mined at `block` by a key
 * with status `st` (read at the latest block) count for the identity?
 * Returns null when it counts, else the first failing term in the CLI's
 * order: 'not-authorized', 'identity-compromised', 'key-compromised', 'retired'.
 */
export function keyCountsReason(st, block) {
  if (!(st.authorizedFrom <= block)) return 'not-authorized';
  if (!(block < st.identityCompromisedSince)) return 'identity-compromised';
  if (!(block < st.compromisedSince)) return 'key-compromised';
  if (!(block < st.retiredAt)) return 'retired';
  return null;
}

/** The reason in words, as registry2_reason_format says it. */
export function reasonWords(reason, st, identity, key, block) {
  switch (reason) {
    case 'not-authorized':
      return st.authorizedFrom === NEVER ? `key ${key} was never authorized by identity ${identity}`
        : `key ${key} was not authorized by identity ${identity} at block ${block} (only from block ${st.authorizedFrom} on)`;
    case 'retired': return `key ${key} was retired at block ${st.retiredAt} (anchor at block ${block})`;
    case 'key-compromised': return `key ${key} was declared compromised since block ${st.compromisedSince} (anchor at block ${block})`;
    case 'identity-compromised': return `the identity ${identity} declared itself compromised since block ${st.identityCompromisedSince} (anchor at block ${block})`;
    default: return `key ${key} counts for identity ${identity} at block ${block}`;
  }
}

/**
 * The "issuer.key" check (online_evm.c evm_key): keyStatus(identity, key) at
 * the latest block and the rule with B = the anchor's block. Returns
 * {outcome: 'pass'|'fail', detail}.
 */
export async function issuerKeyCheck(rpc, contract, identity, key, block) {
  const st = await keyStatus(rpc, contract, identity, key, 'latest');
  const why = keyCountsReason(st, block);
  if (why === null) {
    return { outcome: 'pass', detail: key === identity
      ? `anchored by the identity ${identity} itself (its own key, neither retired nor declared compromised at block ${block})`
      : `anchored by key ${key}, authorized by identity ${identity} from block ${st.authorizedFrom}; it counts at the anchor's block ${block}` };
  }
  return { outcome: 'fail', detail: `${reasonWords(why, st, identity, key, block)}: this anchor does not count for the issuer` };
}

// ---- revocation checkpoints on NotaryRegistry2 (verifier/revocation_ledger.c on v2) ----------

/** Does `contract` run the NotaryRegistry2 code (keccak-256 of eth_getCode, as web/registry.json says)? */
export async function isRegistry2(rpc, contract) {
  const { loadRegistry, REGISTRY, keccakHex, hexBytes } = await import('./online.js');
  await loadRegistry();
  if (!REGISTRY.runtime2CodeKeccak) return false;
  const code = data(await rpc.call('eth_getCode', [contract, 'latest']), 'eth_getCode');
  return code.length > 2 && '0x' + keccakHex(hexBytes(code)) === REGISTRY.runtime2CodeKeccak;
}

/**
 * The key-history rule for the identity's checkpoints: counts(key, block)
 * reads keyStatus(identity, key) at the latest block once per key.
 */
export function keyRule(rpc, contract, identity) {
  const cache = new Map();
  return async (key, block) => {
    if (!cache.has(key)) cache.set(key, await keyStatus(rpc, contract, identity, key, 'latest'));
    return keyCountsReason(cache.get(key), block) === null;
  };
}

/**
 * How many checkpoints of the identity count (revocation_ledger.c
 * vrev_ledger_count on v2): 1 + the highest seq among its v2 Anchored
 * events of kind 1 whose key counts at their block, read back from `head`
 * `window` blocks at a time until a counting checkpoint 0 (or block 0).
 * nextSeq is not used: it also counts checkpoints whose key does not count.
 */
export async function countCheckpoints2(rpc, a, head, window, counts) {
  const who = '0x' + addrWord(a.issuer);
  let n = 0n;
  for (let hi = head; ;) {
    const lo = hi >= window - 1n ? hi - (window - 1n) : 0n;
    const logs = await rpc.call('eth_getLogs', [{ address: a.contract, topics: [ANCHORED2_TOPIC, who], fromBlock: '0x' + lo.toString(16), toBlock: '0x' + hi.toString(16) }]);
    if (!Array.isArray(logs)) throw new LedgerError('malformed answer: eth_getLogs');
    let zero = false;
    for (const log of logs) {
      if (!log || log.removed === true || data(log.address, 'log.address', 20) !== a.contract) continue;
      const ev = parseAnchored2(log);
      if (!ev) throw new LedgerError(`block ${log.blockNumber}: a log of the registry is not a well-formed NotaryRegistry2 Anchored event`);
      if (ev.issuer !== a.issuer || ev.kind !== 1n || !(await counts(ev.key, BigInt(log.blockNumber)))) continue;
      if (ev.seq + 1n > n) n = ev.seq + 1n;
      zero = zero || ev.seq === 0n;
    }
    if (zero || lo === 0n) return n;
    hi = lo - 1n;
  }
}
