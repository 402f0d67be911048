/*
 * notary/service/webpage.c — the browser verifier at /verify (webpage.h).
 */
#include "notary/service/webpage.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const struct webpage_file *webpage_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < webpage_nfiles; i++)
        if (strcmp(webpage_files[i].name, name) == 0)
            return &webpage_files[i];
    return NULL;
}

const char *webpage_content_type(const char *name)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".json", "application/json"},
        {".wasm", "application/wasm"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
    };
    const char *dot = name ? strrchr(name, '.') : NULL;
    if (!dot)
        return NULL;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    return NULL;
}

static void serve_file(struct http_req *r, const char *name)
{
    const struct webpage_file *f = webpage_find(name);
    const char *ct = f ? webpage_content_type(f->name) : NULL;
    if (!ct) {
        http_reply_error(r, 404, "not_found",
                         "no such file of the verifier page: /verify/%.100s (the page is at "
                         "/verify/)",
                         name ? name : "");
        return;
    }
    uint8_t *body = malloc(f->len ? f->len : 1);
    if (!body) {
        http_reply_error(r, 503, "unavailable", "out of memory");
        return;
    }
    memcpy(body, f->data, f->len);
    http_add_header(r, "Cache-Control", "no-cache");
    http_add_header(r, "Content-Security-Policy", WEBPAGE_CSP);
    http_add_header(r, "X-Content-Type-Options", "nosniff");
    http_add_header(r, "Referrer-Policy", "no-referrer");
    http_reply(r, 200, ct, body, f->len);
}

void webpage_h_redirect(struct http_req *r, void *app)
{
    http_add_header(r, "Location", "verify/");
    http_reply_error(r, 308, "moved", "the verifier page is at /verify/");
}

void webpage_h_index(struct http_req *r, void *app) { serve_file(r, "index.html"); }

void webpage_h_file(struct http_req *r, void *app) { serve_file(r, http_req_param(r, "file")); }
