// web/revocation.js — the "revocation" check of `verifier verify --rpc URL
// --revocations FILE|URL` for the page (verifier/revocation.c,
// revocation_ledger.c, revocation_analysis.c; docs/revocation-format.md):
// a copy of the issuer's revocation log, from anywhere, is judged against
// the newest revocation checkpoint the issuer anchored in the registry.
// Same outcomes as the CLI; "evm" anchors only (an "ebsi" bundle gets
// UNKNOWN here, never VALID).
import {
  check, fail, toBytes, parseStrict, onlyKnown, get, uint, hexField, hexValue, parseTime, InputError,
  sha256, prefixHash, toHex, fromHex, formatTime,
} from './verify.js';
import { checkpointHistory, historyNumbered, ledgerRecord } from './ebsi.js';
import { LedgerError, rpcClient, qty, data, hexq, ethCall, addrWord, selector, parseAnchored, anchoredAt, ANCHORED_TOPIC } from './online.js';
import { isRegistry2, keyRule, countCheckpoints2, parseAnchored2, anchoredAt2, ANCHORED2_TOPIC } from './keyhistory.js';

export const REVLOG_MAX_BYTES = 64 * 1024 * 1024;
const REASONS = ['unspecified', 'superseded', 'issued-in-error', 'fraud', 'holder-request', 'withdrawn'];
const WINDOW = 5000n; // VREV_DEFAULT_WINDOW

/** Parse a revocation log copy (docs/revocation-format.md §1–2, version 1 closed); InputError otherwise. */
export function parseRevlog(bytes, name = 'revocation log') {
  try {
    const { top } = parseStrict(bytes, { max: REVLOG_MAX_BYTES, name: 'JSON' });
    if (top.t !== 'obj') fail('a revocation log is a JSON object');
    const t = get(top, '', 'type', 'str').s;
    if (t !== 'CredentialNotaryRevocationLog') fail(`type is "${t.slice(0, 40)}", expected "CredentialNotaryRevocationLog"`);
    if (uint(top, '', 'version', 0) !== 1n) fail('version is not supported (this verifier reads version 1)');
    onlyKnown(top, '', ['type', 'version', 'issuer', 'ledger', 'chainId', 'contract', 'exportedAt', 'entries', 'checkpoints']);
    const ledger = get(top, '', 'ledger', 'str').s;
    if (ledger !== 'evm' && ledger !== 'ebsi') fail(`ledger is "${ledger.slice(0, 20)}"; expected "evm" or "ebsi"`);
    const log = {
      issuer: '0x' + hexField(top, '', 'issuer', true, 20), ledger, chainId: uint(top, '', 'chainId', 1),
      contract: '0x' + hexField(top, '', 'contract', true, 20), exportedAt: parseTime(get(top, '', 'exportedAt', 'str').s),
      entries: [], checkpoints: [],
    };
    const es = get(top, '', 'entries', 'arr').a;
    if (es.length > 1000000) fail('more than 1,000,000 entries');
    es.forEach((e, i) => {
      const w = `entries[${i}]`;
      if (e.t !== 'obj') fail(`${w} must be an object`);
      onlyKnown(e, w, ['credential', 'reason', 'revokedAt', 'note']);
      const reason = uint(e, w, 'reason', 0);
      if (reason > 5n) fail(`${w}.reason ${reason} is not a reason code (0..5)`);
      const entry = { credential: hexField(e, w, 'credential', false, 32), reason: Number(reason), revokedAt: parseTime(get(e, w, 'revokedAt', 'str').s), note: null };
      if (e.m.has('note')) {
        const n = get(e, w, 'note', 'str').s;
        const nb = new TextEncoder().encode(n);
        if (nb.length < 1 || nb.length > 200 || /[\u0000-\u001f\u007f-\u009f]/.test(n)) fail(`${w}.note must be 1..200 bytes without control characters`);
        entry.note = n;
      }
      log.entries.push(entry);
    });
    const cs = get(top, '', 'checkpoints', 'arr').a;
    if (cs.length > 100000) fail('more than 100,000 checkpoints');
    cs.forEach((c, i) => {
      const w = `checkpoints[${i}]`;
      if (c.t !== 'obj') fail(`${w} must be an object`);
      onlyKnown(c, w, ['seq', 'size', 'root', 'txHash', 'blockNumber', 'blockHash', 'blockTime', 'consistency']);
      const cp = { seq: uint(c, w, 'seq', 0), size: uint(c, w, 'size', 1), root: hexField(c, w, 'root', false, 32),
        txHash: '0x' + hexField(c, w, 'txHash', true, 32), blockNumber: uint(c, w, 'blockNumber', 0),
        blockHash: '0x' + hexField(c, w, 'blockHash', true, 32), blockTime: uint(c, w, 'blockTime', 0) };
      const p = get(c, w, 'consistency', 'arr').a;
      if (p.length > 64) fail(`${w}.consistency has more than 64 hashes`);
      cp.consistency = p.map((h, k) => hexValue(h, `${w}.consistency[${k}]`, false, 32));
      if (i > 0 && cp.seq <= log.checkpoints[i - 1].seq) fail(`${w}.seq must increase`);
      log.checkpoints.push(cp);
    });
    return log;
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${name}: ${e.message}`);
    throw e;
  }
}

// §4: entry bytes → digest → leaf.
async function entryLeaf(en) {
  const note = en.note === null ? new Uint8Array(0) : new TextEncoder().encode(en.note);
  const b = new Uint8Array(1 + 32 + 1 + 8 + 2 + note.length);
  const dv = new DataView(b.buffer);
  b[0] = 1;
  b.set(fromHex(en.credential), 1);
  b[33] = en.reason;
  dv.setBigUint64(34, BigInt(en.revokedAt));
  dv.setUint16(42, note.length);
  b.set(note, 44);
  return prefixHash(0, await sha256(b));
}

// RFC 9162 Merkle Tree Hash of leaf hashes.
async function mth(leaves) {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return prefixHash(1, await mth(leaves.slice(0, k)), await mth(leaves.slice(k)));
}

/** The root of the first `size` entries of a parsed log (hex). */
export async function revlogRoot(log, size) {
  const leaves = [];
  for (let i = 0; i < Number(size); i++) leaves.push(await entryLeaf(log.entries[i]));
  return toHex(await mth(leaves));
}

async function loadCopy(src, deadlineMs, memo) {
  if (src instanceof Uint8Array || src instanceof ArrayBuffer || ArrayBuffer.isView(src)) return parseRevlog(toBytes(src, 'revocations'));
  const s = String(src);
  let u;
  try { u = new URL(s, globalThis.location ? globalThis.location.href : undefined); } catch { fail(`${s.slice(0, 80)}: not a URL`); }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail(`${s.slice(0, 80)}: only http(s):// URLs are read`);
  if (!memo) return parseRevlog(await fetchCopy(u, deadlineMs), u.href.slice(0, 120));
  // a run's memo (web/batch.js): the copy at one URL is fetched once per run; a failure is fetched again
  let p = memo.copies.get(u.href);
  if (!p) {
    p = fetchCopy(u, deadlineMs);
    memo.copies.set(u.href, p);
    p.catch(() => { if (memo.copies.get(u.href) === p) memo.copies.delete(u.href); });
  }
  return parseRevlog(await p, u.href.slice(0, 120));
}

async function fetchCopy(u, deadlineMs) {
  let res;
  try {
    res = await fetch(u, { cache: 'no-store', credentials: 'omit', redirect: 'follow', signal: AbortSignal.timeout(Math.max(1, Math.min(10000, deadlineMs - Date.now()))) });
  } catch {
    fail(`${u.href.slice(0, 120)}: could not be fetched (network, or the server does not allow this page's origin — CORS)`);
  }
  if (res.status !== 200) fail(`${u.href.slice(0, 120)}: HTTP ${res.status}`);
  const n = Number(res.headers.get('content-length') || 0);
  if (n > REVLOG_MAX_BYTES) fail(`${u.href.slice(0, 120)}: larger than the limit of ${REVLOG_MAX_BYTES} bytes`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes.length > REVLOG_MAX_BYTES) fail(`${u.href.slice(0, 120)}: larger than the limit of ${REVLOG_MAX_BYTES} bytes`);
  return bytes;
}

// revocation_ledger.c vrev_ledger_find: the Anchored event of (kind 1, seq) of the issuer, at the hint, then back from head.
// kh (NotaryRegistry2, web/keyhistory.js): {counts(key, block)}: v2 events, and only checkpoints whose key counts.
async function findCheckpoint(rpc, a, seq, hint, head, kh) {
  const who = '0x' + addrWord(a.issuer);
  const inWindow = async (from, to) => {
    const logs = await rpc.call('eth_getLogs', [{ address: a.contract, topics: [kh ? ANCHORED2_TOPIC : ANCHORED_TOPIC, who], fromBlock: hexq(from), toBlock: hexq(to) }]);
    if (!Array.isArray(logs)) throw new LedgerError('malformed answer: eth_getLogs');
    for (const log of logs) {
      if (!log || log.removed === true || data(log.address, 'log.address', 20) !== a.contract) continue;
      const ev = kh ? parseAnchored2(log) : parseAnchored(log);
      if (!ev) throw new LedgerError(`block ${log.blockNumber}: a log of the registry is not a well-formed Anchored event`);
      if (ev.issuer !== a.issuer || ev.kind !== 1n || ev.seq !== seq) continue;
      const bn = qty(log.blockNumber, 'log.blockNumber');
      if (kh && !(await kh.counts(ev.key, bn))) continue;
      const blk = await rpc.call('eth_getBlockByNumber', [hexq(bn), false]);
      if (!blk || data(blk.hash, 'block.hash', 32) !== data(log.blockHash, 'log.blockHash', 32))
        throw new LedgerError(`block ${bn} changed while it was read (a reorg): try again`);
      return { ...ev, blockNumber: bn, blockTime: qty(blk.timestamp, 'block.timestamp') };
    }
    return null;
  };
  if (hint && hint <= head) {
    const f = await inWindow(hint, hint);
    if (f) return f;
  }
  for (let hi = head; ;) {
    const lo = hi >= WINDOW - 1n ? hi - (WINDOW - 1n) : 0n;
    const f = await inWindow(lo, hi);
    if (f) return f;
    if (lo === 0n) break;
    hi = lo - 1n;
  }
  throw new LedgerError(`no checkpoint ${seq} of this issuer up to block ${head}`);
}

/**
 * The "revocation" check (revocation.c verify_revocation), appended to `checks`.
 * opt: {rpc, revocations (bytes or URL, optional), confirmations (BigInt), deadlineMs}.
 */
export async function verifyRevocation(b, opt, checks, statusSoFar) {
  const N = 'revocation';
  if (!b.anchored || statusSoFar === 'INVALID') {
    checks.push(check(N, 'skipped', 'not checked: the credential\'s issuance did not verify'));
    return;
  }
  const a = b.anchor;
  let copy = null;
  if (opt.revocations != null && opt.revocations !== '') {
    try {
      copy = await loadCopy(opt.revocations, opt.deadlineMs, opt.memo);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      checks.push(check(N, 'unknown', `the revocation log copy is unusable (${e.message}): status UNKNOWN`));
      return;
    }
    if (!(copy.issuer === a.issuer && copy.contract === a.contract && copy.chainId === a.chainId && copy.ledger === a.ledger)) {
      checks.push(check(N, 'unknown', `the log copy is of issuer ${copy.issuer} on chain ${copy.chainId} (${copy.ledger}), not of ${a.issuer} as anchored for this credential: status UNKNOWN`));
      return;
    }
  }
  const ebsi = a.ledger === 'ebsi';
  let rpc, head, count, hist = null, kh = null;
  try {
    rpc = rpcClient(opt.rpc, { deadlineMs: opt.deadlineMs, memo: opt.memo });
    qty(await rpc.call('eth_chainId'), 'eth_chainId');
    const latest = qty(await rpc.call('eth_blockNumber'), 'eth_blockNumber');
    const conf = opt.confirmations < 1n ? 1n : opt.confirmations;
    head = latest + 1n >= conf ? latest + 1n - conf : 0n;
    if (ebsi) {
      // no counter on EBSI's contract: the issuer's events are the history (web/ebsi.js)
      hist = await checkpointHistory(rpc, a, head, WINDOW);
    } else if (await isRegistry2(rpc, a.contract)) {
      kh = { counts: keyRule(rpc, a.contract, a.issuer) };
      count = await countCheckpoints2(rpc, a, head, WINDOW, kh.counts);
    } else {
      const ret = await ethCall(rpc, a.contract, selector('nextSeq(address,uint8)') + addrWord(a.issuer) + '0'.repeat(63) + '1', hexq(head), 32);
      count = BigInt('0x' + ret);
      if (count >= 2n ** 64n) throw new LedgerError('nextSeq answer out of range');
    }
  } catch (e) {
    if (!(e instanceof LedgerError)) throw e;
    checks.push(check(N, 'unknown', `could not read the issuer's revocation checkpoints from the ledger (${e.message}): status UNKNOWN, not revoked and not valid`));
    return;
  }
  if (ebsi) {
    const bad = historyNumbered(hist);
    if (bad) {
      checks.push(check(N, 'unknown', `${bad[0]}: ${bad[1]} — which checkpoint is the issuer's newest cannot be decided: status UNKNOWN`));
      return;
    }
    count = BigInt(hist.length);
  }
  const cred = b.credential.hash;
  const idxOf = () => copy.entries.findIndex((en) => en.credential === cred);
  if (count === 0n) {
    const idx = copy ? idxOf() : -1;
    checks.push(idx >= 0
      ? check(N, 'unknown', `PENDING REVOCATION: the log copy lists this credential as revoked (entry ${idx}, ${REASONS[copy.entries[idx].reason]}) but ${a.issuer} has never anchored a revocation checkpoint, so it cannot be proven: status UNKNOWN`)
      : check(N, 'pass', `${a.issuer} has never anchored a revocation checkpoint (as of block ${head}): it has revoked nothing on the ledger`));
    return;
  }
  const seq = count - 1n;
  let newest;
  if (ebsi) {
    // the last of the history, confirmed by the contract's own record (getTimestamp at head)
    newest = hist[hist.length - 1];
    let rec;
    try {
      rec = await ledgerRecord(rpc, a, newest.root, head);
    } catch (e) {
      if (!(e instanceof LedgerError)) throw e;
      checks.push(check(N, 'unknown', `could not read getTimestamp of checkpoint ${seq} (${e.message}): status UNKNOWN`));
      return;
    }
    if (!rec || !rec.ours || rec.kind !== 'revocation' || rec.seq !== seq || rec.size !== newest.size || rec.blockNumber !== newest.blockNumber || rec.blockTime !== newest.blockTime) {
      checks.push(check(N, 'unknown', `the Timestamp contract's record of checkpoint ${seq} (block ${newest.blockNumber}) does not confirm its event ` +
        `(getTimestamp names block ${rec ? rec.blockNumber : 0n}): status UNKNOWN`));
      return;
    }
  } else try {
    const hint = copy ? (copy.checkpoints.find((c) => c.seq === seq) || {}).blockNumber : undefined;
    newest = await findCheckpoint(rpc, a, seq, hint, head, kh);
  } catch (e) {
    if (!(e instanceof LedgerError)) throw e;
    checks.push(check(N, 'unknown', `the registry counts ${count} checkpoints of ${a.issuer} but checkpoint ${seq} could not be read (${e.message}): status UNKNOWN`));
    return;
  }
  const when = formatTime(newest.blockTime);
  if (!copy) {
    checks.push(check(N, 'unknown', `${a.issuer} anchored revocation checkpoint ${seq} (${newest.size} revocations, block ${newest.blockNumber} at ${when}); ` +
      'without a copy of its log (the revocation log field: a file or URL, from anywhere — it is checked against that root) the status is UNKNOWN'));
    return;
  }
  // revocation_analysis.c: the copy must reproduce the newest anchored root.
  const reproduced = BigInt(copy.entries.length) >= newest.size && (await revlogRoot(copy, newest.size)) === newest.root;
  if (!reproduced) {
    checks.push(check(N, 'unknown', `the revocation log copy is INVALID against checkpoint ${seq} (root ${newest.root.slice(0, 16)}…, block ${newest.blockNumber}): ` +
      `${BigInt(copy.entries.length) < newest.size ? 'log-truncated' : 'log-mismatch'}: the copy does not give the anchored root — status UNKNOWN`));
    return;
  }
  const idx = idxOf();
  if (idx < 0) {
    const later = BigInt(copy.entries.length) > newest.size;
    checks.push(check(N, 'pass', `not revoked as of checkpoint ${seq} (${newest.size} revocations, block ${newest.blockNumber}) at ${when}` +
      (later ? '; the copy has later entries, not yet anchored, that do not name it' : '')));
    return;
  }
  const en = copy.entries[idx];
  if (BigInt(idx) >= newest.size) {
    checks.push(check(N, 'unknown', `PENDING REVOCATION: the log copy lists this credential as revoked (entry ${idx}, reason ${REASONS[en.reason]}, dated ${formatTime(BigInt(en.revokedAt))}) ` +
      `after the newest anchored checkpoint ${seq} (${when}); it cannot be proven until a checkpoint covers it: status UNKNOWN (it was not revoked as of checkpoint ${seq})`));
    return;
  }
  // The tightest bound: the first earlier checkpoint the copy lists that covers the entry, confirmed by the registry.
  // ebsi: the first of the issuer's earlier checkpoints that covers it, if the copy reproduces its root.
  let bound = { seq, blockNumber: newest.blockNumber, blockTime: newest.blockTime };
  const h = ebsi ? hist.slice(0, -1).find((x) => x.size > BigInt(idx)) : null;
  if (h && (await revlogRoot(copy, h.size)) === h.root) bound = { seq: h.seq, blockNumber: h.blockNumber, blockTime: h.blockTime };
  const c = ebsi ? null : copy.checkpoints.find((x) => x.size > BigInt(idx) && x.seq < seq);
  if (c) {
    try {
      if ((await revlogRoot(copy, c.size)) === c.root) {
        const rec = await (kh ? anchoredAt2 : anchoredAt)(rpc, a.contract, a.issuer, c.root, hexq(head));
        if (rec.blockNumber !== 0n && rec.kind === 1n && rec.seq === c.seq && rec.size === c.size && (!kh || (await kh.counts(rec.key, rec.blockNumber))))
          bound = { seq: c.seq, blockNumber: rec.blockNumber, blockTime: rec.timestamp };
      }
    } catch (e) {
      if (!(e instanceof LedgerError)) throw e;
    }
  }
  checks.push(check(N, 'revoked', `REVOKED by ${a.issuer}: entry ${idx} of its revocation log, reason ${REASONS[en.reason]} (${en.reason})` +
    `${en.note !== null ? `, note "${en.note}"` : ''}, dated ${formatTime(BigInt(en.revokedAt))} by the issuer; revoked no later than checkpoint ${bound.seq} ` +
    `at block time ${formatTime(bound.blockTime)} (block ${bound.blockNumber})`));
}
