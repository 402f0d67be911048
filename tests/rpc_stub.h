/*
 * tests/rpc_stub.h — a tiny scripted HTTP/1.1 responder on 127.0.0.1 for
 * testing the JSON-RPC client's failure paths (anchor/rpc.c): it answers the
 * n-th request with the n-th canned reply (the last one repeats), or with a
 * reply computed per request (rpc_stub_start_fn), one connection at a time,
 * "Connection: close" always. Runs in a thread.
 *
 * Reply bodies are templates: "{{id}}" becomes the request's JSON-RPC id and
 * "{{auth}}" the value of its Authorization header (to prove a hostile node
 * echoing the token cannot get it into our error messages).
 */
#ifndef TESTS_RPC_STUB_H
#define TESTS_RPC_STUB_H

#include <stdbool.h>
#include <stddef.h>

struct rpc_stub_reply {
    int status;            /* HTTP status; 0 = close the connection without answering */
    const char *headers;   /* extra header lines, each ending in "\r\n" (may be NULL) */
    const char *body;      /* template (may be NULL) */
    size_t filler;         /* this many '0' bytes after body ... */
    const char *tail;      /* ... then this (may be NULL) */
    bool chunked;          /* Transfer-Encoding: chunked instead of Content-Length */
    size_t claim_extra;    /* Content-Length claims this many bytes more than are sent */
    unsigned delay_ms;     /* wait before answering (cut short by rpc_stub_stop) */
};

/* Two node errors a fake ledger answers with ({{id}} is the request's id):
 * a method it does not serve, and a block whose state it does not hold (a
 * node that is behind or pruned). */
#define RPC_STUB_METHOD_NOT_FOUND                                                               \
    "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":-32601,\"message\":"         \
    "\"method not found\"}}"
#define RPC_STUB_HEADER_NOT_FOUND                                                               \
    "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":-32000,\"message\":"         \
    "\"header not found\"}}"

struct rpc_stub;

/* A responder computed per request (rpc_stub_start_fn): called on the
 * stub's thread with the request body, it returns the reply; the strings it
 * points at must stay valid until the next call. */
typedef struct rpc_stub_reply (*rpc_stub_fn)(void *arg, const char *body);

/* Start answering with a copy of `script` (the strings must outlive the
 * stub). NULL if the socket or thread cannot be set up. */
struct rpc_stub *rpc_stub_start(const struct rpc_stub_reply *script, size_t n);

/* Start answering every request with fn(arg, body) (a fake ledger that
 * looks at the method and parameters). NULL as rpc_stub_start. */
struct rpc_stub *rpc_stub_start_fn(rpc_stub_fn fn, void *arg);

/* "http://127.0.0.1:PORT/" — owned by the stub. */
const char *rpc_stub_url(const struct rpc_stub *s);

/* Stop the thread and close the socket; counters stay readable until
 * rpc_stub_free(). */
void rpc_stub_stop(struct rpc_stub *s);
void rpc_stub_free(struct rpc_stub *s);

/* Requests read completely (call after rpc_stub_stop for an exact count). */
unsigned rpc_stub_requests(const struct rpc_stub *s);
/* Authorization header value and body of the last request ("" if none). */
const char *rpc_stub_last_auth(const struct rpc_stub *s);
const char *rpc_stub_last_body(const struct rpc_stub *s);

/* A TCP port on 127.0.0.1 that nothing listens on (bound, then closed). */
int rpc_stub_dead_port(void);

#endif
