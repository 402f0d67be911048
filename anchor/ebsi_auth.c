/* anchor/ebsi_auth.c — see ebsi_auth.h. */
#define _GNU_SOURCE
#include "anchor/ebsi_auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "anchor/fetch.h"
#include "anchor/net.h"
#include "anchor/rpc.h"
#include "core/fileio.h"
#include "core/json.h"

#define CACHE_MAX_BYTES (RPC_MAX_TOKEN + 4096u)

static bool did_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ':' || c == '%' || c == '-';
}

err_code ebsi_auth_check_did(const char *did, struct err *e)
{
    size_t n = strlen(did);
    if (n > EBSI_AUTH_MAX_DID)
        return err_set(e, E_INVALID, "--did: longer than %u characters", EBSI_AUTH_MAX_DID);
    const char *m = strncmp(did, "did:", 4) == 0 ? did + 4 : NULL;
    const char *colon = m ? strchr(m, ':') : NULL;
    if (!colon || colon == m || !colon[1])
        return err_set(e, E_INVALID, "--did must be a DID such as did:ebsi:z…");
    for (const char *p = m; p < colon; p++)
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= '0' && *p <= '9'))
            return err_set(e, E_INVALID, "--did: the method name must be lowercase letters and "
                                         "digits");
    for (const char *p = colon + 1; *p; p++)
        if (!did_char(*p))
            return err_set(e, E_INVALID, "--did: character %zu is not allowed in a DID",
                           (size_t)(p - did));
    return E_OK;
}

err_code ebsi_auth_kid(const char *did, const struct jwt_key *k, char **out, struct err *e)
{
    char tp[44];
    err_code rc = jwt_key_thumbprint(k, tp, e);
    if (rc)
        return rc;
    if (asprintf(out, "%s#%s", did, tp) < 0) {
        *out = NULL;
        return err_set(e, E_NOMEM, "out of memory");
    }
    return E_OK;
}

/* "urn:uuid:" + a random (version 4) UUID. */
static err_code urn_uuid(char out[46], struct err *e)
{
    uint8_t r[16];
    if (RAND_bytes(r, sizeof r) != 1)
        return err_set(e, E_IO, "no randomness for the presentation's nonce");
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    snprintf(out, 46,
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12],
             r[13], r[14], r[15]);
    return E_OK;
}

err_code ebsi_auth_vp_jwt(const struct jwt_key *k, const char *did, const char *kid,
                          const char *aud, uint64_t now, char **out, struct err *e)
{
    *out = NULL;
    char jti[46], nonce[46];
    err_code rc;
    if ((rc = urn_uuid(jti, e)) || (rc = urn_uuid(nonce, e)))
        return rc;
    json_t *h = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "typ", "JWT", "kid", kid);
    json_t *p = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:{s:[s], s:s, s:[s], s:s, "
                          "s:[]}}",
                          "iss", did, "sub", did, "aud", aud, "iat", (json_int_t)now, "nbf",
                          (json_int_t)(now - 60), "exp", (json_int_t)(now + EBSI_AUTH_VP_LIFETIME),
                          "jti", jti, "nonce", nonce + 9, "vp", "@context",
                          "https://www.w3.org/2018/credentials/v1", "id", jti, "type",
                          "VerifiablePresentation", "holder", did, "verifiableCredential");
    rc = h && p ? jwt_sign_es256(k, h, p, out, e) : err_set(e, E_NOMEM, "out of memory");
    json_decref(h);
    json_decref(p);
    return rc;
}

static err_code form_append(struct buf *b, const char *name, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    err_code rc = b->len ? buf_append_byte(b, '&') : E_OK;
    if (!rc)
        rc = buf_append_str(b, name);
    if (!rc)
        rc = buf_append_byte(b, '=');
    for (const unsigned char *p = (const unsigned char *)v; !rc && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            rc = buf_append_byte(b, *p);
        } else {
            uint8_t t[3] = {'%', (uint8_t)hex[*p >> 4], (uint8_t)hex[*p & 15]};
            rc = buf_append(b, t, 3);
        }
    }
    return rc;
}

err_code ebsi_auth_form(const char *vp_jwt, char **out, struct err *e)
{
    *out = NULL;
    char id[46];
    err_code rc = urn_uuid(id, e);
    if (rc)
        return rc;
    char sub[200];
    snprintf(sub, sizeof sub, "{\"id\":\"%s\",\"definition_id\":\"%s\",\"descriptor_map\":[]}",
             id + 9, EBSI_AUTH_DEFINITION_ID);
    struct buf b = {0};
    if (form_append(&b, "grant_type", "vp_token") || form_append(&b, "scope", EBSI_AUTH_SCOPE) ||
        form_append(&b, "vp_token", vp_jwt) || form_append(&b, "presentation_submission", sub) ||
        buf_append_byte(&b, 0)) {
        buf_free_wipe(&b);
        return err_set(e, E_NOMEM, "out of memory");
    }
    *out = (char *)b.p;
    return E_OK;
}

void ebsi_auth_token_free(struct ebsi_auth_token *t)
{
    if (!t)
        return;
    ebsi_auth_secret_free(t->access_token);
    memset(t, 0, sizeof *t);
}

void ebsi_auth_secret_free(char *token)
{
    if (!token)
        return;
    OPENSSL_cleanse(token, strlen(token));
    free(token);
}

static bool token_chars_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x20 || s[i] >= 0x7f)
            return false;
    return n > 0;
}

/* Are the words of `scope` exactly those of EBSI_AUTH_SCOPE ("openid",
 * "timestamp_write"), each once? */
static bool scope_ok(const char *scope)
{
    bool openid = false, ts = false;
    const char *p = scope;
    while (*p) {
        if (*p == ' ') {
            p++;
            continue;
        }
        size_t n = strcspn(p, " ");
        bool *w = n == 6 && !strncmp(p, "openid", 6)            ? &openid
                  : n == 15 && !strncmp(p, "timestamp_write", 15) ? &ts
                                                                  : NULL;
        if (!w || *w)
            return false;
        *w = true;
        p += n;
    }
    return openid && ts;
}

err_code ebsi_auth_parse_answer(const char *body, size_t len, uint64_t now,
                                struct ebsi_auth_token *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    json_t *top = NULL;
    err_code rc = jstrict_parse(body, len, EBSI_AUTH_MAX_ANSWER, 0, &top, e);
    if (rc)
        return err_wrap(e, rc == E_NOMEM ? rc : E_PROTOCOL, "token answer");
    const json_t *at = json_object_get(top, "access_token"),
                 *tt = json_object_get(top, "token_type"), *ei = json_object_get(top, "expires_in"),
                 *sc = json_object_get(top, "scope"), *it = json_object_get(top, "id_token");
    const char *what = NULL;
    if (!json_is_object(top))
        what = "is not a JSON object";
    else if (!json_is_string(at) || json_string_length(at) > RPC_MAX_TOKEN ||
             !token_chars_ok(json_string_value(at), json_string_length(at)))
        what = "access_token must be 1..8192 printable characters without spaces";
    else if (!json_is_string(tt) || strcasecmp(json_string_value(tt), "Bearer") != 0)
        what = "token_type must be \"Bearer\"";
    else if (!json_is_integer(ei) || json_integer_value(ei) < 1 ||
             json_integer_value(ei) > (json_int_t)EBSI_AUTH_MAX_EXPIRES_IN)
        what = "expires_in must be an integer of 1..86400 seconds";
    else if (!json_is_string(sc) || json_string_length(sc) > 256 ||
             !scope_ok(json_string_value(sc)))
        what = "scope must be \"" EBSI_AUTH_SCOPE "\" (the token would not allow timestamping)";
    else if (it && !json_is_string(it))
        what = "id_token must be a string when present";
    if (what) {
        json_decref(top);
        return err_set(e, E_PROTOCOL, "token answer: %s", what);
    }
    out->expires_in = (uint64_t)json_integer_value(ei);
    out->expires_at = now + out->expires_in;
    out->access_token = strdup(json_string_value(at));
    /* jansson keeps its copy: wipe it before it is freed */
    OPENSSL_cleanse((char *)json_string_value(at), json_string_length(at));
    json_decref(top);
    if (!out->access_token)
        return err_set(e, E_NOMEM, "out of memory");
    return E_OK;
}

/* ---- the cache ---------------------------------------------------------- */

static uint64_t margin_for(uint64_t expires_in)
{
    return expires_in / 2 < EBSI_AUTH_RENEW_MARGIN ? expires_in / 2 : EBSI_AUTH_RENEW_MARGIN;
}

/* The cached token if usable now, else NULL (missing, stale, for another
 * DID or API, unreadable by mode or content: fetched anew and rewritten). */
static char *cache_read(const struct ebsi_auth_cfg *cfg, uint64_t now)
{
    if (!cfg->cache_file)
        return NULL;
    struct buf b = {0};
    json_t *top = NULL;
    char *tok = NULL;
    err_code rc = file_read_private(cfg->cache_file, CACHE_MAX_BYTES, &b, NULL);
    if (rc == E_STATE) { /* someone else may have read it: never use it */
        unlink(cfg->cache_file);
        return NULL;
    }
    if (rc == E_OK &&
        jstrict_parse((const char *)b.p, b.len, CACHE_MAX_BYTES, 0, &top, NULL) == E_OK) {
        const char *did = json_string_value(json_object_get(top, "did"));
        const char *aud = json_string_value(json_object_get(top, "aud"));
        const json_t *at = json_object_get(top, "access_token");
        const json_t *ea = json_object_get(top, "expires_at");
        const json_t *ei = json_object_get(top, "expires_in");
        if (did && aud && !strcmp(did, cfg->did) && !strcmp(aud, cfg->auth_url) &&
            json_is_string(at) && token_chars_ok(json_string_value(at), json_string_length(at)) &&
            json_is_integer(ea) && json_is_integer(ei) && json_integer_value(ei) > 0 &&
            json_integer_value(ea) > 0 &&
            (uint64_t)json_integer_value(ea) >
                now + margin_for((uint64_t)json_integer_value(ei)))
            tok = strdup(json_string_value(at));
        if (json_is_string(at))
            OPENSSL_cleanse((char *)json_string_value(at), json_string_length(at));
    }
    json_decref(top);
    buf_free_wipe(&b);
    return tok;
}

static err_code cache_write(const struct ebsi_auth_cfg *cfg, const struct ebsi_auth_token *t,
                            struct err *e)
{
    if (!cfg->cache_file)
        return E_OK;
    json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:I, s:I}", "v", 1, "did", cfg->did, "aud",
                          cfg->auth_url, "access_token", t->access_token, "expires_at",
                          (json_int_t)t->expires_at, "expires_in", (json_int_t)t->expires_in);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (o)
        OPENSSL_cleanse((char *)json_string_value(json_object_get(o, "access_token")),
                        strlen(t->access_token));
    json_decref(o);
    if (!text)
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = file_write_atomic(cfg->cache_file, text, strlen(text), 0600, e);
    OPENSSL_cleanse(text, strlen(text));
    free(text);
    return rc ? err_wrap(e, rc, "token cache %s", cfg->cache_file) : E_OK;
}

err_code ebsi_auth_forget(const struct ebsi_auth_cfg *cfg, struct err *e)
{
    if (cfg->cache_file && unlink(cfg->cache_file) != 0 && errno != ENOENT)
        return err_set(e, E_IO, "token cache %s: %s", cfg->cache_file, strerror(errno));
    return E_OK;
}

/* ---- the request ---------------------------------------------------------- */

struct sink {
    struct buf b;
    bool too_big;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sink *f = arg;
    size_t n = size * nmemb;
    if (f->b.len + n > EBSI_AUTH_MAX_ANSWER) {
        f->too_big = true;
        return 0;
    }
    return buf_append(&f->b, p, n) == E_OK ? n : 0;
}

/* What a refusal says, printable ASCII, at most 200 characters. */
static void refusal_text(const struct buf *b, char *out, size_t n)
{
    json_t *top = NULL;
    const char *s = NULL;
    out[0] = '\0';
    if (jstrict_parse((const char *)b->p, b->len, EBSI_AUTH_MAX_ANSWER, 0, &top, NULL) == E_OK) {
        static const char *const keys[] = {"error_description", "detail", "title", "error"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0] && !s; i++)
            s = json_string_value(json_object_get(top, keys[i]));
    }
    size_t k = 0;
    for (; s && *s && k + 1 < n && k < 200; s++)
        out[k++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[k] = '\0';
    json_decref(top);
}

static err_code post_form(const struct ebsi_auth_cfg *cfg, const char *url, const char *form,
                          long *status, struct buf *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    char shown[256];
    fetch_url_for_msg(url, shown, sizeof shown);
    if (net_global_init(e))
        return E_NETWORK;
    CURL *h = curl_easy_init();
    struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
    struct curl_slist *h2 = hd ? curl_slist_append(hd, "Accept: application/json") : NULL;
    if (!h || !h2) {
        curl_slist_free_all(h2 ? h2 : hd);
        curl_easy_cleanup(h);
        return err_set(e, E_NOMEM, "out of memory for a transfer");
    }
    struct sink f = {0};
    char cerr[CURL_ERROR_SIZE] = "";
    long tmo = cfg->timeout_ms ? (long)cfg->timeout_ms : 30000L;
    CURLcode cr;
    if ((cr = curl_easy_setopt(h, CURLOPT_URL, url)) ||
        (cr = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https")) ||
        (cr = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L)) ||
        (cr = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L)) ||
        (cr = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L)) ||
        (cr = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, tmo)) ||
        (cr = curl_easy_setopt(h, CURLOPT_HTTPHEADER, h2)) ||
        (cr = curl_easy_setopt(h, CURLOPT_POSTFIELDS, form)) ||
        (cr = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data)) ||
        (cr = curl_easy_setopt(h, CURLOPT_WRITEDATA, &f)) ||
        (cr = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr)) ||
        (cr = curl_easy_setopt(h, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1")) ||
        (cr = curl_easy_setopt(h, CURLOPT_USERAGENT, "credential-notary")) ||
        (cr = curl_easy_perform(h)) ||
        (cr = curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status))) {
    }
    curl_easy_cleanup(h);
    curl_slist_free_all(h2);
    if (f.too_big) {
        buf_free_wipe(&f.b);
        return err_set(e, E_PROTOCOL, "%s: answer larger than %u bytes", shown,
                       EBSI_AUTH_MAX_ANSWER);
    }
    if (cr != CURLE_OK) {
        buf_free_wipe(&f.b);
        return err_set(e, E_NETWORK, "Authorisation API %s unreachable: %s", shown,
                       cerr[0] ? cerr : curl_easy_strerror(cr));
    }
    *out = f.b;
    return E_OK;
}

static err_code request_token(const struct ebsi_auth_cfg *cfg, uint64_t now,
                              struct ebsi_auth_token *t, struct err *e)
{
    struct jwt_key *k = NULL;
    char *kid = NULL, *vp = NULL, *form = NULL, *url = NULL;
    struct buf ans = {0};
    long status = 0;
    err_code rc;
    if ((rc = net_url_may_carry_secret(cfg->auth_url,
                                       "the signed presentation (replayable until it expires)", e)))
        return err_wrap(e, rc, "Authorisation API");
    if ((rc = jwt_key_read_file(cfg->key_file, &k, e)))
        return err_wrap(e, rc, "the DID's key (--vp-key)");
    if (asprintf(&url, "%s/token", cfg->auth_url) < 0)
        url = NULL, rc = err_set(e, E_NOMEM, "out of memory");
    if (!rc && !(rc = ebsi_auth_kid(cfg->did, k, &kid, e)) &&
        !(rc = ebsi_auth_vp_jwt(k, cfg->did, kid, cfg->auth_url, now, &vp, e)) &&
        !(rc = ebsi_auth_form(vp, &form, e)))
        rc = post_form(cfg, url, form, &status, &ans, e);
    jwt_key_free(k);
    ebsi_auth_secret_free(vp);
    ebsi_auth_secret_free(form);
    if (!rc) {
        char shown[256], why[208];
        fetch_url_for_msg(url, shown, sizeof shown);
        if (status == 200) {
            rc = ebsi_auth_parse_answer((const char *)ans.p, ans.len, now, t, e);
            if (rc)
                err_prefix(e, "%s: ", shown);
        } else if (status == 400 || status == 401 || status == 403) {
            refusal_text(&ans, why, sizeof why);
            rc = err_set(e, E_STATE,
                         "the Authorisation API %s refused a timestamp_write token for %s (HTTP "
                         "%ld%s%s): check that the DID is registered in the DID Registry with "
                         "the key of --vp-key (kid %.300s)",
                         shown, cfg->did, status, why[0] ? ": " : "", why, kid ? kid : "?");
        } else {
            rc = err_set(e, E_NETWORK, "the Authorisation API %s answered HTTP %ld; try again "
                                       "later", shown, status);
        }
    }
    buf_free_wipe(&ans);
    free(kid);
    free(url);
    return rc;
}

err_code ebsi_auth_get(const struct ebsi_auth_cfg *cfg, bool fresh, char **token, struct err *e)
{
    *token = NULL;
    uint64_t now = (uint64_t)time(NULL);
    if (!fresh && (*token = cache_read(cfg, now)))
        return E_OK;
    struct ebsi_auth_token t;
    err_code rc = request_token(cfg, now, &t, e);
    if (rc)
        return rc;
    rc = cache_write(cfg, &t, e);
    if (!rc) {
        *token = t.access_token;
        t.access_token = NULL;
    }
    ebsi_auth_token_free(&t);
    return rc;
}
