/*
 * anchor/rpc.h — the JSON-RPC 2.0 transport over HTTP(S) (libcurl + jansson):
 * one client per ledger URL, retries with backoff, Retry-After, size limits,
 * the run's deadline, the envelope checks and the canned-answer test hook.
 * The typed Ethereum calls (eth_chainId, eth_getLogs, ...) and the strict
 * parsers of their fields are built on it in anchor/eth.h.
 *
 * Everything the notary and the verifier learn from a ledger comes through
 * here, from a node we do not control. So: every response is bounded (size;
 * eth.h adds counts), parsed strictly (core/json.h: duplicate keys, depth)
 * and checked as a JSON-RPC 2.0 answer to our request; eth.h then checks it
 * field by field. A node that answers anything else gets E_PROTOCOL saying
 * what is wrong — never a crash.
 *
 * Failures mean different things to the caller and get different codes:
 *   E_NETWORK   timeout, refused connection, HTTP 5xx/429/408 after the
 *               retries: the request may or may not have reached the node —
 *               "outcome unknown" (look the transaction up, never re-sign).
 *   E_STATE     HTTP 401/403: the bearer token is missing, expired or lacks
 *               the scope. Not retried.
 *   E_PROTOCOL  the node answered but not as the protocol allows (other 4xx,
 *               malformed body, wrong id) — or answered with a JSON-RPC error
 *               object, whose code, message and data are kept in
 *               rpc_last_error() with a reason (nonce too low, already known,
 *               revert, ...). A JSON-RPC error is an answer: never retried.
 *   E_LIMIT     the response exceeds max_response_bytes (eth.h: or a list
 *               exceeds its count limit). Not retried.
 *
 * Retries: transport failures, HTTP 5xx/429/408 and unparseable bodies (a
 * truncating proxy) are retried with exponential backoff and full jitter
 * (delay = random in [0, min(max_delay, base · 2^k)]), waiting at least the
 * Retry-After seconds a 429/503 asks for, up to max_attempts. Whether a call
 * may be re-sent at all is the caller's choice (struct rpc_call_opts): re-
 * sending eth_sendRawTransaction is safe (same bytes, same hash), but the
 * caller must decide it knowingly.
 *
 * Secrets: the bearer token is copied, sent only in the Authorization header,
 * wiped on rpc_client_free(), and never appears in an error message (messages
 * are scrubbed as a last line of defence). Error messages name the ledger by
 * its origin (scheme://host:port) only, because URL paths often carry API keys.
 *
 * Ownership: a client is used by one thread at a time.
 */
#ifndef ANCHOR_RPC_H
#define ANCHOR_RPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define RPC_DEFAULT_CONNECT_TIMEOUT_MS 5000u
#define RPC_DEFAULT_TIMEOUT_MS         30000u
#define RPC_DEFAULT_MAX_RESPONSE       (16u << 20) /* 16 MiB */
#define RPC_DEFAULT_MAX_ATTEMPTS       5u
#define RPC_DEFAULT_BASE_DELAY_MS      250u
#define RPC_DEFAULT_MAX_DELAY_MS       8000u
#define RPC_DEFAULT_MAX_RETRY_AFTER_MS 60000u
#define RPC_MAX_URL                    2048u
#define RPC_MAX_TOKEN                  8192u

struct rpc_client;

/*
 * Options for rpc_client_new(). Zero-initialise and set what you need; every
 * zero field takes the RPC_DEFAULT_* value.
 */
struct rpc_options {
    const char *url;          /* http:// or https:// only; no user:password@ */
    const char *bearer_token; /* NULL or "" = none. Copied; the caller wipes its own copy. */
    unsigned connect_timeout_ms;
    unsigned timeout_ms;       /* whole request, per attempt */
    size_t max_response_bytes; /* larger bodies abort the transfer → E_LIMIT */
    unsigned max_attempts;     /* 1 = never retry */
    unsigned base_delay_ms;    /* backoff: first retry waits up to this */
    unsigned max_delay_ms;     /* backoff cap */
    unsigned max_retry_after_ms; /* a Retry-After asking for longer ends the retries */
    /* A deadline shared by every call of this client, attempts and backoff
     * waits included: a CLOCK_MONOTONIC time in ms (rpc_now_ms() + budget;
     * several clients may share one). Each attempt's timeouts are cut to
     * what is left; a call started after it, or whose next retry would end
     * after it, fails E_NETWORK saying the time limit ran out. 0 = none. */
    uint64_t deadline_ms;
    /* Answers of read-only calls shared for a run (anchor/rpc_memo.h), or
     * NULL. Not owned: it must outlive the client. */
    struct rpc_memo *memo;
    /* Test hooks (NULL = real ones). sleep_ms is called for every backoff
     * wait; jitter returns a value in [0, cap_ms] (default: uniform random). */
    void (*sleep_ms)(void *ctx, uint64_t ms);
    uint64_t (*jitter)(void *ctx, uint64_t cap_ms);
    void *hook_ctx;
};

/* Now on CLOCK_MONOTONIC, in ms: the clock of rpc_options.deadline_ms. */
uint64_t rpc_now_ms(void);

/* Create a client. E_INVALID for a missing/overlong URL, a scheme other than
 * http/https, credentials in the URL, or a token with control characters or
 * longer than RPC_MAX_TOKEN. Nothing is sent until the first call. */
err_code rpc_client_new(const struct rpc_options *opt, struct rpc_client **out,
                        struct err *e) MUST_CHECK;

/* Close connections, wipe the token, free. NULL is fine. */
void rpc_client_free(struct rpc_client *c);

/*
 * For tests and fuzzing only: every later call on `c` gets, instead of a
 * network round trip, an HTTP 200 answer whose body is a copy of `len` bytes
 * of `body` (NULL: back to the network). The body passes every check a real
 * node's answer does — size limit, strict JSON, the JSON-RPC envelope with
 * the request's id (ids count up from 1 on a new client), the typed helper's
 * field checks. E_NOMEM if the copy cannot be made (the client then uses the
 * network again).
 */
err_code rpc_set_response_for_test(struct rpc_client *c, const void *body, size_t len,
                                   struct err *e) MUST_CHECK;

/* "scheme://host:port" of the ledger — what error messages show. Owned by the client. */
const char *rpc_client_origin(const struct rpc_client *c);

/* `url` fit for a message or an output: its origin (scheme://host:port),
 * then "/" and three stars if it has a path or a query — where API keys usually are
 * (https://node.example/v3/KEY, ?apikey=KEY) — never their text; user:password@
 * is dropped too. A string that is not an absolute URL gives "(not a valid
 * http(s) URL)". Writes at most `max` bytes (NUL included); returns out. */
const char *rpc_url_redact(const char *url, char *out, size_t max);

/* Counters since rpc_client_new(), for metrics. */
struct rpc_stats {
    uint64_t calls;            /* rpc_call*() invocations that sent something */
    uint64_t attempts;         /* HTTP requests made */
    uint64_t retries;          /* backoff waits taken */
    uint64_t failures;         /* calls that did not return E_OK */
    uint64_t transport_errors; /* attempts that failed below HTTP (timeout, refused, ...) */
    uint64_t http_errors;      /* attempts answered with a status other than 200 */
    uint64_t malformed;        /* attempts whose body was not a valid JSON-RPC response */
    uint64_t rpc_errors;       /* calls answered with a JSON-RPC error object */
    uint64_t bytes_received;   /* response bodies */
};
void rpc_get_stats(const struct rpc_client *c, struct rpc_stats *out);

/* What kind of failure the last call had (rpc_last_error()->failure). */
enum rpc_failure {
    RPC_FAIL_NONE = 0,
    RPC_FAIL_TRANSPORT, /* no HTTP answer: timeout, refused, reset, TLS */
    RPC_FAIL_HTTP,      /* HTTP status other than 200 (see http_status) */
    RPC_FAIL_AUTH,      /* HTTP 401/403 */
    RPC_FAIL_MALFORMED, /* body not a valid JSON-RPC 2.0 response for our request */
    RPC_FAIL_LIMIT,     /* body over max_response_bytes */
    RPC_FAIL_JSONRPC,   /* a well-formed JSON-RPC error object (code/message/data) */
    RPC_FAIL_RESULT,    /* a result that a typed helper rejected (shape, field): rpc_reject_result() */
};

/*
 * Why a JSON-RPC error happened, recognised from the messages geth, Besu,
 * OpenEthereum and ganache use (the codes are not standardised across
 * clients; the messages are the de-facto interface):
 */
enum rpc_reason {
    RPC_REASON_OTHER = 0,
    RPC_REASON_ALREADY_KNOWN,      /* "already known", "Known transaction", "already imported" */
    RPC_REASON_NONCE_TOO_LOW,      /* "nonce too low"; ganache "doesn't have the correct nonce" (lower) */
    RPC_REASON_UNDERPRICED,        /* "(replacement) transaction underpriced", "below ... minimum gas price" */
    RPC_REASON_INSUFFICIENT_FUNDS, /* "insufficient funds", Besu "Upfront cost exceeds account balance" */
    RPC_REASON_REVERT,             /* code 3, "execution reverted", ganache "VM Exception ... revert" */
    RPC_REASON_METHOD_NOT_FOUND,   /* -32601, Besu -32604 "not enabled", ganache "does not exist" */
};

/* Details of the last call's failure. Valid until the next call on the same
 * client or rpc_client_free(). */
struct rpc_error {
    enum rpc_failure failure;
    enum rpc_reason reason;  /* for RPC_FAIL_JSONRPC */
    long http_status;        /* last HTTP status seen, 0 if none */
    unsigned attempts;       /* HTTP attempts the call made */
    bool has_code;
    int64_t code;            /* JSON-RPC error code */
    char message[256];       /* JSON-RPC error message: printable ASCII, truncated */
    bool has_data;           /* error data carried revert bytes: a hex string, or an */
    uint8_t *data;           /*   object with a hex "data"/"result" (ganache)       */
    size_t data_len;
};
const struct rpc_error *rpc_last_error(const struct rpc_client *c);
/* A short name for a reason ("nonce-too-low", ...). Never NULL. */
const char *rpc_reason_name(enum rpc_reason r);

/* Per-call options. `retry`: may this request be sent more than once? */
struct rpc_call_opts {
    bool retry;
};

/*
 * Make one JSON-RPC 2.0 call: {"jsonrpc":"2.0","id":<next>,"method":method,
 * "params":params}.
 *   method  ASCII letters, digits and '_' (E_INVALID otherwise)
 *   params  STOLEN in every case (success or error): a new array or object,
 *           e.g. json_pack("[s,b]", ...). NULL (a failed json_pack) → E_NOMEM.
 *   result  Out: on E_OK a new reference to "result" (may be JSON null);
 *           the caller json_decref()s. NULL on error. With a memo
 *           (rpc_options.memo) and a read-only method the value is shared
 *           with other callers and threads (rpc_memo.h): read it only.
 * rpc_call() retries (for reads and idempotent calls); rpc_call_ex() takes
 * the choice from opts (NULL = retry). Codes: see the top of this file.
 */
err_code rpc_call(struct rpc_client *c, const char *method, json_t *params, json_t **result,
                  struct err *e) MUST_CHECK;
err_code rpc_call_ex(struct rpc_client *c, const char *method, json_t *params,
                     const struct rpc_call_opts *opts, json_t **result, struct err *e) MUST_CHECK;

/* --- for the typed layer (anchor/eth.c) ----------------------------------- */

/*
 * The result of the call just made was not acceptable (wrong shape, a bad
 * field, too many entries): the call counts as failed (rpc_stats.failures,
 * rpc_last_error()->failure RPC_FAIL_RESULT) and `e` gets `code` with the
 * message "ledger at <origin> " followed by the formatted text, the token and
 * the URL's secret part scrubbed out. Returns `code`.
 */
err_code rpc_reject_result(struct rpc_client *c, err_code code, struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Scrub the token and the URL's secret part from e->msg (and from
 * rpc_last_error()->message) — the last line of defence for a message a
 * caller builds from the node's text. Returns rc unchanged; nothing is done
 * when rc is E_OK or e is NULL. */
err_code rpc_scrub_error(struct rpc_client *c, err_code rc, struct err *e);

/* max_response_bytes in effect: the bound on what a typed helper decodes. */
size_t rpc_client_max_response(const struct rpc_client *c);

/* Copy `inlen` bytes of untrusted text into `out` (`max` bytes, NUL
 * included) for a message: printable ASCII kept, anything else '?', cut with
 * "..." when it does not fit. max must be at least 1. */
void rpc_sanitize(const char *in, size_t inlen, char *out, size_t max);

#endif
