/*
 * anchor/rpc_memo.h — answers of read-only JSON-RPC calls remembered for a
 * run, shared by the clients (and threads) of one process: `verifier verify
 * --batch` asks the ledger once for the facts many bundles of the same
 * anchor share (chain id, contract code, transaction, receipt, record,
 * block, confirmations' head, checkpoints), not once per bundle.
 *
 * The key is the whole request: the ledger URL, the method and its
 * parameters (canonical JSON, keys sorted). Two requests share an answer
 * only when they are the same question to the same node — a bundle's facts
 * can never answer for another anchor (other contract, chain, root or
 * transaction hash means other parameters, or another URL). Only successful
 * answers are kept; a failure is asked again by the next caller. Only
 * read-only methods are remembered (rpc_memo_cacheable); sending a
 * transaction never goes through here.
 *
 * The ledger is read as of the first time each question was asked in the
 * run: e.g. the head block for the confirmation depth is the one seen first,
 * which can only make a depth smaller than a later look, never larger.
 *
 * Concurrency: one memo serves many threads. While one caller fetches an
 * answer, others asking the same question wait for it (one request on the
 * wire); if the fetch fails, the next waiter fetches in turn.
 *
 * Ownership: the creator frees the memo after every client that uses it
 * (struct rpc_options.memo) is done.
 */
#ifndef ANCHOR_RPC_MEMO_H
#define ANCHOR_RPC_MEMO_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

struct rpc_memo;

/* A new, empty memo. E_NOMEM. */
err_code rpc_memo_new(struct rpc_memo **out, struct err *e) MUST_CHECK;

/* Free the memo and every answer in it. NULL is fine. */
void rpc_memo_free(struct rpc_memo *m);

/* Counters: answers given from the memo, and questions sent to a node. */
void rpc_memo_stats(struct rpc_memo *m, uint64_t *hits, uint64_t *misses);

/* --- for anchor/rpc.c ------------------------------------------------------ */

/* Is `method` one whose answer may be remembered (eth_chainId, eth_getCode,
 * eth_call, eth_getTransactionByHash, eth_getTransactionReceipt,
 * eth_getBlockByNumber, eth_getBlockByHash, eth_blockNumber, eth_getLogs)? */
bool rpc_memo_cacheable(const char *method);

/* The key of a request (malloc'd; NULL when out of memory: then do not use
 * the memo for it): the ledger URL, the response-size limit the client
 * accepts (a larger limit may accept an answer a smaller one refuses), the
 * method and the parameters (canonical JSON). `params` is only read. */
char *rpc_memo_key(const char *url, size_t max_response, const char *method,
                   const json_t *params);

/* Look `key` up. True: *result is a new reference to the remembered answer,
 * SHARED with every other caller and thread: read it only, never modify it
 * (no json_object_set/del, no json_array_append, ...); json_decref() it
 * when done. False: the caller now owns the question — it must fetch the
 * answer and call rpc_memo_end() with the same key exactly once, whatever
 * happens (others asking wait). */
bool rpc_memo_begin(struct rpc_memo *m, const char *key, json_t **result);

/* End an owned question: `answer` (NULL = the fetch failed) is remembered
 * as a new reference — from now on it is shared and read-only, for the
 * caller too — and waiters wake. */
void rpc_memo_end(struct rpc_memo *m, const char *key, json_t *answer);

/* --- other answers of the run (verifier: DID documents, log copies) --------
 * The same once-per-run discipline for any value a caller builds: the key
 * must hold every input that changes the answer (the caller's tag first,
 * "did\n" or "revlog\n", which no ledger URL begins with, so these keys
 * never meet the JSON-RPC ones). */

/* The remembered value of `key` — shared, read-only, valid until
 * rpc_memo_free() — or NULL: the caller now owns the question and must call
 * rpc_memo_value_end() with the same key exactly once (others asking
 * wait). */
const void *rpc_memo_value_begin(struct rpc_memo *m, const char *key);

/* End an owned question with `value` (the caller's, malloc'd; NULL = the
 * fetch failed, and the next caller asks again). True: the memo took it —
 * from now on it is shared and read-only, for the caller too, released by
 * free_fn in rpc_memo_free(). False: not kept (no memory, or NULL given):
 * the caller still owns it. */
bool rpc_memo_value_end(struct rpc_memo *m, const char *key, void *value,
                        void (*free_fn)(void *));

#endif
