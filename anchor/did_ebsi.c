/* anchor/did_ebsi.c — see did_ebsi.h. */
#include "anchor/did_ebsi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "anchor/fetch.h"
#include "anchor/signer.h"
#include "core/b64url.h"
#include "core/bundle.h"
#include "core/hash.h"
#include "core/jfield.h"

static const char B58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

err_code did_ebsi_check(const char *did, struct err *e)
{
    char shown[80];
    err_code rc = did_check_start(did, "did:ebsi:z",
                                  "did:ebsi legal-entity DID (did:ebsi:z + base58btc)", shown,
                                  sizeof shown, e);
    if (rc)
        return rc;
    /* base58btc → a big-endian number of at most 32 bytes */
    uint8_t n[32] = {0};
    const char *p = did + 10;
    size_t digits = strlen(p), zeros = 0;
    if (digits == 0 || digits > 44)
        return err_set(e, E_INVALID, "%s: the identifier must be base58btc of 17 bytes", shown);
    for (; p[zeros] == '1'; zeros++)
        ;
    for (size_t i = 0; i < digits; i++) {
        const char *c = p[i] ? strchr(B58, p[i]) : NULL;
        if (!c)
            return err_set(e, E_INVALID, "%s: '%c' is not a base58btc digit", shown,
                           (p[i] > 0x20 && p[i] < 0x7f) ? p[i] : '?');
        unsigned carry = (unsigned)(c - B58);
        for (int k = 31; k >= 0; k--) {
            carry += 58u * n[k];
            n[k] = (uint8_t)carry;
            carry >>= 8;
        }
        if (carry)
            return err_set(e, E_INVALID, "%s: the identifier is longer than 17 bytes", shown);
    }
    size_t first = 0;
    while (first < 32 && n[first] == 0)
        first++;
    size_t bytes = zeros + (32 - first);
    if (bytes != 17 || zeros != 0 || n[first] != 0x01)
        return err_set(e, E_INVALID,
                       "%s: the identifier must be version byte 0x01 and 16 bytes (a legal "
                       "entity), base58btc",
                       shown);
    return E_OK;
}

/* ---- the DID document ---------------------------------------------------------- */

/* The address of a secp256k1 publicKeyJwk into *a. */
static err_code jwk_address(const struct jfield *c, json_t *jwk, const char *where,
                            struct addr20 *a)
{
    const char *kty, *x, *y;
    err_code rc;
    if ((rc = jfield_string(c, jwk, where, "kty", &kty)) ||
        (rc = jfield_string(c, jwk, where, "x", &x)) ||
        (rc = jfield_string(c, jwk, where, "y", &y)))
        return rc;
    if (strcmp(kty, "EC") != 0)
        return jfield_fail(c, E_INVALID, "%s.kty must be \"EC\" for crv secp256k1", where);
    uint8_t pub[64], tmp[48];
    size_t xl = 0, yl = 0;
    if (strlen(x) != 43 || strlen(y) != 43 || b64url_decode_to(x, 43, tmp, &xl, NULL) ||
        xl != 32 || (memcpy(pub, tmp, 32), b64url_decode_to(y, 43, tmp, &yl, NULL)) || yl != 32)
        return jfield_fail(c, E_INVALID,
                           "%s: x and y must each be 32 bytes in base64url without padding", where);
    memcpy(pub + 32, tmp, 32);
    eth_address_from_pubkey64(pub, a);
    return E_OK;
}

static err_code read_controllers(const struct jfield *c, json_t *top, struct did_ebsi_doc *out)
{
    json_t *ctl = json_object_get(top, "controller"), *v;
    if (!ctl)
        return jfield_fail(c, E_INVALID, "controller is missing (EBSI's DID Registry lists the "
                                         "controllers of every DID)");
    json_t *one = NULL;
    if (json_is_string(ctl)) {
        one = json_array();
        if (!one || json_array_append(one, ctl))
            return jfield_fail(c, E_NOMEM, "out of memory");
        ctl = one;
    }
    err_code rc = jfield_is(c, ctl, "controller", JSON_ARRAY);
    size_t n = rc ? 0 : json_array_size(ctl), i;
    if (!rc && (n == 0 || n > DID_EBSI_MAX_CONTROLLERS))
        rc = jfield_fail(c, E_INVALID, "controller has %zu entries; 1..%d are read", n,
                         DID_EBSI_MAX_CONTROLLERS);
    json_array_foreach(ctl, i, v)
    {
        char where[48];
        struct err ce = {0};
        if (rc)
            break;
        snprintf(where, sizeof where, "controller[%zu]", i);
        if ((rc = jfield_is(c, v, where, JSON_STRING)))
            break;
        if (did_ebsi_check(json_string_value(v), &ce)) {
            rc = jfield_fail(c, E_INVALID, "%s: %s", where, ce.msg);
            break;
        }
        memcpy(out->controllers[out->n_controllers++], json_string_value(v),
               strlen(json_string_value(v)) + 1); /* did_ebsi_check: < DID_MAX_LEN */
    }
    json_decref(one);
    return rc;
}

err_code did_ebsi_doc_parse(const char *text, size_t len, const char *did, struct did_ebsi_doc *out,
                            struct err *e)
{
    memset(out, 0, sizeof *out);
    const struct jfield c = {.name = "DID document", .closed = "", .terse = false, .e = e};
    json_t *top = NULL, *vms = NULL, *ci = NULL, *vm;
    err_code rc = did_doc_load(&c, text, len, did, &top);
    if (rc)
        return rc;
    if ((rc = read_controllers(&c, top, out)) ||
        (rc = jfield_get(&c, top, "", "verificationMethod", JSON_ARRAY, &vms)))
        goto done;
    if ((ci = json_object_get(top, "capabilityInvocation"))) {
        if ((rc = jfield_is(&c, ci, "capabilityInvocation", JSON_ARRAY)))
            goto done;
        size_t k;
        json_t *v;
        json_array_foreach(ci, k, v)
        {
            if (!json_is_string(v)) {
                rc = jfield_fail(&c, E_INVALID, "capabilityInvocation[%zu] must be a string", k);
                goto done;
            }
        }
    }
    if (json_array_size(vms) > DID_MAX_METHODS ||
        (ci && json_array_size(ci) > DID_MAX_METHODS)) {
        rc = jfield_fail(&c, E_INVALID, "more than %d verification methods", DID_MAX_METHODS);
        goto done;
    }
    size_t i;
    json_array_foreach(vms, i, vm)
    {
        char where[80];
        const char *type, *vid, *crv;
        json_t *jwk;
        snprintf(where, sizeof where, "verificationMethod[%zu]", i);
        if ((rc = jfield_is(&c, vm, where, JSON_OBJECT)) ||
            (rc = jfield_string(&c, vm, where, "id", &vid)) ||
            (rc = jfield_string(&c, vm, where, "type", &type)))
            goto done;
        if (strcmp(type, "JsonWebKey2020") != 0)
            continue;
        if ((rc = jfield_get(&c, vm, where, "publicKeyJwk", JSON_OBJECT, &jwk)))
            goto done;
        if (!json_is_string(json_object_get(jwk, "crv")))
            continue; /* an RSA or another key without a curve: not ours to judge */
        crv = json_string_value(json_object_get(jwk, "crv"));
        if (strcmp(crv, "secp256k1") != 0)
            continue;
        snprintf(where + strlen(where), sizeof where - strlen(where), ".publicKeyJwk");
        struct did_account *a = &out->keys[out->n_keys];
        if ((rc = jwk_address(&c, jwk, where, &a->addr)))
            goto done;
        if (!ci || !jfield_lists(ci, vid))
            continue; /* not a capabilityInvocation key: controls nothing */
        a->chain_id = 0;
        jfield_printable(vid, a->vm_id, sizeof a->vm_id);
        out->n_keys++;
    }
done:
    json_decref(top);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ---- JWT payload ------------------------------------------------------------------ */

err_code did_ebsi_jwt_payload(const char *jwt, size_t len, struct buf *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (len > DID_EBSI_JWT_MAX)
        return err_set(e, E_LIMIT, "a JWT of %zu bytes, over the limit of %d", len,
                       DID_EBSI_JWT_MAX);
    const char *d1 = memchr(jwt, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
    if (!d1 || !d2 || d1 == jwt || d2 == d1 + 1 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)))
        return err_set(e, E_INVALID, "not a compact JWS (HEADER.PAYLOAD.SIGNATURE in base64url)");
    size_t pl = (size_t)(d2 - d1 - 1), n = 0;
    size_t cap = pl * 3 / 4 + 4;
    uint8_t *p = malloc(cap), tmp[4];
    if (!p)
        return err_set(e, E_NOMEM, "out of memory");
    size_t hn = 0;
    bool ok = b64url_decode_to(d1 + 1, pl, p, &n, NULL) == E_OK;
    /* the header and signature must be base64url too (decoded in pieces, not kept) */
    for (const char *s = jwt; ok && s < d1; s += 4) {
        size_t k = (size_t)(d1 - s) < 4 ? (size_t)(d1 - s) : 4;
        ok = b64url_decode_to(s, k, tmp, &hn, NULL) == E_OK;
    }
    for (const char *s = d2 + 1; ok && s < jwt + len; s++)
        ok = b64url_char(*s);
    if (!ok || n == 0) {
        free(p);
        return err_set(e, E_INVALID, "not a compact JWS: a part is not base64url");
    }
    p[n] = '\0'; /* struct buf's promise: NUL-terminated, not counted */
    out->p = p;
    out->len = n;
    out->cap = cap;
    return E_OK;
}

/* ---- the TIR answer -------------------------------------------------------------- */

/* The validity bound `claim` (payload, integer) / vc.`k1` / vc.`k2` (times):
 * each one stated must be after 1970; *out the latest of them (later = true,
 * a start) or the earliest (an end), 0 when none is stated. A JWT VC states
 * them twice (nbf/validFrom, exp/validUntil or expirationDate): the
 * strictest counts, so a far "exp" cannot outlive an expired validUntil. */
static err_code vc_time(const struct jfield *c, json_t *vc, json_t *pl, const char *where,
                        const char *claim, const char *k1, const char *k2, bool later,
                        int64_t *out)
{
    *out = 0;
    json_t *v = json_object_get(pl, claim);
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return jfield_fail(c, E_INVALID, "%s: %s must be a positive integer", where, claim);
        *out = (int64_t)json_integer_value(v);
    }
    const char *keys[2] = {k1, k2};
    for (int i = 0; i < 2; i++) {
        int64_t t = 0;
        struct err te = {0};
        if (!(v = json_object_get(vc, keys[i])))
            continue;
        if (!json_is_string(v) || bundle_time_parse(json_string_value(v), &t, &te) || t <= 0)
            return jfield_fail(c, E_INVALID, "%s: vc.%s must be a time YYYY-MM-DDTHH:MM:SSZ "
                               "after 1970", where, keys[i]);
        if (!*out || (later ? t > *out : t < *out))
            *out = t;
    }
    return E_OK;
}

/* Read the accreditation VC in attribute body `body` into *a. */
static err_code read_accreditation(const struct jfield *c, const char *where, const char *body,
                                   const char *did, struct did_ebsi_accr *a)
{
    struct buf pl;
    struct err je = {0};
    err_code rc = did_ebsi_jwt_payload(body, strlen(body), &pl, &je);
    if (rc)
        return jfield_fail(c, rc, "%s.body: %s", where, je.msg);
    const struct jfield pc = {.name = c->name, .closed = "", .terse = false, .e = c->e};
    json_t *top = NULL, *vc, *types, *cs, *af, *t;
    const char *sid;
    rc = jfield_load(&pc, (const char *)pl.p, pl.len, DID_EBSI_JWT_MAX, &top);
    buf_free(&pl);
    if (rc)
        return rc;
    char w[48];
    snprintf(w, sizeof w, "%.30s.body", where);
    if ((rc = jfield_is(&pc, top, w, JSON_OBJECT)) ||
        (rc = jfield_get(&pc, top, w, "vc", JSON_OBJECT, &vc)) ||
        (rc = jfield_get(&pc, vc, "vc", "type", JSON_ARRAY, &types)) ||
        (rc = jfield_get(&pc, vc, "vc", "credentialSubject", JSON_OBJECT, &cs)) ||
        (rc = jfield_string(&pc, cs, "vc.credentialSubject", "id", &sid)))
        goto done;
    if (!jfield_lists(types, "VerifiableAccreditation")) {
        rc = jfield_fail(&pc, E_INVALID, "%s: vc.type does not include VerifiableAccreditation",
                         w);
        goto done;
    }
    if (strcmp(sid, did) != 0) {
        rc = jfield_fail(&pc, E_INVALID, "%s: the accreditation's subject is not %s", w, did);
        goto done;
    }
    size_t i;
    json_array_foreach(types, i, t)
    {
        if (json_is_string(t) && strncmp(json_string_value(t), "VerifiableAccreditation", 23) == 0)
            jfield_printable(json_string_value(t), a->vc_type, sizeof a->vc_type);
    }
    if ((af = json_object_get(cs, "accreditedFor")) && json_is_array(af)) {
        json_t *item;
        json_array_foreach(af, i, item)
        {
            json_t *ts = json_object_get(item, "types"), *s;
            size_t k;
            json_array_foreach(ts, k, s)
            {
                size_t at = strlen(a->accredited_for);
                if (json_is_string(s) && strcmp(json_string_value(s), "VerifiableCredential") &&
                    strcmp(json_string_value(s), "VerifiableAttestation") &&
                    at + 4 < sizeof a->accredited_for) {
                    char one[80];
                    snprintf(a->accredited_for + at, sizeof a->accredited_for - at, "%s%s",
                             at ? ", " : "", jfield_printable(json_string_value(s), one, sizeof one));
                }
            }
        }
    }
    json_t *ln = json_object_get(cs, "legalName");
    if (json_is_string(ln) && json_string_length(ln) > 0)
        jfield_printable(json_string_value(ln), a->legal_name, sizeof a->legal_name);
    json_t *iss = json_object_get(vc, "issuer");
    if (json_is_object(iss))
        iss = json_object_get(iss, "id");
    if (!json_is_string(iss))
        iss = json_object_get(top, "iss");
    if (json_is_string(iss))
        jfield_printable(json_string_value(iss), a->by, sizeof a->by);
    if ((rc = vc_time(&pc, vc, top, w, "nbf", "validFrom", "issuanceDate", true,
                          &a->valid_from)) ||
        (rc = vc_time(&pc, vc, top, w, "exp", "validUntil", "expirationDate", false,
                      &a->valid_until)))
        goto done;
done:
    json_decref(top);
    return rc;
}

err_code did_ebsi_tir_parse(const char *text, size_t len, const char *did, int64_t now,
                            struct did_ebsi_accr *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    const struct jfield c = {.name = "TIR", .closed = "", .terse = false, .e = e};
    json_t *top = NULL, *attrs, *at;
    err_code rc = jfield_load(&c, text, len, DID_EBSI_TIR_MAX_BYTES, &top);
    if (rc)
        return rc;
    const char *tdid;
    if ((rc = jfield_is(&c, top, "the answer", JSON_OBJECT)) ||
        (rc = jfield_string(&c, top, "", "did", &tdid)) ||
        (rc = jfield_get(&c, top, "", "attributes", JSON_ARRAY, &attrs)))
        goto done;
    if (strcmp(tdid, did) != 0) {
        rc = jfield_fail(&c, E_INVALID, "the answer is about another DID, not %s", did);
        goto done;
    }
    size_t n = json_array_size(attrs), i;
    if (n == 0 || n > DID_EBSI_MAX_ATTRS) {
        rc = jfield_fail(&c, E_INVALID, "%zu attributes; 1..%d are read", n, DID_EBSI_MAX_ATTRS);
        goto done;
    }
    unsigned revoked = 0, expired = 0, early = 0;
    int64_t expired_at = 0;
    bool found = false;
    json_array_foreach(attrs, i, at)
    {
        char where[48];
        const char *body, *type, *tao, *root;
        uint8_t h[32];
        snprintf(where, sizeof where, "attributes[%zu]", i);
        if ((rc = jfield_is(&c, at, where, JSON_OBJECT)) ||
            (rc = jfield_hex(&c, at, where, "hash", false, h, sizeof h)) ||
            (rc = jfield_string(&c, at, where, "body", &body)) ||
            (rc = jfield_string(&c, at, where, "issuerType", &type)) ||
            (rc = jfield_string(&c, at, where, "tao", &tao)) ||
            (rc = jfield_string(&c, at, where, "rootTao", &root)))
            goto done;
        if (!strcmp(type, "Revoked")) {
            revoked++;
            continue;
        }
        if (!strcmp(type, "undefined") || !strcmp(type, "Undefined"))
            continue;
        if (strcmp(type, "RootTAO") && strcmp(type, "TAO") && strcmp(type, "TI")) {
            rc = jfield_fail(&c, E_INVALID, "%s.issuerType must be RootTAO, TAO, TI, Revoked or "
                             "undefined", where);
            goto done;
        }
        struct did_ebsi_accr a = {0};
        if ((rc = read_accreditation(&c, where, body, did, &a)))
            goto done;
        if (a.valid_until && a.valid_until <= now) {
            expired++;
            expired_at = a.valid_until > expired_at ? a.valid_until : expired_at;
            continue;
        }
        if (a.valid_from && a.valid_from > now) {
            early++;
            continue;
        }
        if (!found) {
            snprintf(a.issuer_type, sizeof a.issuer_type, "%s", type);
            jfield_printable(tao, a.tao, sizeof a.tao);
            *out = a;
            found = true;
        }
    }
    if (!found) {
        char t[21] = "";
        (void)bundle_time_format(expired_at, t, NULL);
        if (expired)
            rc = jfield_fail(&c, E_INVALID, "%s's accreditation expired at %s", did, t);
        else if (early)
            rc = jfield_fail(&c, E_INVALID, "%s's accreditation is not valid yet", did);
        else if (revoked)
            rc = jfield_fail(&c, E_INVALID, "%s is revoked in the Trusted Issuers Registry "
                             "(issuerType Revoked)", did);
        else
            rc = jfield_fail(&c, E_INVALID, "%s has no accreditation (RootTAO, TAO or TI) in "
                             "the Trusted Issuers Registry", did);
    }
done:
    json_decref(top);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

/* ---- resolution -------------------------------------------------------------------- */

static _Thread_local struct did_ebsi_doc g_edoc;

static bool listed_self(char ctl[][DID_MAX_LEN], size_t n, const char *did)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ctl[i], did) == 0)
            return true;
    return false;
}

err_code did_ebsi_resolve(const char *did, const struct did_web_opts *o, struct did_doc *out,
                          char url[DID_URL_MAX], struct err *e)
{
    memset(out, 0, sizeof *out);
    if (url)
        url[0] = '\0';
    err_code rc = did_ebsi_check(did, e);
    if (rc)
        return rc == E_LIMIT ? E_INVALID : rc;
    const char *base = o->ebsi_api ? o->ebsi_api : DID_EBSI_DEFAULT_API;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    if (strncmp(base, "https://", 8) != 0 || bl >= DID_EBSI_API_MAX)
        return err_set(e, E_INVALID, "the EBSI API must be an https:// URL of at most %d bytes",
                       DID_EBSI_API_MAX - 1);
    char u[DID_URL_MAX + DID_EBSI_API_MAX], gone[DID_MAX_LEN + 80];
    struct buf body;
    /* the DID's document, then those of its other controllers */
    size_t nctl = 0;
    char ctl[DID_EBSI_MAX_CONTROLLERS][DID_MAX_LEN];
    for (size_t c = 0; c <= nctl && c <= DID_EBSI_MAX_CONTROLLERS; c++) {
        const char *who = c == 0 ? did : ctl[c - 1];
        if (c > 0 && strcmp(who, did) == 0)
            continue; /* its own keys were read with its document */
        snprintf(u, sizeof u, "%.*s/did-registry/v5/identifiers/%s", (int)bl, base, who);
        snprintf(gone, sizeof gone, "%s is not in EBSI's DID Registry", who);
        if (!(rc = did_https_get(o, u, DID_DOC_MAX_BYTES, "DID document", gone, &body, e))) {
            rc = did_ebsi_doc_parse((const char *)body.p, body.len, who, &g_edoc, e);
            buf_free(&body);
        }
        if (rc == E_INVALID && c > 0)
            continue; /* another controller the registry does not know, or garbled: controls nothing */
        if (rc)
            return rc;
        if (c == 0) {
            if (url)
                snprintf(url, DID_URL_MAX, "%.*s", DID_URL_MAX - 1, u);
            nctl = g_edoc.n_controllers;
            memcpy(ctl, g_edoc.controllers, sizeof ctl);
            if (!listed_self(ctl, nctl, did))
                continue; /* the DID does not control itself: its keys do not count */
        }
        for (size_t k = 0; k < g_edoc.n_keys && out->n_accounts < DID_MAX_METHODS; k++)
            out->accounts[out->n_accounts++] = g_edoc.keys[k];
    }
    /* the Trusted Issuers Registry */
    snprintf(u, sizeof u, "%.*s/trusted-issuers-registry/v5/issuers/%s", (int)bl, base, did);
    snprintf(gone, sizeof gone, "%s is not in EBSI's Trusted Issuers Registry", did);
    if ((rc = did_https_get(o, u, DID_EBSI_TIR_MAX_BYTES, "TIR answer", gone, &body, e)))
        return rc;
    struct did_ebsi_accr a;
    rc = did_ebsi_tir_parse((const char *)body.p, body.len, did, (int64_t)time(NULL), &a, e);
    buf_free(&body);
    if (rc) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    char from[21] = "", until[21] = "";
    if (a.valid_from)
        (void)bundle_time_format(a.valid_from, from, NULL);
    if (a.valid_until)
        (void)bundle_time_format(a.valid_until, until, NULL);
    snprintf(out->name, sizeof out->name, "%s", a.legal_name);
    snprintf(out->detail, sizeof out->detail,
             "Trusted Issuers Registry: %s, %.40s%s%.80s by %.80s, valid %s to %s (the "
             "accreditation's signature is not verified by this verifier)",
             a.issuer_type, a.vc_type[0] ? a.vc_type : "VerifiableAccreditation",
             a.accredited_for[0] ? " for " : "", a.accredited_for,
             a.by[0] ? a.by : (a.tao[0] ? a.tao : "(not stated)"), from[0] ? from : "(not stated)",
             until[0] ? until : "(no end)");
    return E_OK;
}
