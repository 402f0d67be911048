/*
 * core/error.h — the one error type every part of the project uses.
 *
 * Library functions never exit and never print: they return an `err_code`
 * (0 on success) and, when the caller passes a non-NULL `struct err *`, fill
 * it with the same code and a message a person can act on ("bundle.json:
 * path has 9 hashes but index 12 in a tree of 1000 needs 10"). Only a
 * command's main() decides what to print and which exit status to use.
 * This follows curl's CURLcode + curl_easy_strerror pattern.
 */
#ifndef CORE_ERROR_H
#define CORE_ERROR_H

#include <stddef.h>

#define MUST_CHECK __attribute__((warn_unused_result))

typedef enum {
    E_OK = 0,
    E_INVALID,     /* the caller's input is malformed (bad hex, bad JSON, wrong length) */
    E_LIMIT,       /* input exceeds a size, depth or count limit */
    E_VERIFY,      /* well-formed input that fails a cryptographic check */
    E_IO,          /* file system error */
    E_NOMEM,       /* allocation failed */
    E_NETWORK,     /* peer unreachable, timeout, transport error: outcome unknown */
    E_PROTOCOL,    /* peer answered, but not what the protocol allows */
    E_CRYPTO,      /* a crypto library call failed */
    E_STATE,       /* operation not allowed in the current state */
    E_NOT_FOUND,   /* the thing asked for does not exist */
    E_UNSUPPORTED, /* a version, algorithm or option we do not implement */
    E__COUNT
} err_code;

/* Filled by a failing function; `msg` is always NUL-terminated. */
struct err {
    err_code code;
    char msg[512];
};

/* Set `e` (if non-NULL) to `code` with a printf-style message; returns
 * `code` so a failing function can `return err_set(e, E_INVALID, ...)`. */
err_code err_set(struct err *e, err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the existing message of `e` with "prefix: " (for context such as a
 * file name). `e` may be NULL. Returns nothing on purpose: to add context
 * while returning a failure, use err_wrap(), which cannot turn a failure
 * into E_OK when the caller passed no `struct err`. */
void err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* err_prefix() then return `code` (whether or not `e` is NULL):
 * `return err_wrap(e, rc, "batch %llu", seq);` */
err_code err_wrap(struct err *e, err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset `e` to E_OK with an empty message. `e` may be NULL. */
void err_clear(struct err *e);

/* A short stable name for a code ("invalid", "limit", ...). Never NULL. */
const char *err_name(err_code code);

#endif
