/*
 * anchor/net.c — see net.h. libcurl is loaded here, with dlopen(), the
 * first time anything asks for the network: a process that never talks to
 * a ledger (an offline `verifier verify`) does not pay the dynamic loader's
 * work for libcurl and its ~30 dependencies (issue 16: ~20 ms of ~21 ms).
 *
 * The binaries do not link -lcurl. This file defines the libcurl functions
 * the code calls (the same prototypes as <curl/curl.h>), each forwarding to
 * the function dlsym() found in libcurl.so.4; the callers (rpc.c, fetch.c)
 * are unchanged. When the library cannot be loaded every function fails the
 * way libcurl reports failures (NULL handle, CURLE_FAILED_INIT, ...), and
 * net_global_init() says what to install.
 */
#define CURL_DISABLE_TYPECHECK 1
#include "anchor/net.h"

/* curl.h's own declaration of curl_url_get differs between versions (its
 * handle became const in 8.x): it is kept out of sight here, and the
 * definition below, which has the same ABI either way, is the only one. */
#define curl_url_get net_curl_url_get_declared_by_curl_h
#include <curl/curl.h>
#undef curl_url_get
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define NET_CURL_SONAME "libcurl.so.4"

/* The libcurl functions this code base uses, found once. */
static struct {
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int, int,
                             struct curl_header **);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLU *(*url)(void);
    CURLUcode (*url_set)(CURLU *, CURLUPart, const char *, unsigned int);
    CURLUcode (*url_get)(CURLU *, CURLUPart, char **, unsigned int);
    void (*url_cleanup)(CURLU *);
    void (*free_)(void *);
} g_fn;
static bool g_loaded;
static char g_load_error[200];

static pthread_once_t g_load_once = PTHREAD_ONCE_INIT;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static CURLcode g_rc = CURLE_FAILED_INIT;

/* dlsym() into a function pointer of the right type (POSIX guarantees the
 * conversion; the memcpy keeps -Wpedantic quiet about it). */
#define FIND(field, name)                                                                   \
    do {                                                                                    \
        void *p_ = dlsym(h, name);                                                          \
        if (!p_) {                                                                          \
            snprintf(g_load_error, sizeof g_load_error, "%s has no %s", NET_CURL_SONAME,    \
                     name);                                                                 \
            return;                                                                         \
        }                                                                                   \
        memcpy(&g_fn.field, &p_, sizeof p_);                                                \
    } while (0)

static void load_once(void)
{
    void *h = dlopen(NET_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(g_load_error, sizeof g_load_error, "%s", why ? why : NET_CURL_SONAME);
        return;
    }
    FIND(global_init, "curl_global_init");
    FIND(global_cleanup, "curl_global_cleanup");
    FIND(easy_init, "curl_easy_init");
    FIND(easy_setopt, "curl_easy_setopt");
    FIND(easy_perform, "curl_easy_perform");
    FIND(easy_getinfo, "curl_easy_getinfo");
    FIND(easy_cleanup, "curl_easy_cleanup");
    FIND(easy_strerror, "curl_easy_strerror");
    FIND(easy_header, "curl_easy_header");
    FIND(slist_append, "curl_slist_append");
    FIND(slist_free_all, "curl_slist_free_all");
    FIND(url, "curl_url");
    FIND(url_set, "curl_url_set");
    FIND(url_get, "curl_url_get");
    FIND(url_cleanup, "curl_url_cleanup");
    FIND(free_, "curl_free");
    g_loaded = true; /* the handle stays open for the life of the process */
}

static bool loaded(void)
{
    pthread_once(&g_load_once, load_once);
    return g_loaded;
}

static void init_once(void)
{
    if (loaded())
        g_rc = g_fn.global_init(CURL_GLOBAL_DEFAULT);
}

err_code net_global_init(struct err *e)
{
    pthread_once(&g_once, init_once);
    if (!g_loaded)
        return err_set(e, E_NETWORK,
                       "the network library libcurl could not be loaded (%s): install it "
                       "(Debian/Ubuntu: apt-get install libcurl4) to talk to a ledger; "
                       "offline checks do not need it",
                       g_load_error);
    if (g_rc != CURLE_OK)
        return err_set(e, E_NETWORK, "libcurl cannot start: %s", g_fn.easy_strerror(g_rc));
    return E_OK;
}

/* ---- the forwarding definitions ------------------------------------------
 * Every libcurl entry point below loads the library on first use, so even a
 * caller that parses a URL before net_global_init() gets the real answer. */

CURLcode curl_global_init(long flags)
{
    return loaded() ? g_fn.global_init(flags) : CURLE_FAILED_INIT;
}

/* Only for a process about to end (tests): net_global_init() does not run
 * again afterwards. */
void curl_global_cleanup(void)
{
    if (g_loaded)
        g_fn.global_cleanup();
}

CURL *curl_easy_init(void) { return loaded() ? g_fn.easy_init() : NULL; }

/* The option's number says its argument's type (curl.h: CURLOPTTYPE_*), as
 * libcurl's own curl_easy_setopt reads it. */
CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
    if (!loaded())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, option);
    CURLcode rc;
    if (option < CURLOPTTYPE_OBJECTPOINT)
        rc = g_fn.easy_setopt(h, option, va_arg(ap, long));
    else if (option < CURLOPTTYPE_FUNCTIONPOINT)
        rc = g_fn.easy_setopt(h, option, va_arg(ap, void *));
    else if (option < CURLOPTTYPE_OFF_T)
        rc = g_fn.easy_setopt(h, option, va_arg(ap, void (*)(void)));
    else if (option < CURLOPTTYPE_BLOB)
        rc = g_fn.easy_setopt(h, option, va_arg(ap, curl_off_t));
    else
        rc = g_fn.easy_setopt(h, option, va_arg(ap, void *));
    va_end(ap);
    return rc;
}

CURLcode curl_easy_perform(CURL *h) { return loaded() ? g_fn.easy_perform(h) : CURLE_FAILED_INIT; }

/* Every CURLINFO_* takes one pointer. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
    if (!loaded())
        return CURLE_FAILED_INIT;
    va_list ap;
    va_start(ap, info);
    void *p = va_arg(ap, void *);
    va_end(ap);
    return g_fn.easy_getinfo(h, info, p);
}

void curl_easy_cleanup(CURL *h)
{
    if (h && loaded())
        g_fn.easy_cleanup(h);
}

const char *curl_easy_strerror(CURLcode rc)
{
    return loaded() ? g_fn.easy_strerror(rc) : "libcurl could not be loaded";
}

CURLHcode curl_easy_header(CURL *h, const char *name, size_t index, unsigned int origin,
                           int request, struct curl_header **hout)
{
    return loaded() ? g_fn.easy_header(h, name, index, origin, request, hout) : CURLHE_NOHEADERS;
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
    return loaded() ? g_fn.slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
    if (l && loaded())
        g_fn.slist_free_all(l);
}

CURLU *curl_url(void) { return loaded() ? g_fn.url() : NULL; }

CURLUcode curl_url_set(CURLU *u, CURLUPart what, const char *part, unsigned int flags)
{
    return loaded() ? g_fn.url_set(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags);
CURLUcode curl_url_get(CURLU *u, CURLUPart what, char **part, unsigned int flags)
{
    return loaded() ? g_fn.url_get(u, what, part, flags) : CURLUE_OUT_OF_MEMORY;
}

void curl_url_cleanup(CURLU *u)
{
    if (u && loaded())
        g_fn.url_cleanup(u);
}

void curl_free(void *p)
{
    if (p && loaded())
        g_fn.free_(p);
}

/* Is the authority (up to '/', '?', '#' or the end) a loopback host,
 * optionally with a port? Userinfo ('@') is never loopback. */
static bool loopback_authority(const char *a)
{
    size_t n = strcspn(a, "/?#");
    if (memchr(a, '@', n))
        return false;
    if (n >= 5 && strncmp(a, "[::1]", 5) == 0)
        return n == 5 || a[5] == ':';
    size_t h = strcspn(a, ":/?#");
    if (h == 9 && strncasecmp(a, "localhost", 9) == 0)
        return true;
    if (h < 4 || h > 15 || strncmp(a, "127.", 4) != 0)
        return false;
    for (size_t i = 4; i < h; i++)
        if (!((a[i] >= '0' && a[i] <= '9') || a[i] == '.'))
            return false;
    return true;
}

err_code net_url_may_carry_secret(const char *url, const char *what, struct err *e)
{
    if (strncasecmp(url, "https://", 8) == 0)
        return E_OK;
    if (strncasecmp(url, "http://", 7) == 0 && loopback_authority(url + 7))
        return E_OK;
    return err_set(e, E_INVALID,
                   "%s would cross the network in clear: use an https:// URL (plain http:// "
                   "only to this machine: localhost, 127.0.0.0/8 or [::1])",
                   what);
}
