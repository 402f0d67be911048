/*
 * notary/service/http.c — see http.h. The libmicrohttpd access handler is called
 * several times per request: once when the head has arrived (route, auth
 * and size checks happen here, so a refused body is never read), once per
 * piece of body, and once more when the request is complete (the handler
 * runs then). A deferred request is suspended and, once resumed, the
 * access handler is called again and runs the route's handler a second time.
 */
#include "notary/service/http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>

#include "notary/service/slog.h"

#define MAX_PARAMS 4
#define MAX_HEADERS 4
#define PARAM_MAX 200

/* How often the reaper looks for late request heads, and how often it
 * writes one summary line of refused and cut connections (if any). */
#define REAP_MS 250
#define SUMMARY_S 10
/* MHD messages other than "connection limit" logged per summary interval;
 * the rest are counted in the summary. */
#define MHD_LOG_BURST 3

/* One TCP connection (MHD's socket context), on the server's list from
 * accept until close. The fields below `next` are under conns_lock. */
struct http_conn {
    struct http_conn *prev, *next;
    MHD_socket fd;
    struct timespec head_t0; /* accepted, or the previous answer finished */
    bool head_done;          /* the current request's head is complete */
    bool cut;                /* shut down by the reaper */
    char addr[INET6_ADDRSTRLEN]; /* the client's address, without port */
};

struct http_server {
    struct MHD_Daemon *d;
    struct http_config cfg;
    atomic_uint in_flight;
    atomic_bool stopping;
    MHD_socket quiesced_fd;
    uint16_t port;
    pthread_mutex_t drain_lock;
    pthread_cond_t drain_cond;
    /* connections and the reaper */
    pthread_mutex_t conns_lock;
    pthread_cond_t reap_cond;
    struct http_conn *conns;
    unsigned nconns;
    bool reap_stop;
    pthread_t reaper;
    bool reaper_started;
    /* counted since the last summary line (under conns_lock) */
    uint64_t refused_addr, refused_full, head_cut, mhd_suppressed;
    unsigned mhd_logged;
    char refused_top[INET6_ADDRSTRLEN];
};

enum phase { PH_HEAD, PH_BODY, PH_DEFERRED };

struct http_req {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const struct http_route *route;
    size_t route_idx;
    enum phase phase;
    bool defer_requested, resumed, refused;
    bool counted;     /* the head arrived: in in_flight, metrics and the log */
    bool bad_uri;     /* the raw URI holds an escaped NUL (%00) */
    struct http_conn *tcp; /* its connection (NULL if MHD gave none) */
    struct timespec t0;
    struct {
        const char *name;
        size_t name_len;
        char value[PARAM_MAX + 1];
    } params[MAX_PARAMS];
    size_t nparams;
    uint8_t *body;
    size_t body_len, body_cap, max_body;
    bool too_large;
    char client[65];
    /* the answer */
    bool replied;
    unsigned status;
    const char *ctype;
    uint8_t *rbody;
    size_t rlen;
    char *hdr[MAX_HEADERS][2];
    size_t nhdr;
    void *data;
    void (*data_free)(void *);
};

/* ---- answers ------------------------------------------------------------- */

void http_reply(struct http_req *r, unsigned status, const char *content_type, uint8_t *body,
                size_t len)
{
    if (r->replied) {
        free(body);
        return;
    }
    r->replied = true;
    r->status = status;
    r->ctype = content_type;
    r->rbody = body;
    r->rlen = body ? len : 0;
}

void http_reply_json(struct http_req *r, unsigned status, json_t *v)
{
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(v);
    if (!s) {
        static const char oom[] = "{\"error\":\"internal\",\"message\":\"out of memory\"}\n";
        uint8_t *p = malloc(sizeof oom);
        if (p)
            memcpy(p, oom, sizeof oom);
        http_reply(r, 500, "application/json", p, p ? sizeof oom - 1 : 0);
        return;
    }
    size_t n = strlen(s);
    char *p = realloc(s, n + 2);
    if (p) {
        p[n] = '\n';
        p[n + 1] = '\0';
        n++;
    } else {
        p = s;
    }
    http_reply(r, status, "application/json", (uint8_t *)p, n);
}

void http_reply_error(struct http_req *r, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    http_reply_json(r, status, json_pack("{s:s, s:s}", "error", code, "message", msg));
}

void http_add_header(struct http_req *r, const char *name, const char *value)
{
    if (r->nhdr >= MAX_HEADERS)
        return;
    char *n = strdup(name), *v = strdup(value);
    if (!n || !v) {
        free(n);
        free(v);
        return;
    }
    r->hdr[r->nhdr][0] = n;
    r->hdr[r->nhdr][1] = v;
    r->nhdr++;
}

static enum MHD_Result queue(struct http_req *r)
{
    if (!r->replied)
        http_reply_error(r, 500, "internal", "the handler gave no answer");
    struct MHD_Response *resp;
    if (r->rbody)
        resp = MHD_create_response_from_buffer(r->rlen, r->rbody, MHD_RESPMEM_MUST_FREE);
    else
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    r->rbody = NULL; /* the response owns it now */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    bool cache_set = false; /* a handler's Cache-Control replaces the default */
    for (size_t i = 0; i < r->nhdr; i++) {
        MHD_add_response_header(resp, r->hdr[i][0], r->hdr[i][1]);
        cache_set |= strcasecmp(r->hdr[i][0], MHD_HTTP_HEADER_CACHE_CONTROL) == 0;
    }
    if (!cache_set)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (atomic_load(&r->srv->stopping))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result ret = MHD_queue_response(r->conn, r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- request accessors ----------------------------------------------------- */

const char *http_req_param(const struct http_req *r, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < r->nparams; i++)
        if (r->params[i].name_len == n && memcmp(r->params[i].name, name, n) == 0)
            return r->params[i].value;
    return NULL;
}

const char *http_req_query(const struct http_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_req_header(const struct http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const uint8_t *http_req_body(const struct http_req *r, size_t *len)
{
    *len = r->body_len;
    return r->body;
}

const char *http_req_client(const struct http_req *r) { return r->client; }

const char *http_req_address(const struct http_req *r) { return r->tcp ? r->tcp->addr : "-"; }

void http_req_set_data(struct http_req *r, void *data, void (*free_fn)(void *))
{
    if (r->data && r->data_free)
        r->data_free(r->data);
    r->data = data;
    r->data_free = free_fn;
}

void *http_req_data(const struct http_req *r) { return r->data; }

bool http_req_resumed(const struct http_req *r) { return r->resumed; }

void http_defer(struct http_req *r)
{
    /* Suspended now, inside the access handler, so that a resume from
     * another thread can never come before the suspension. */
    r->defer_requested = true;
    MHD_suspend_connection(r->conn);
}

void http_resume(struct http_req *r) { MHD_resume_connection(r->conn); }

/* ---- routing ------------------------------------------------------------- */

/* Match `url` against `pattern`, filling r->params. */
static bool match(const char *pattern, const char *url, struct http_req *r)
{
    r->nparams = 0;
    const char *p = pattern, *u = url;
    while (*p && *u) {
        if (*p != '/' || *u != '/')
            return false;
        p++;
        u++;
        const char *pe = strchr(p, '/'), *ue = strchr(u, '/');
        size_t pl = pe ? (size_t)(pe - p) : strlen(p), ul = ue ? (size_t)(ue - u) : strlen(u);
        if (pl >= 2 && p[0] == '{' && p[pl - 1] == '}') {
            if (ul == 0 || ul > PARAM_MAX || r->nparams >= MAX_PARAMS)
                return false;
            r->params[r->nparams].name = p + 1;
            r->params[r->nparams].name_len = pl - 2;
            memcpy(r->params[r->nparams].value, u, ul);
            r->params[r->nparams].value[ul] = '\0';
            r->nparams++;
        } else if (pl != ul || memcmp(p, u, pl) != 0) {
            return false;
        }
        p += pl;
        u += ul;
    }
    return *p == '\0' && *u == '\0';
}

/* Find the route; *status 404 or 405 (with Allow) when there is none. */
static const struct http_route *route_find(struct http_req *r, const char *method,
                                           const char *url, unsigned *status, char *allow,
                                           size_t allow_len)
{
    const struct http_config *c = &r->srv->cfg;
    bool path_seen = false;
    allow[0] = '\0';
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (size_t i = 0; i < c->nroutes; i++) {
        if (!match(c->routes[i].path, url, r))
            continue;
        if (strcmp(c->routes[i].method, m) == 0) {
            r->route_idx = i;
            return &c->routes[i];
        }
        path_seen = true;
        size_t l = strlen(allow);
        snprintf(allow + l, allow_len - l, "%s%s", l ? ", " : "", c->routes[i].method);
    }
    r->nparams = 0;
    *status = path_seen ? 405 : 404;
    return NULL;
}

/* ---- the access handler -------------------------------------------------------- */

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Bearer token from the Authorization header (RFC 6750 §2.1). */
static bool check_auth(struct http_req *r)
{
    const char *h = http_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (!h) {
        http_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"notary\"");
        http_reply_error(r, 401, "unauthorized",
                         "this endpoint needs an issuer token: send 'Authorization: Bearer <token>' "
                         "(create one with `notary token add NAME`)");
        return false;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        http_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"notary\"");
        http_reply_error(r, 401, "unauthorized",
                         "the Authorization header must use the Bearer scheme");
        return false;
    }
    const char *tok = h + 7;
    while (*tok == ' ')
        tok++;
    size_t len = strlen(tok);
    if (len == 0 || len > 512 || !r->srv->cfg.auth ||
        !r->srv->cfg.auth(r->srv->cfg.app, tok, len, r->client)) {
        http_add_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                        "Bearer realm=\"notary\", error=\"invalid_token\"");
        http_reply_error(r, 401, "invalid_token", "the bearer token is not valid for this notary");
        return false;
    }
    return true;
}

/* Head received: route, auth, declared size. False if already answered. */
static bool on_head(struct http_req *r, const char *method, const char *url,
                    const char *version)
{
    if (atomic_load(&r->srv->stopping)) {
        http_reply_error(r, 503, "shutting_down",
                         "the notary is shutting down; retry on another instance or later");
        return false;
    }
    /* RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request
     * without Host. */
    if (strcmp(version, MHD_HTTP_VERSION_1_1) == 0 && !http_req_header(r, MHD_HTTP_HEADER_HOST)) {
        http_reply_error(r, 400, "invalid_request",
                         "an HTTP/1.1 request must carry a Host header (RFC 9112 section 3.2)");
        return false;
    }
    /* The URL arrives percent-decoded; a decoded NUL would cut it short
     * and make "/v1/proofs/<hash>%00junk" look like a clean path. */
    if (r->bad_uri) {
        http_reply_error(r, 400, "invalid_request",
                         "the request URI contains an escaped NUL byte (%%00)");
        return false;
    }
    unsigned status = 0;
    char allow[64];
    r->route = route_find(r, method, url, &status, allow, sizeof allow);
    if (!r->route) {
        r->route_idx = r->srv->cfg.nroutes;
        if (status == 405) {
            http_add_header(r, MHD_HTTP_HEADER_ALLOW, allow);
            http_reply_error(r, 405, "method_not_allowed", "%s is not allowed on %s (allowed: %s)",
                             method, url, allow);
        } else {
            http_reply_error(r, 404, "not_found", "no such endpoint: %s %.200s", method, url);
        }
        return false;
    }
    if (r->route->auth && !check_auth(r))
        return false;
    r->max_body = r->route->max_body;
    const char *cl = http_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end;
        unsigned long long n = strtoull(cl, &end, 10);
        if (*end || end == cl || n > r->max_body) {
            http_reply_error(r, 413, "body_too_large",
                             "the request body (%s bytes) exceeds the limit of %zu bytes for %s %s",
                             cl, r->max_body, r->route->method, r->route->path);
            return false;
        }
        if (n > 0 && !(r->body = malloc((size_t)n + 1))) {
            http_reply_error(r, 503, "internal", "out of memory for the request body");
            return false;
        }
        r->body_cap = r->body ? (size_t)n + 1 : 0;
    }
    return true;
}

static bool body_append(struct http_req *r, const char *data, size_t n)
{
    if (r->too_large || n > r->max_body - r->body_len) {
        r->too_large = true;
        return false;
    }
    if (r->body_len + n + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap * 2 : 4096;
        while (cap < r->body_len + n + 1)
            cap *= 2;
        if (cap > r->max_body + 1)
            cap = r->max_body + 1;
        uint8_t *p = realloc(r->body, cap);
        if (!p)
            return false;
        r->body = p;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return true;
}

static enum MHD_Result run_handler(struct http_req *r)
{
    r->route->fn(r, r->srv->cfg.app);
    if (r->defer_requested) {
        r->defer_requested = false;
        r->phase = PH_DEFERRED;
        return MHD_YES;
    }
    return queue(r);
}

static struct http_req *req_new(struct http_server *srv, struct MHD_Connection *conn)
{
    struct http_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->srv = srv;
    r->conn = conn;
    r->route_idx = srv->cfg.nroutes;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    r->tcp = ci ? ci->socket_context : NULL;
    return r;
}

/* The request line has arrived (MHD_OPTION_URI_LOG_CALLBACK): the request
 * starts here, with the raw URI still percent-encoded. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_req *r = req_new(cls, conn);
    if (r)
        r->bad_uri = strstr(uri, "%00") != NULL;
    return r;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    struct http_server *srv = cls;
    struct http_req *r = *con_cls;
    if (!r) { /* no URI callback ran (out of memory there) */
        if (!(r = req_new(srv, conn)))
            return MHD_NO;
        *con_cls = r;
    }
    if (r->phase == PH_HEAD) {
        r->counted = true;
        clock_gettime(CLOCK_MONOTONIC, &r->t0);
        atomic_fetch_add(&srv->in_flight, 1);
        if (r->tcp) { /* the head is complete: its deadline no longer applies */
            pthread_mutex_lock(&srv->conns_lock);
            r->tcp->head_done = true;
            pthread_mutex_unlock(&srv->conns_lock);
        }
        if (!on_head(r, method, url, version)) {
            r->refused = true;
            return queue(r);
        }
        r->phase = PH_BODY;
        return MHD_YES;
    }
    if (r->phase == PH_DEFERRED) {
        r->resumed = true;
        return run_handler(r);
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (!body_append(r, upload, n) && !r->too_large)
            return MHD_NO; /* out of memory: drop the connection */
        if (r->too_large)
            return MHD_NO; /* a body without a (true) length grew past the limit */
        return MHD_YES;
    }
    return run_handler(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *srv = cls;
    struct http_req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (r->tcp) { /* the next request's head is due within the deadline from now */
        pthread_mutex_lock(&srv->conns_lock);
        r->tcp->head_done = false;
        clock_gettime(CLOCK_MONOTONIC, &r->tcp->head_t0);
        pthread_mutex_unlock(&srv->conns_lock);
    }
    if (!r->counted) { /* the head never arrived complete: counted by the reaper, if cut */
        free(r);
        return;
    }
    double dt = elapsed(&r->t0);
    unsigned status = r->replied ? r->status : 0;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->replied)
        status = r->too_large ? 413 : 499; /* client went away, or body over the limit */
    metrics_http(srv->cfg.metrics, r->route_idx, status, dt);
    if (srv->cfg.access_log || status >= 500)
        slog(status >= 500 ? "warn" : "info", "http_request", "{s:s, s:s, s:i, s:f, s:s, s:s}",
             "method", r->route ? r->route->method : "-", "route",
             r->route ? r->route->path : "unmatched", "status", (int)status, "seconds", dt,
             "client", r->client, "address", http_req_address(r));
    if (r->data && r->data_free)
        r->data_free(r->data);
    for (size_t i = 0; i < r->nhdr; i++) {
        free(r->hdr[i][0]);
        free(r->hdr[i][1]);
    }
    free(r->rbody);
    free(r->body);
    free(r);
    if (atomic_fetch_sub(&srv->in_flight, 1) == 1) {
        pthread_mutex_lock(&srv->drain_lock);
        pthread_cond_broadcast(&srv->drain_cond);
        pthread_mutex_unlock(&srv->drain_lock);
    }
}

/* libmicrohttpd's own messages. "Server reached connection limit" comes
 * once per refused connection, and "closed when reading request" or
 * "incomplete request" once per client gone (or cut) mid-head, so those
 * are only counted; others are
 * logged up to MHD_LOG_BURST per summary interval and counted beyond. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct http_server *srv = cls;
    char msg[400];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    bool log = false;
    pthread_mutex_lock(&srv->conns_lock);
    if (strstr(msg, "connection limit")) {
        srv->refused_full++;
        metrics_conn_dropped(srv->cfg.metrics, METRICS_CONN_SERVER_FULL, 1);
    }
    else if (strstr(msg, "closed when reading request") || strstr(msg, "incomplete request"))
        srv->mhd_suppressed++;
    else if (srv->mhd_logged < MHD_LOG_BURST)
        log = ++srv->mhd_logged > 0;
    else
        srv->mhd_suppressed++;
    pthread_mutex_unlock(&srv->conns_lock);
    if (log)
        slog("warn", "http_server", "{s:s}", "message", msg);
}

/* ---- connections: per-address limit, head deadline ------------------------ */

static void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    const void *a = NULL;
    if (sa && sa->sa_family == AF_INET)
        a = &((const struct sockaddr_in *)sa)->sin_addr;
    else if (sa && sa->sa_family == AF_INET6)
        a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (!a || !inet_ntop(sa->sa_family, a, out, (socklen_t)cap))
        snprintf(out, cap, "-");
}

/* Accept policy: at most per_ip_connections open connections per client
 * address, counted from the server's list (connections accepted at the
 * same instant on different worker threads may pass together: the bound
 * can be exceeded by fewer than the number of threads). Done here rather
 * than with libmicrohttpd's own per-address limit, whose refusals it logs
 * as "server reached connection limit", so the summary can tell them apart. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *sa, socklen_t len)
{
    struct http_server *srv = cls;
    unsigned limit = srv->cfg.per_ip_connections;
    if (!limit)
        return MHD_YES;
    char addr[INET6_ADDRSTRLEN];
    addr_text(sa, addr, sizeof addr);
    unsigned same = 0;
    pthread_mutex_lock(&srv->conns_lock);
    for (struct http_conn *c = srv->conns; c && same < limit; c = c->next)
        same += strcmp(c->addr, addr) == 0;
    bool ok = same < limit;
    if (!ok) {
        srv->refused_addr++;
        metrics_conn_dropped(srv->cfg.metrics, METRICS_CONN_PER_ADDRESS, 1);
        snprintf(srv->refused_top, sizeof srv->refused_top, "%s", addr);
    }
    pthread_mutex_unlock(&srv->conns_lock);
    return ok ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *srv = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        struct http_conn *c = calloc(1, sizeof *c);
        if (!c)
            return; /* no deadline for this one; the idle timeout still applies */
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        c->fd = ci ? ci->connect_fd : MHD_INVALID_SOCKET;
        ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        addr_text(ci ? ci->client_addr : NULL, c->addr, sizeof c->addr);
        clock_gettime(CLOCK_MONOTONIC, &c->head_t0);
        pthread_mutex_lock(&srv->conns_lock);
        c->next = srv->conns;
        if (srv->conns)
            srv->conns->prev = c;
        srv->conns = c;
        srv->nconns++;
        pthread_mutex_unlock(&srv->conns_lock);
        *socket_context = c;
        return;
    }
    struct http_conn *c = *socket_context;
    if (!c)
        return;
    /* Off the list before libmicrohttpd closes the socket, so the reaper
     * never shuts down a descriptor that was reused. */
    pthread_mutex_lock(&srv->conns_lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nconns--;
    pthread_mutex_unlock(&srv->conns_lock);
    *socket_context = NULL;
    free(c);
}

static double since(const struct timespec *t0, const struct timespec *now)
{
    return (double)(now->tv_sec - t0->tv_sec) + (double)(now->tv_nsec - t0->tv_nsec) / 1e9;
}

/* Under conns_lock: one summary line if anything was refused or cut (the
 * metrics count each one as it happens). */
static void summary_locked(struct http_server *srv, double seconds)
{
    if (srv->refused_addr || srv->refused_full || srv->head_cut || srv->mhd_suppressed)
        slog("warn", "connections_limited", "{s:i, s:I, s:I, s:I, s:I, s:s, s:i}", "seconds",
             (int)(seconds + 0.5), "refused_per_address", (json_int_t)srv->refused_addr,
             "refused_server_full", (json_int_t)srv->refused_full, "head_timeouts",
             (json_int_t)srv->head_cut, "messages_suppressed", (json_int_t)srv->mhd_suppressed,
             "last_refused_address", srv->refused_top[0] ? srv->refused_top : "-", "open",
             (int)srv->nconns);
    srv->refused_addr = srv->refused_full = srv->head_cut = srv->mhd_suppressed = 0;
    srv->mhd_logged = 0;
    srv->refused_top[0] = '\0';
}

/* Every REAP_MS: shut down connections whose request head is late (the
 * socket is shut down, not closed: libmicrohttpd sees end of stream and
 * closes it itself); every SUMMARY_S: the summary line. */
static void *reaper_main(void *arg)
{
    struct http_server *srv = arg;
    unsigned head_s = srv->cfg.head_timeout_s ? srv->cfg.head_timeout_s : 10;
    struct timespec last;
    clock_gettime(CLOCK_MONOTONIC, &last);
    pthread_mutex_lock(&srv->conns_lock);
    while (!srv->reap_stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += REAP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&srv->reap_cond, &srv->conns_lock, &until);
        if (srv->reap_stop)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (struct http_conn *c = srv->conns; c; c = c->next) {
            if (c->head_done || c->cut || c->fd == MHD_INVALID_SOCKET ||
                since(&c->head_t0, &now) < head_s)
                continue;
            c->cut = true;
            srv->head_cut++;
            metrics_conn_dropped(srv->cfg.metrics, METRICS_CONN_HEAD_TIMEOUT, 1);
            shutdown(c->fd, SHUT_RDWR);
        }
        if (since(&last, &now) >= SUMMARY_S) {
            summary_locked(srv, since(&last, &now));
            last = now;
        }
    }
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    summary_locked(srv, since(&last, &end));
    pthread_mutex_unlock(&srv->conns_lock);
    return NULL;
}

/* ---- lifecycle ------------------------------------------------------------- */

static err_code parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                             struct err *e)
{
    char host[256];
    const char *colon, *h = listen;
    size_t hl;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return err_set(e, E_INVALID, "--listen '%s': use [IPv6]:PORT", listen);
        h = listen + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return err_set(e, E_INVALID, "--listen '%s': use HOST:PORT, e.g. 127.0.0.1:8080",
                           listen);
        hl = (size_t)(colon - listen);
    }
    if (hl >= sizeof host)
        return err_set(e, E_INVALID, "--listen '%s': host name too long", listen);
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port > 65535)
        return err_set(e, E_INVALID, "--listen '%s': the port must be 0..65535", listen);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *ai;
    int g = getaddrinfo(hl ? host : NULL, colon + 1, &hints, &ai);
    if (g != 0)
        return err_set(e, E_INVALID, "--listen '%s': %s", listen, gai_strerror(g));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return E_OK;
}

static void server_free(struct http_server *s)
{
    pthread_mutex_destroy(&s->drain_lock);
    pthread_cond_destroy(&s->drain_cond);
    pthread_mutex_destroy(&s->conns_lock);
    pthread_cond_destroy(&s->reap_cond);
    free(s);
}

err_code http_start(const struct http_config *cfg, struct http_server **out, struct err *e)
{
    *out = NULL;
    struct sockaddr_storage ss;
    socklen_t sl;
    err_code rc = parse_listen(cfg->listen, &ss, &sl, e);
    if (rc)
        return rc;
    struct http_server *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(e, E_NOMEM, "out of memory");
    s->cfg = *cfg;
    s->quiesced_fd = MHD_INVALID_SOCKET;
    pthread_mutex_init(&s->drain_lock, NULL);
    pthread_cond_init(&s->drain_cond, NULL);
    pthread_mutex_init(&s->conns_lock, NULL);
    pthread_cond_init(&s->reap_cond, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->d = MHD_start_daemon(
        flags, 0, on_accept, s, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(cfg->threads ? cfg->threads : 2),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s ? cfg->timeout_s : 15),
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)(cfg->max_connections ? cfg->max_connections : 1024),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(cfg->header_limit ? cfg->header_limit : 32768),
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
        MHD_OPTION_END);
    if (!s->d) {
        server_free(s);
        return err_set(e, E_IO, "cannot listen on %s (address in use, or not allowed?)",
                       cfg->listen);
    }
    if (pthread_create(&s->reaper, NULL, reaper_main, s) != 0) {
        MHD_stop_daemon(s->d);
        server_free(s);
        return err_set(e, E_NOMEM, "cannot start the connection reaper thread");
    }
    s->reaper_started = true;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    *out = s;
    return E_OK;
}

uint16_t http_port(const struct http_server *s) { return s->port; }

unsigned http_in_flight(struct http_server *s) { return atomic_load(&s->in_flight); }

void http_quiesce(struct http_server *s)
{
    atomic_store(&s->stopping, true);
    if (s->quiesced_fd == MHD_INVALID_SOCKET)
        s->quiesced_fd = MHD_quiesce_daemon(s->d);
}

bool http_drain(struct http_server *s, unsigned timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->drain_lock);
    while (atomic_load(&s->in_flight) > 0)
        if (pthread_cond_timedwait(&s->drain_cond, &s->drain_lock, &deadline) != 0)
            break;
    bool done = atomic_load(&s->in_flight) == 0;
    pthread_mutex_unlock(&s->drain_lock);
    return done;
}

void http_stop(struct http_server *s)
{
    if (!s)
        return;
    if (s->reaper_started) {
        pthread_mutex_lock(&s->conns_lock);
        s->reap_stop = true;
        pthread_cond_signal(&s->reap_cond);
        pthread_mutex_unlock(&s->conns_lock);
        pthread_join(s->reaper, NULL);
    }
    MHD_stop_daemon(s->d);
    if (s->quiesced_fd != MHD_INVALID_SOCKET)
        close(s->quiesced_fd);
    server_free(s);
}
