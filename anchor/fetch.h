/*
 * anchor/fetch.h — a small, bounded HTTP(S) GET of a document from a URL
 * (today: a copy of an issuer's revocation log, verifier/revocation.c).
 *
 * Bounded in every way an untrusted server could abuse: only http:// and
 * https:// (redirects too, at most 3; or https:// only and no redirect at
 * all, for did:web, anchor/did.h), a size limit enforced while the body
 * arrives, a per-transfer timeout cut to a shared deadline, a 5 s connect
 * timeout. Loopback is never proxied (a local mirror or test server);
 * otherwise libcurl's usual proxy environment applies. Messages name the
 * URL without user:password@, query or fragment (which may hold a key), at
 * most 200 characters of it. libcurl is initialised through net_global_init()
 * (anchor/net.h), the process's one place for that.
 */
#ifndef ANCHOR_FETCH_H
#define ANCHOR_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"

struct fetch_opts {
    const char *url;     /* http:// or https:// */
    size_t max_bytes;    /* the body may be at most this long */
    const char *what;    /* names the limit in messages, e.g. "revocation log" */
    unsigned timeout_ms; /* for the whole transfer (0 = 60 s) */
    uint64_t deadline_ms; /* CLOCK_MONOTONIC ms (rpc_now_ms(), anchor/rpc.h) the transfer must
                             end by, cutting timeout_ms; 0 = none */
    bool https_only;      /* only https:// (E_INVALID otherwise) */
    bool no_redirects;    /* a 3xx answer is not followed: E_PROTOCOL naming where it points */
    const char *ca_file;  /* trust the CAs in this PEM file instead of the system's
                             (CURLOPT_CAINFO; for tests and private PKI); NULL = system */
    const char *const *resolve; /* "HOST:PORT:ADDRESS" DNS overrides (CURLOPT_RESOLVE, as
                                   curl --resolve); n_resolve of them */
    size_t n_resolve;
    long *status;         /* when not NULL: receives the HTTP status of the answer (0 = none),
                             so a caller can tell 404 "no such thing" from "unreachable" */
};

/*
 * GET o->url into *out (a fresh buffer the caller frees with buf_free; its
 * length may be 0). Only an HTTP 200 answer is a document.
 * Errors: E_INVALID a scheme other than http/https (also on a redirect; with
 * https_only, anything but https); E_PROTOCOL a 3xx answer with no_redirects;
 * E_LIMIT the body is larger than o->max_bytes; E_NETWORK it could not be
 * fetched (DNS, connection, TLS, timeout, an answer other than 200 — the
 * message says which); E_NOMEM. On error *out is left empty.
 */
err_code fetch_get(const struct fetch_opts *o, struct buf *out, struct err *e) MUST_CHECK;

/* The URL as it may appear in a message: without user:password@ in its
 * authority and without query or fragment, at most 200 characters,
 * NUL-terminated in out[0..n) (truncated to fit). */
void fetch_url_for_msg(const char *url, char *out, size_t n);

#endif
