/* tests/rpc_stub.c — see rpc_stub.h. */
#define _GNU_SOURCE
#include "tests/rpc_stub.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define STUB_MAX_REQ (256 * 1024)

struct rpc_stub {
    int lfd;
    int stop_pipe[2];
    pthread_t thr;
    bool running;
    struct rpc_stub_reply *script;
    size_t n;
    rpc_stub_fn fn; /* instead of script, if set */
    void *fn_arg;
    char url[64];
    pthread_mutex_t mu;
    unsigned requests;
    char last_auth[1024];
    char *last_body;
};

/* Wait until fd is readable or the stub is stopped (false) or ms pass. */
static bool stub_wait(struct rpc_stub *s, int fd, int ms)
{
    struct pollfd p[2] = {{.fd = s->stop_pipe[0], .events = POLLIN}, {.fd = fd, .events = POLLIN}};
    int n = poll(p, fd >= 0 ? 2 : 1, ms);
    if (n <= 0 || (p[0].revents & POLLIN))
        return false;
    return fd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR));
}

static bool stub_stopped(struct rpc_stub *s, unsigned ms)
{
    struct pollfd p = {.fd = s->stop_pipe[0], .events = POLLIN};
    return poll(&p, 1, (int)ms) > 0;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

/* Read one request; returns the malloc'd bytes (headers + body) or NULL. */
static char *read_request(struct rpc_stub *s, int fd, size_t *hdr_len, size_t *total)
{
    char *req = malloc(STUB_MAX_REQ + 1);
    if (!req)
        return NULL;
    size_t len = 0, want = 0;
    *hdr_len = 0;
    for (;;) {
        if (!stub_wait(s, fd, 5000))
            break;
        ssize_t r = recv(fd, req + len, STUB_MAX_REQ - len, 0);
        if (r <= 0)
            break;
        len += (size_t)r;
        req[len] = '\0';
        if (!*hdr_len) {
            char *end = strstr(req, "\r\n\r\n");
            if (end) {
                *hdr_len = (size_t)(end - req) + 4;
                size_t cl = 0;
                char *h = strcasestr(req, "\r\ncontent-length:");
                if (h && h < end)
                    cl = strtoul(h + 17, NULL, 10);
                want = *hdr_len + cl;
            }
        }
        if (*hdr_len && len >= want) {
            *total = len;
            return req;
        }
        if (len == STUB_MAX_REQ)
            break;
    }
    free(req);
    return NULL;
}

/* Replace {{id}} and {{auth}} in `t`. */
static char *expand(const char *t, const char *id, const char *auth)
{
    size_t cap = strlen(t) + 1;
    for (const char *p = t; (p = strstr(p, "{{")); p += 2)
        cap += strlen(id) + strlen(auth);
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    while (*t) {
        if (!strncmp(t, "{{id}}", 6)) {
            o = stpcpy(o, id);
            t += 6;
        } else if (!strncmp(t, "{{auth}}", 8)) {
            o = stpcpy(o, auth);
            t += 8;
        } else {
            *o++ = *t++;
        }
    }
    *o = '\0';
    return out;
}

static void serve(struct rpc_stub *s, int fd)
{
    size_t hl, total;
    char *req = read_request(s, fd, &hl, &total);
    if (!req)
        return;
    char id[32] = "0", auth[1024] = "";
    const char *body = req + hl;
    const char *ip = strstr(body, "\"id\":");
    if (ip) {
        size_t k = 0;
        for (ip += 5; *ip >= '0' && *ip <= '9' && k < sizeof id - 1; ip++)
            id[k++] = *ip;
        id[k] = '\0';
    }
    req[hl - 2] = '\0'; /* headers only, for the search below */
    const char *ah = strcasestr(req, "\r\nauthorization:");
    if (ah) {
        ah += 16;
        while (*ah == ' ')
            ah++;
        size_t k = strcspn(ah, "\r");
        if (k >= sizeof auth)
            k = sizeof auth - 1;
        memcpy(auth, ah, k);
        auth[k] = '\0';
    }
    pthread_mutex_lock(&s->mu);
    unsigned idx = s->requests++;
    rpc_stub_fn fn = s->fn;
    void *fn_arg = s->fn_arg;
    memcpy(s->last_auth, auth, sizeof auth);
    free(s->last_body);
    s->last_body = strdup(body);
    pthread_mutex_unlock(&s->mu);

    struct rpc_stub_reply computed;
    const struct rpc_stub_reply *r;
    if (fn) {
        computed = fn(fn_arg, body);
        r = &computed;
    } else {
        r = &s->script[idx < s->n ? idx : s->n - 1];
    }
    if (r->delay_ms && stub_stopped(s, r->delay_ms)) {
        free(req);
        return;
    }
    if (r->status == 0) {
        free(req);
        return;
    }
    char *head = expand(r->body ? r->body : "", id, auth);
    char *tail = expand(r->tail ? r->tail : "", id, auth);
    size_t hlen = strlen(head), tlen = strlen(tail), blen = hlen + r->filler + tlen;
    char *full = malloc(blen + 1);
    if (head && tail && full) {
        memcpy(full, head, hlen);
        memset(full + hlen, '0', r->filler);
        memcpy(full + hlen + r->filler, tail, tlen);
        char hdr[1024];
        int n;
        if (r->chunked)
            n = snprintf(hdr, sizeof hdr,
                         "HTTP/1.1 %d Stub\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         "%sTransfer-Encoding: chunked\r\n\r\n",
                         r->status, r->headers ? r->headers : "");
        else
            n = snprintf(hdr, sizeof hdr,
                         "HTTP/1.1 %d Stub\r\nContent-Type: application/json\r\nConnection: close\r\n"
                         "%sContent-Length: %zu\r\n\r\n",
                         r->status, r->headers ? r->headers : "", blen + r->claim_extra);
        send_all(fd, hdr, (size_t)n);
        if (r->chunked) {
            for (size_t off = 0; off < blen; off += 4096) {
                size_t k = blen - off < 4096 ? blen - off : 4096;
                n = snprintf(hdr, sizeof hdr, "%zx\r\n", k);
                send_all(fd, hdr, (size_t)n);
                send_all(fd, full + off, k);
                send_all(fd, "\r\n", 2);
            }
            send_all(fd, "0\r\n\r\n", 5);
        } else {
            send_all(fd, full, blen);
        }
    }
    free(full);
    free(head);
    free(tail);
    free(req);
}

static void *stub_main(void *arg)
{
    struct rpc_stub *s = arg;
    for (;;) {
        if (!stub_wait(s, s->lfd, -1))
            return NULL;
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        serve(s, fd);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
}

static int listen_loopback(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

struct rpc_stub *rpc_stub_start(const struct rpc_stub_reply *script, size_t n)
{
    if (n == 0)
        return NULL;
    struct rpc_stub *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->script = malloc(n * sizeof *script);
    int port = 0;
    s->lfd = listen_loopback(&port);
    if (!s->script || s->lfd < 0 || pipe2(s->stop_pipe, O_CLOEXEC) != 0) {
        if (s->lfd >= 0)
            close(s->lfd);
        free(s->script);
        free(s);
        return NULL;
    }
    memcpy(s->script, script, n * sizeof *script);
    s->n = n;
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/", port);
    pthread_mutex_init(&s->mu, NULL);
    if (pthread_create(&s->thr, NULL, stub_main, s) != 0) {
        rpc_stub_stop(s);
        rpc_stub_free(s);
        return NULL;
    }
    s->running = true;
    return s;
}

struct rpc_stub *rpc_stub_start_fn(rpc_stub_fn fn, void *arg)
{
    static const struct rpc_stub_reply none = {.status = 0};
    struct rpc_stub *s = rpc_stub_start(&none, 1);
    if (s) {
        pthread_mutex_lock(&s->mu);
        s->fn_arg = arg;
        s->fn = fn;
        pthread_mutex_unlock(&s->mu);
    }
    return s;
}

const char *rpc_stub_url(const struct rpc_stub *s)
{
    return s->url;
}

void rpc_stub_stop(struct rpc_stub *s)
{
    if (!s || s->lfd < 0)
        return;
    if (write(s->stop_pipe[1], "x", 1) != 1)
        perror("rpc_stub_stop");
    if (s->running)
        pthread_join(s->thr, NULL);
    s->running = false;
    close(s->lfd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    s->lfd = -1;
}

void rpc_stub_free(struct rpc_stub *s)
{
    if (!s)
        return;
    rpc_stub_stop(s);
    pthread_mutex_destroy(&s->mu);
    free(s->last_body);
    free(s->script);
    free(s);
}

unsigned rpc_stub_requests(const struct rpc_stub *s)
{
    return s->requests;
}

const char *rpc_stub_last_auth(const struct rpc_stub *s)
{
    return s->last_auth;
}

const char *rpc_stub_last_body(const struct rpc_stub *s)
{
    return s->last_body ? s->last_body : "";
}

int rpc_stub_dead_port(void)
{
    int port = 0;
    int fd = listen_loopback(&port);
    if (fd < 0)
        return -1;
    close(fd);
    return port;
}
