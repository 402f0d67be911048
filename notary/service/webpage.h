/*
 * notary/service/webpage.h — the browser verifier (web/, docs/web-verifier.md)
 * served by `notary serve` at /verify, from bytes embedded in the binary at
 * build time (the Makefile generates $(BUILD)/gen/webpage_files.c from the
 * page's files), so an installed notary needs no web/ folder.
 *
 * Routes (registered in routes.c, documented in docs/openapi.yaml):
 *   GET /verify         308 to "verify/" (relative, so it also works under a
 *                       reverse proxy's path prefix): the page's links are
 *                       relative and need the trailing slash;
 *   GET /verify/        index.html;
 *   GET /verify/{file}  exactly the embedded files, by name; anything else
 *                       (unknown names, "..", encoded dots or slashes) is
 *                       404 not_found: a name is only ever looked up in the
 *                       table, never on disk.
 * Every file answer carries its Content-Type, Cache-Control: no-cache, the
 * page's Content-Security-Policy (WEBPAGE_CSP), X-Content-Type-Options:
 * nosniff and Referrer-Policy: no-referrer.
 */
#ifndef NOTARY_WEBPAGE_H
#define NOTARY_WEBPAGE_H

#include <stddef.h>

#include "notary/service/http.h"

/* The page needs its own scripts, styles and config.json ('self'), images
 * from data: URLs, and JSON-RPC to a ledger endpoint the visitor chooses
 * (connect-src *); nothing else: no inline script, no plugins, no framing,
 * no <base>, no form posts. The same policy as web/index.html's meta tag,
 * tightened by the directives a meta tag cannot carry (frame-ancestors). */
#define WEBPAGE_CSP                                                                        \
    "default-src 'self'; connect-src *; img-src 'self' data:; style-src 'self'; "         \
    "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "         \
    "frame-ancestors 'none'"

/* One embedded file: its name in web/ ("app.js") and its bytes. */
struct webpage_file {
    const char *name;
    const unsigned char *data;
    size_t len;
};

/* Generated ($(BUILD)/gen/webpage_files.c): the embedded files. */
extern const struct webpage_file webpage_files[];
extern const size_t webpage_nfiles;

/* The embedded file called exactly `name` (untrusted; any bytes), or NULL. */
const struct webpage_file *webpage_find(const char *name);
/* The Content-Type for a file name by its extension (.html .css .js .json
 * .wasm .svg .png), or NULL for any other: such a file is never served. */
const char *webpage_content_type(const char *name);

/* Handlers (app unused): GET /verify, GET /verify/, GET /verify/{file}. */
void webpage_h_redirect(struct http_req *r, void *app);
void webpage_h_index(struct http_req *r, void *app);
void webpage_h_file(struct http_req *r, void *app);

#endif
