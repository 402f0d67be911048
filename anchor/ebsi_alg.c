/* anchor/ebsi_alg.c — see ebsi_alg.h. */
#define _GNU_SOURCE
#include "anchor/ebsi_alg.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/fetch.h"
#include "core/bytes.h"
#include "core/json.h"

#define URL_SUFFIX "/jsonrpc"
#define MAX_URL 2048u

/* Copy string member `v` into out[EBSI_ALG_MAX_TEXT + 1] if it is a string
 * of min..EBSI_ALG_MAX_TEXT bytes each accepted by `ok`. */
static bool text_member(const json_t *v, size_t min, int (*ok)(int), char *out)
{
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n < min || n > EBSI_ALG_MAX_TEXT || strlen(s) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i]))
            return false;
    memcpy(out, s, n + 1);
    return true;
}

static int printable(int c) { return c >= 0x20 && c < 0x7f; }
static int lower_letter(int c) { return c >= 'a' && c <= 'z'; }
static int multihash_char(int c) { return lower_letter(c) || (c >= '0' && c <= '9') || c == '-'; }

/* Read the members of the answer object `top` into *out; NULL, or what is
 * wrong with them. */
static const char *read_members(const json_t *top, struct ebsi_alg *out)
{
    const json_t *bits = json_object_get(top, "outputLengthBits");
    const json_t *lower = json_object_get(top, "multihash"), *upper = json_object_get(top, "multiHash");
    if (!json_is_integer(bits) || json_integer_value(bits) < 0 || json_integer_value(bits) > 65536)
        return "outputLengthBits must be an integer of 0..65536";
    out->output_bits = (uint64_t)json_integer_value(bits);
    if (!text_member(json_object_get(top, "ianaName"), 0, printable, out->iana_name))
        return "ianaName must be a string of at most 64 printable ASCII characters";
    if (!text_member(json_object_get(top, "oid"), 0, printable, out->oid))
        return "oid must be a string of at most 64 printable ASCII characters";
    if (!text_member(json_object_get(top, "status"), 1, lower_letter, out->status))
        return "status must be a word of 1..64 lower-case letters (\"active\", \"revoked\")";
    if ((lower != NULL) == (upper != NULL))
        return "must have exactly one of multihash and multiHash";
    if (!text_member(lower ? lower : upper, 1, multihash_char, out->multihash))
        return "multihash must be a name of 1..64 characters [a-z0-9-] (e.g. \"sha2-256\")";
    return NULL;
}

err_code ebsi_alg_parse(const char *body, size_t len, struct ebsi_alg *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    json_t *top = NULL;
    err_code rc = jstrict_parse(body, len, EBSI_ALG_MAX_ANSWER, 0, &top, e);
    if (rc)
        return err_wrap(e, rc == E_NOMEM ? rc : E_PROTOCOL, "hash algorithm answer");
    const char *why = json_is_object(top) ? read_members(top, out) : "is not a JSON object";
    json_decref(top);
    if (!why)
        return E_OK;
    memset(out, 0, sizeof *out);
    return err_set(e, E_PROTOCOL, "hash algorithm answer: %s", why);
}

err_code ebsi_alg_check(const struct ebsi_alg *a, uint64_t id, struct err *e)
{
    if (strcmp(a->multihash, EBSI_ALG_SHA256) != 0)
        return err_set(e, E_INVALID,
                       "the Timestamp API's hash algorithm %llu is %s (ianaName \"%s\"), not "
                       "%s: the notary's roots are SHA-256; give the id the API lists for %s "
                       "with --hash-algorithm-id",
                       (unsigned long long)id, a->multihash, a->iana_name, EBSI_ALG_SHA256,
                       EBSI_ALG_SHA256);
    if (a->output_bits != 256)
        return err_set(e, E_PROTOCOL, "the Timestamp API's hash algorithm %llu says %s with %llu "
                                      "output bits, not 256: the table is inconsistent; refusing",
                       (unsigned long long)id, EBSI_ALG_SHA256,
                       (unsigned long long)a->output_bits);
    if (strcmp(a->status, "active") != 0)
        return err_set(e, E_STATE,
                       "the Timestamp API's hash algorithm %llu (%s) has status \"%s\", not "
                       "\"active\": EBSI refuses timestamps with it; ask EBSI which id is an "
                       "active %s now and give it with --hash-algorithm-id",
                       (unsigned long long)id, a->multihash, a->status, EBSI_ALG_SHA256);
    return E_OK;
}

err_code ebsi_alg_url(const char *ts_api, uint64_t id, char **out, struct err *e)
{
    *out = NULL;
    size_t n = strlen(ts_api), m = strlen(URL_SUFFIX);
    if ((strncmp(ts_api, "http://", 7) != 0 && strncmp(ts_api, "https://", 8) != 0) ||
        n > MAX_URL || n <= m || strcmp(ts_api + n - m, URL_SUFFIX) != 0 ||
        strpbrk(ts_api, "?# "))
        return err_set(e, E_INVALID, "--timestamp-api must be the Timestamp API's JSON-RPC URL, "
                                     "ending in /jsonrpc without query or fragment (e.g. "
                                     "https://api-pilot.ebsi.eu/timestamp/v4/jsonrpc)");
    if (asprintf(out, "%.*s/hash-algorithms/%llu", (int)(n - m), ts_api,
                 (unsigned long long)id) < 0) {
        *out = NULL;
        return err_set(e, E_NOMEM, "out of memory");
    }
    return E_OK;
}

err_code ebsi_alg_confirm(const char *ts_api, uint64_t id, unsigned timeout_ms,
                          struct ebsi_alg *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char *url = NULL, shown[256];
    err_code rc = ebsi_alg_url(ts_api, id, &url, e);
    if (rc)
        return rc;
    fetch_url_for_msg(url, shown, sizeof shown);
    long status = 0;
    struct buf body = {0};
    const struct fetch_opts fo = {.url = url,
                                  .max_bytes = EBSI_ALG_MAX_ANSWER,
                                  .what = "hash algorithm answer",
                                  .timeout_ms = timeout_ms ? timeout_ms : 30000,
                                  .no_redirects = true,
                                  .status = &status};
    rc = fetch_get(&fo, &body, e);
    if (rc == E_NETWORK && status == 404)
        rc = err_set(e, E_NOT_FOUND,
                     "the Timestamp API knows no hash algorithm %llu (%s answered HTTP 404): "
                     "give the id it lists for %s with --hash-algorithm-id",
                     (unsigned long long)id, shown, EBSI_ALG_SHA256);
    else if (rc == E_NETWORK)
        err_prefix(e, "could not confirm that hash algorithm %llu is %s (is the Timestamp API "
                      "reachable? try again)",
                   (unsigned long long)id, EBSI_ALG_SHA256);
    else if (rc == E_LIMIT)
        rc = err_wrap(e, E_PROTOCOL, "hash algorithm %llu", (unsigned long long)id);
    else if (rc == E_OK && (rc = ebsi_alg_parse((const char *)body.p, body.len, out, e)))
        err_prefix(e, "%s", shown);
    else if (rc == E_OK)
        rc = ebsi_alg_check(out, id, e);
    buf_free(&body);
    free(url);
    return rc;
}
