// web/batch.js — many credentials in one run (issue 16 item 1 for the page;
// the library's `verifier verify --batch`): verifyCredentials() verifies each
// item exactly as verifyCredential() would, with one run's memo shared by all
// of them, so the ledger facts of an anchor that many bundles share (chain id,
// contract code, transaction, receipt, record, block, head, checkpoints), a
// revocation log copy at one URL and an issuer's DID document are asked once
// per run — keyed by the whole question (endpoint, method, every parameter;
// the copy's URL; the DID), so one anchor's facts never answer another's —
// and at most `concurrency` credentials in flight. Also: pairFiles(), which
// the page uses to match dropped credentials with their bundles.
import { verifyCredential, embedSplit, InputError } from './verify.js';

/** A run's memo (rpcClient's `memo`): answers and fetches shared by the verifications of one run. */
export function newRunMemo() {
  return { rpc: new Map(), copies: new Map(), dids: new Map(), hits: 0, misses: 0 };
}

/**
 * Verify many credentials in one run.
 *   items: [{credential, bundle, hash, name?}] — each as verifyCredential's (a credential that carries
 *          its bundle needs none); `name` is only passed through.
 *   opts:  {rpc, issuer, revocations, confirmations, contracts, timeoutSeconds} — the run's, as
 *          verifyCredential's (the same for every item); concurrency (default 8, 1..64); onResult(index,
 *          result) called as each finishes (any order).
 * → Promise of the results in the items' order: each is exactly what verifyCredential gives for that
 * item, plus `index` and `name`. An item verifyCredential refuses by a TypeError (neither credential
 * nor hash, both) is status "ERROR" with the reason, so one bad entry does not stop the run. The memo's
 * counters: the returned array's `memo` ({hits, misses}).
 */
export async function verifyCredentials(items, opts = {}) {
  if (!Array.isArray(items)) throw new TypeError('verifyCredentials: give an array of {credential, bundle, hash}');
  const { concurrency = 8, onResult = null, ...run } = opts;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new TypeError('concurrency: give a number from 1 to 64');
  if (run.memo) throw new TypeError('verifyCredentials makes its own memo');
  const memo = newRunMemo();
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      const it = items[i] || {};
      let r;
      try {
        r = await verifyCredential({ credential: it.credential, bundle: it.bundle, hash: it.hash, ...run, memo });
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
        r = { status: 'ERROR', ledgerChecked: false, online: !!run.rpc, credentialHash: null, hashing: null, checks: [], error: e.message, bundle: null, embedded: false };
      }
      r.index = i;
      r.name = it.name;
      results[i] = r;
      if (onResult) onResult(i, r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  results.memo = { hits: memo.hits, misses: memo.misses };
  return results;
}

/** Counts per status of results: {VALID, INVALID, UNKNOWN, REVOKED, ERROR}. */
export function countStatuses(results) {
  const c = { VALID: 0, INVALID: 0, UNKNOWN: 0, REVOKED: 0, ERROR: 0 };
  for (const r of results) c[r.status] = (c[r.status] || 0) + 1;
  return c;
}

/**
 * Match dropped files into items: files: [{name, bytes}], each a proof bundle
 * (isBundle(bytes)), or a credential. A credential is paired with the bundle
 * whose credential.hash is its hash; one that carries its bundle stands alone.
 * → {items: [{name, credential, bundle?}], unmatched: [{name, why}]} — an
 * unmatched file is reported, never verified against a bundle it was not made for.
 */
export async function pairFiles(files, isBundle) {
  const bundles = new Map(), creds = [], unmatched = [];
  for (const f of files) {
    if (isBundle(f.bytes)) {
      let h = null;
      try {
        h = JSON.parse(new TextDecoder().decode(f.bytes)).credential.hash;
      } catch { /* judged below */ }
      if (typeof h !== 'string' || !/^[0-9a-f]{64}$/.test(h)) unmatched.push({ name: f.name, why: 'a proof bundle without a readable credential.hash' });
      else if (bundles.has(h)) unmatched.push({ name: f.name, why: `a second bundle for credential ${h.slice(0, 16)}… (${bundles.get(h).name} is used)` });
      else bundles.set(h, f);
    } else creds.push(f);
  }
  const items = [], used = new Set();
  for (const c of creds) {
    let sp;
    try {
      sp = await embedSplit(c.bytes, c.name);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      items.push({ name: c.name, credential: c.bytes }); // verifyCredential says what is wrong
      continue;
    }
    const b = sp.found ? null : bundles.get(sp.hash);
    if (b) used.add(sp.hash);
    if (sp.found || b) items.push({ name: c.name, credential: c.bytes, ...(b ? { bundle: b.bytes, bundleName: b.name } : {}) });
    else unmatched.push({ name: c.name, why: 'no proof bundle among the files is for this credential (and it carries none)' });
  }
  for (const [h, b] of bundles) if (!used.has(h)) unmatched.push({ name: b.name, why: `no credential among the files has hash ${h.slice(0, 16)}…` });
  return { items, unmatched };
}
