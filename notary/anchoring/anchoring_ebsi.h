/*
 * notary/anchoring/anchoring_ebsi.h — the "ebsi" ledger flow (anchoring_ebsi.c,
 * driven by notary/anchoring/anchoring.c through flow.h; anchoring_ebsi_run in
 * anchoring.h): the same guarantees as the "evm" flow, for a notary whose
 * ledger is "ebsi" (anchor/ebsi.h), in which EBSI's Timestamp API builds the
 * transaction and takes it back signed, and a separate read-only ledger API
 * answers receipts, logs and eth_call.
 *
 *   CLOSED ──(getTimestamp(root) on the ledger: already ours → adopt it;
 *             else timestampHashes → check the unsigned transaction → sign →
 *             record raw tx + hash + nonce + the unsigned JSON)──▶ SENT
 *   SENT   ──(sendSignedTransaction with the stored bytes; receipt status 1
 *             with our TimestampedHashes event in a block canonical at the
 *             configured depth)──▶ ANCHORED
 *
 * The transaction is stored before it leaves the process, so a crash, a
 * gateway that goes down or a timeout is recovered by looking the hash up on
 * the ledger and resending the same bytes ("already known" is success); a
 * new transaction is only asked for when the ledger shows that our root is
 * not timestamped and our nonce went elsewhere. One anchor per batch.
 *
 * Refusals that leave the batch pending (CLOSED, nothing signed or sent):
 * the access token is missing, expired or lacks timestamp_write (E_STATE);
 * the API returned a transaction that is not exactly ours (E_VERIFY); the
 * API or the ledger is unreachable (E_NETWORK). FAILED (needs an operator):
 * the root was already timestamped by another address (first write wins),
 * the transaction reverted, or the mined transaction lacks our event.
 *
 * Settings read from the store's meta table (written by `notary init
 * --ledger ebsi`): timestamp_api (URL), token_file (optional),
 * hash_algorithm_id (optional, default EBSI_DEFAULT_HASH_ALG); the access
 * token is $NOTARY_EBSI_TOKEN if set, else the token file's content, else
 * one obtained from the issuer's DID (ebsi_token.h; renewed once on a 401).
 */
#ifndef NOTARY_ANCHORING_EBSI_H
#define NOTARY_ANCHORING_EBSI_H

#include "anchor/ebsi_alg.h"
#include "anchor/evm.h"
#include "notary/store/store.h"

/* The environment variable that carries the access token. */
#define ANCHORING_EBSI_TOKEN_ENV "NOTARY_EBSI_TOKEN"

/*
 * For `notary init --ledger ebsi`: is there a contract at `contract` on the
 * ledger? E_STATE if it has no code. *committed says whether it runs exactly
 * the committed Timestamp code (EBSI's own contract need not).
 */
err_code anchoring_ebsi_check_contract(struct evm_ledger *l, const struct addr20 *contract,
                                       bool *committed, struct err *e) MUST_CHECK;

/*
 * For `notary init --ledger ebsi`, before anything is written: does the
 * Timestamp API at `api_url` say that hash algorithm `hash_alg` (the
 * --hash-algorithm-id text; NULL = EBSI_DEFAULT_HASH_ALG) is sha2-256 and
 * active (anchor/ebsi_alg.h)? *id gets the number, *out the API's answer
 * when there was one. E_INVALID a malformed id, or another algorithm;
 * otherwise errors as ebsi_alg_confirm (E_NOT_FOUND unknown id, E_STATE
 * revoked, E_NETWORK unreachable, E_PROTOCOL malformed answer).
 */
err_code anchoring_ebsi_confirm_hash_algorithm(const char *api_url, const char *hash_alg,
                                               uint64_t *id, struct ebsi_alg *out,
                                               struct err *e) MUST_CHECK;

/*
 * Store the "ebsi" settings: the Timestamp API URL (http/https), the token
 * file (optional; made absolute, must be mode 0600 and hold a token — which
 * is read and wiped, never stored) and the hash algorithm id (NULL = the
 * default). E_INVALID / E_STATE saying what is wrong.
 */
err_code anchoring_ebsi_configure(struct store *s, const char *api_url, const char *token_file,
                                  const char *hash_alg, struct err *e) MUST_CHECK;

#endif
