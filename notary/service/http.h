/*
 * notary/service/http.h — a small HTTP server on libmicrohttpd for the notary's API:
 * a route table, bounded request parsing, bearer-token authentication,
 * JSON errors with stable codes, deferred (asynchronous) answers, metrics
 * per route and status, and a graceful stop.
 *
 * Threading: libmicrohttpd runs a pool of worker threads, each an epoll
 * loop over many connections; handlers run on those threads and must not
 * block. A handler that waits for something (a durable commit) calls
 * http_defer(): the connection is suspended, the worker serves others, and
 * whoever finishes the work calls http_resume(), which runs the handler
 * again on a worker thread (http_req_resumed() is then true) to answer.
 *
 * Limits, so that no client can exhaust the server: request headers are
 * bounded by the connection memory limit (431 beyond it); a body larger
 * than its route's max_body is refused with 413 before it is read when it
 * has a Content-Length, or as soon as it grows past the limit; idle
 * connections close after timeout_s; a request head (request line and
 * headers) must be complete within head_timeout_s of the connection's
 * accept (or of the previous answer on a kept-alive connection), however
 * steadily it trickles in, or the connection is shut down; total and
 * per-address connection limits bound what slow clients can hold. Refused
 * and cut connections are logged as one summary line
 * ("connections_limited") per 10 s, never one line per connection.
 *
 * Strictness: an HTTP/1.1 request without Host, and a URI with an escaped
 * NUL (%00) anywhere, are answered 400 invalid_request before routing.

 *
 * Errors are JSON: {"error": "<stable code>", "message": "<for a person>"}.
 * Codes used by this module: not_found, method_not_allowed, unauthorized,
 * invalid_token, invalid_request, body_too_large, shutting_down, internal.
 *
 * Ownership: the server keeps pointers to the routes and app given to
 * http_start(); they must outlive http_stop(). A request (`struct
 * http_req`) lives from its first byte until its answer is sent; its data
 * pointer (http_req_set_data) is freed with it.
 */
#ifndef NOTARY_HTTP_H
#define NOTARY_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bytes.h"
#include "core/error.h"
#include "notary/service/metrics.h"

struct http_server;
struct http_req;

typedef void (*http_handler_fn)(struct http_req *r, void *app);

struct http_route {
    const char *method;  /* "GET" (HEAD is served by GET routes) or "POST" */
    const char *path;    /* literal segments and {name} parameters: "/v1/batches/{seq}" */
    http_handler_fn fn;
    bool auth;           /* a valid bearer token is required */
    size_t max_body;     /* largest body accepted; 0 = no body */
    const char *summary; /* one line, for --print-routes */
};

struct http_config {
    const char *listen;               /* "127.0.0.1:8080", "[::1]:8080"; port 0 = any free port */
    const struct http_route *routes;
    size_t nroutes;
    unsigned threads;                 /* worker threads (0 = 2) */
    unsigned timeout_s;               /* idle connection timeout (0 = 15) */
    unsigned max_connections;         /* all clients together (0 = 1024) */
    unsigned per_ip_connections;      /* per client address (0 = unlimited) */
    unsigned head_timeout_s;          /* the whole request head within this (0 = 10) */
    size_t header_limit;              /* memory per connection for the request head (0 = 32 KiB) */
    void *app;                        /* passed to handlers and auth */
    /* Is `token` (len bytes, untrusted) valid? Copy its name (≤ 64 chars) into `name`. */
    bool (*auth)(void *app, const char *token, size_t len, char *name);
    struct metrics *metrics;          /* may be NULL; route i counts as routes[i] */
    bool access_log;                  /* one structured log line per request */
};

/* Start serving (threads run in the background). E_INVALID for a bad
 * listen address, E_IO if the address cannot be bound (in use, no
 * permission), E_NOMEM. */
err_code http_start(const struct http_config *cfg, struct http_server **out,
                     struct err *e) MUST_CHECK;
/* The TCP port actually bound (useful with port 0). */
uint16_t http_port(const struct http_server *s);
/* Stop accepting connections; requests already received are still served,
 * and any new request on an open connection is answered 503 shutting_down. */
void http_quiesce(struct http_server *s);
/* Wait until no request is in flight (received and not yet answered, or
 * deferred), at most timeout_ms. True if none is left. */
bool http_drain(struct http_server *s, unsigned timeout_ms);
/* Requests in flight now. */
unsigned http_in_flight(struct http_server *s);
/* Stop the worker threads, close every connection, free the server. */
void http_stop(struct http_server *s);

/* ---- inside a handler ---------------------------------------------------- */

/* The value of path parameter `name` ("hash" for {hash}); NULL if absent. */
const char *http_req_param(const struct http_req *r, const char *name);
/* A query-string argument, URL-decoded; NULL if absent. */
const char *http_req_query(const struct http_req *r, const char *key);
/* A request header (case-insensitive name); NULL if absent. */
const char *http_req_header(const struct http_req *r, const char *name);
/* The request body (complete, at most the route's max_body; NUL-terminated
 * for convenience, the NUL not counted). NULL with *len 0 if none. */
const uint8_t *http_req_body(const struct http_req *r, size_t *len);
/* The name of the token that authenticated this request ("" if none). */
const char *http_req_client(const struct http_req *r);
/* The client's IP address as text ("-" if unknown). */
const char *http_req_address(const struct http_req *r);

/* Per-request data of the handler, freed with `free_fn` (may be NULL) when
 * the request ends. */
void http_req_set_data(struct http_req *r, void *data, void (*free_fn)(void *));
void *http_req_data(const struct http_req *r);
/* True when the handler runs again after http_resume(). */
bool http_req_resumed(const struct http_req *r);

/* Answer with `status` and `body` (malloc'd, ownership taken; may be NULL
 * with len 0). `content_type` must be a string literal or outlive the
 * request. Only the first answer counts. */
void http_reply(struct http_req *r, unsigned status, const char *content_type, uint8_t *body,
                size_t len);
/* Answer with a JSON value (reference stolen), compact, with a newline. */
void http_reply_json(struct http_req *r, unsigned status, json_t *v);
/* Answer {"error": code, "message": printf(fmt, ...)}. */
void http_reply_error(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Add a response header (copied; at most 4 per answer). Every answer has
 * Cache-Control: no-store unless the handler adds its own Cache-Control. */
void http_add_header(struct http_req *r, const char *name, const char *value);

/* Suspend this request when the handler returns without an answer; call
 * before handing `r` to another thread. */
void http_defer(struct http_req *r);
/* From any thread, once, after http_defer(): run the handler again on a
 * worker thread. The caller must not touch `r` afterwards. */
void http_resume(struct http_req *r);

#endif
