/* anchor/jwt.c — see jwt.h. */
#define _GNU_SOURCE
#include "anchor/jwt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "core/b64url.h"
#include "core/fileio.h"
#include "core/json.h"

struct jwt_key {
    EVP_PKEY *pk;
    bool priv;
};

/* ---- keys --------------------------------------------------------------- */

static err_code check_p256(EVP_PKEY *pk, struct err *e)
{
    char group[64] = "";
    size_t glen = 0;
    if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_EC)
        return err_set(e, E_INVALID, "the key is not an EC key; give a P-256 (prime256v1) key");
    if (!EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &glen) ||
        strcmp(group, "prime256v1") != 0)
        return err_set(e, E_INVALID, "the key is on curve %s, not P-256 (prime256v1); ES256 "
                                     "needs P-256 (openssl genpkey -algorithm EC -pkeyopt "
                                     "ec_paramgen_curve:P-256)",
                       group[0] ? group : "?");
    return E_OK;
}

static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

err_code jwt_key_from_pem(const char *pem, size_t len, struct jwt_key **out, struct err *e)
{
    *out = NULL;
    if (len > JWT_MAX_KEY_FILE)
        return err_set(e, E_LIMIT, "PEM key larger than %u bytes", JWT_MAX_KEY_FILE);
    if (memmem(pem, len, "ENCRYPTED", 9))
        return err_set(e, E_INVALID, "the key is an encrypted PEM; give it unencrypted, in a "
                                     "file of mode 0600 (docs/security.md)");
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (!b)
        return err_set(e, E_NOMEM, "out of memory");
    EVP_PKEY *pk = PEM_read_bio_PrivateKey(b, NULL, no_password, NULL);
    BIO_free(b);
    if (!pk)
        return err_set(e, E_INVALID, "not a PEM private key (PKCS#8 \"PRIVATE KEY\" or SEC1 "
                                     "\"EC PRIVATE KEY\")");
    err_code rc = check_p256(pk, e);
    struct jwt_key *k = rc ? NULL : calloc(1, sizeof *k);
    if (!rc && !k)
        rc = err_set(e, E_NOMEM, "out of memory");
    if (rc) {
        EVP_PKEY_free(pk);
        return rc;
    }
    k->pk = pk;
    k->priv = true;
    *out = k;
    return E_OK;
}

err_code jwt_key_read_file(const char *path, struct jwt_key **out, struct err *e)
{
    *out = NULL;
    struct buf b = {0};
    err_code rc = file_read_private(path, JWT_MAX_KEY_FILE, &b, e);
    if (rc)
        return err_wrap(e, rc, "key file");
    rc = jwt_key_from_pem((const char *)b.p, b.len, out, e);
    buf_free_wipe(&b);
    return rc ? err_wrap(e, rc, "key file %s", path) : E_OK;
}

static err_code jwk_coord(const json_t *jwk, const char *name, uint8_t out[32], struct err *e)
{
    const json_t *v = json_object_get(jwk, name);
    if (!json_is_string(v))
        return err_set(e, E_INVALID, "JWK: \"%s\" must be a base64url string", name);
    struct buf b;
    if (b64url_decode(json_string_value(v), json_string_length(v), &b, e))
        return err_wrap(e, E_INVALID, "JWK \"%s\"", name);
    err_code rc = b.len == 32 ? E_OK
                              : err_set(e, E_INVALID, "JWK: \"%s\" must be 32 bytes, got %zu",
                                        name, b.len);
    if (!rc)
        memcpy(out, b.p, 32);
    buf_free(&b);
    return rc;
}

err_code jwt_key_from_jwk(const json_t *jwk, struct jwt_key **out, struct err *e)
{
    *out = NULL;
    if (!json_is_object(jwk))
        return err_set(e, E_INVALID, "JWK: not a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)jwk, key, v) {
        if (strcmp(key, "d") == 0)
            return err_set(e, E_INVALID, "JWK: holds a private key (\"d\"); give the public key");
        if (strcmp(key, "kty") && strcmp(key, "crv") && strcmp(key, "x") && strcmp(key, "y") &&
            strcmp(key, "kid") && strcmp(key, "alg") && strcmp(key, "use"))
            return err_set(e, E_INVALID, "JWK: unknown member \"%.40s\"", key);
        if (!json_is_string(v))
            return err_set(e, E_INVALID, "JWK: \"%s\" must be a string", key);
    }
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *alg = json_string_value(json_object_get(jwk, "alg"));
    if (!kty || strcmp(kty, "EC") != 0)
        return err_set(e, E_INVALID, "JWK: \"kty\" must be \"EC\"");
    if (!crv || strcmp(crv, "P-256") != 0)
        return err_set(e, E_INVALID, "JWK: \"crv\" must be \"P-256\"");
    if (alg && strcmp(alg, "ES256") != 0)
        return err_set(e, E_INVALID, "JWK: \"alg\" must be \"ES256\" when present");
    uint8_t pub[65];
    pub[0] = 0x04;
    err_code rc;
    if ((rc = jwk_coord(jwk, "x", pub + 1, e)) || (rc = jwk_coord(jwk, "y", pub + 33, e)))
        return rc;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL, *chk = NULL;
    EVP_PKEY *pk = NULL;
    rc = E_NOMEM;
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub) &&
        (params = OSSL_PARAM_BLD_to_param(bld)) &&
        (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) && EVP_PKEY_fromdata_init(ctx) > 0) {
        if (EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) <= 0 || !pk ||
            !(chk = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) || EVP_PKEY_public_check(chk) <= 0)
            rc = E_INVALID;
        else
            rc = E_OK;
    }
    EVP_PKEY_CTX_free(chk);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    struct jwt_key *k = rc ? NULL : calloc(1, sizeof *k);
    if (!rc && !k)
        rc = E_NOMEM;
    if (rc) {
        EVP_PKEY_free(pk);
        return rc == E_INVALID ? err_set(e, rc, "JWK: the point (x, y) is not on P-256")
                               : err_set(e, rc, "out of memory");
    }
    k->pk = pk;
    *out = k;
    return E_OK;
}

void jwt_key_free(struct jwt_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pk);
    free(k);
}

bool jwt_key_has_private(const struct jwt_key *k)
{
    return k && k->priv;
}

/* x and y of the public point, 32 bytes each. */
static bool key_xy(const struct jwt_key *k, uint8_t x[32], uint8_t y[32])
{
    BIGNUM *bx = NULL, *by = NULL;
    bool ok = EVP_PKEY_get_bn_param(k->pk, OSSL_PKEY_PARAM_EC_PUB_X, &bx) &&
              EVP_PKEY_get_bn_param(k->pk, OSSL_PKEY_PARAM_EC_PUB_Y, &by) &&
              BN_bn2binpad(bx, x, 32) == 32 && BN_bn2binpad(by, y, 32) == 32;
    BN_free(bx);
    BN_free(by);
    return ok;
}

static json_t *b64_string(const uint8_t *p, size_t n)
{
    struct buf b = {0};
    json_t *s = NULL;
    if (b64url_encode(p, n, &b, NULL) == E_OK)
        s = json_stringn((const char *)b.p, b.len);
    buf_free(&b);
    return s;
}

json_t *jwt_key_public_jwk(const struct jwt_key *k)
{
    uint8_t x[32], y[32];
    if (!key_xy(k, x, y))
        return NULL;
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "crv", json_string("P-256")) ||
        json_object_set_new(o, "kty", json_string("EC")) ||
        json_object_set_new(o, "x", b64_string(x, 32)) ||
        json_object_set_new(o, "y", b64_string(y, 32))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

err_code jwt_key_thumbprint(const struct jwt_key *k, char out[44], struct err *e)
{
    json_t *jwk = jwt_key_public_jwk(k);
    /* RFC 7638 §3: the required members in lexicographic order, no spaces. */
    char *text = jwk ? json_dumps(jwk, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(jwk);
    if (!text)
        return err_set(e, E_NOMEM, "out of memory");
    uint8_t d[32];
    unsigned dl = 0;
    int ok = EVP_Digest(text, strlen(text), d, &dl, EVP_sha256(), NULL);
    free(text);
    struct buf b = {0};
    if (!ok || b64url_encode(d, 32, &b, e) || b.len != 43) {
        buf_free(&b);
        return err_set(e, E_NOMEM, "cannot compute the JWK thumbprint");
    }
    memcpy(out, b.p, 43);
    out[43] = '\0';
    buf_free(&b);
    return E_OK;
}

/* ---- signing ------------------------------------------------------------ */

static err_code append_json_b64(const json_t *v, struct buf *out, struct err *e)
{
    char *t = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!t)
        return err_set(e, E_NOMEM, "out of memory (JSON)");
    err_code rc = b64url_encode((const uint8_t *)t, strlen(t), out, e);
    OPENSSL_cleanse(t, strlen(t));
    free(t);
    return rc;
}

err_code jwt_sign_es256(const struct jwt_key *k, const json_t *header, const json_t *payload,
                        char **out, struct err *e)
{
    *out = NULL;
    const char *alg = json_string_value(json_object_get(header, "alg"));
    if (!json_is_object(header) || !json_is_object(payload) || !alg || strcmp(alg, "ES256"))
        return err_set(e, E_INVALID, "JWT: the header must say \"alg\":\"ES256\"");
    if (!jwt_key_has_private(k))
        return err_set(e, E_STATE, "JWT: no private key to sign with");
    struct buf b = {0};
    err_code rc;
    if ((rc = append_json_b64(header, &b, e)) || (rc = buf_append_byte(&b, '.')) ||
        (rc = append_json_b64(payload, &b, e))) {
        buf_free(&b);
        return rc == E_NOMEM ? err_set(e, rc, "out of memory") : rc;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[80];
    size_t dlen = sizeof der;
    ECDSA_SIG *sig = NULL;
    uint8_t rs[64];
    bool ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pk) == 1 &&
              EVP_DigestSign(md, der, &dlen, b.p, b.len) == 1;
    const unsigned char *dp = der;
    if (ok && (sig = d2i_ECDSA_SIG(NULL, &dp, (long)dlen))) {
        const BIGNUM *r, *s;
        ECDSA_SIG_get0(sig, &r, &s);
        ok = BN_bn2binpad(r, rs, 32) == 32 && BN_bn2binpad(s, rs + 32, 32) == 32;
    } else {
        ok = false;
    }
    ECDSA_SIG_free(sig);
    EVP_MD_CTX_free(md);
    if (!ok || buf_append_byte(&b, '.') || b64url_encode(rs, 64, &b, e) ||
        buf_append_byte(&b, 0)) {
        buf_free(&b);
        return err_set(e, E_NOMEM, "JWT: ES256 signing failed");
    }
    *out = (char *)b.p;
    return E_OK;
}

/* ---- parsing ------------------------------------------------------------ */

void jwt_parsed_free(struct jwt_parsed *p)
{
    if (!p)
        return;
    json_decref(p->header);
    json_decref(p->payload);
    free(p->sig);
    if (p->text)
        OPENSSL_cleanse(p->text, strlen(p->text));
    free(p->text);
    memset(p, 0, sizeof *p);
}

static err_code part_json(const char *s, size_t n, const char *what, json_t **out, struct err *e)
{
    struct buf b;
    err_code rc = b64url_decode(s, n, &b, e);
    if (rc)
        return err_wrap(e, rc, "JWT %s", what);
    rc = jstrict_parse((const char *)b.p, b.len, JWT_MAX_BYTES, 0, out, e);
    buf_free_wipe(&b);
    if (rc)
        return err_wrap(e, rc, "JWT %s", what);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return err_set(e, E_INVALID, "JWT %s: not a JSON object", what);
    }
    return E_OK;
}

err_code jwt_parse(const char *text, size_t len, struct jwt_parsed *out, struct err *e)
{
    memset(out, 0, sizeof *out);
    if (len > JWT_MAX_BYTES)
        return err_set(e, E_LIMIT, "JWT: longer than %u bytes", JWT_MAX_BYTES);
    const char *d1 = memchr(text, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - text)) : NULL;
    if (!d1 || !d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - text)))
        return err_set(e, E_INVALID, "JWT: not a compact JWS (three base64url parts "
                                     "separated by dots)");
    err_code rc;
    struct buf sig = {0};
    if ((rc = part_json(text, (size_t)(d1 - text), "header", &out->header, e)) ||
        (rc = part_json(d1 + 1, (size_t)(d2 - d1 - 1), "payload", &out->payload, e)) ||
        (rc = b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - text), &sig, e)))
        goto fail;
    out->sig = sig.p;
    out->sig_len = sig.len;
    out->alg = json_string_value(json_object_get(out->header, "alg"));
    if (!out->alg) {
        rc = err_set(e, E_INVALID, "JWT header: \"alg\" must be a string");
        goto fail;
    }
    if (strcmp(out->alg, "none") == 0 || sig.len == 0) {
        rc = err_set(e, E_INVALID, "JWT: unsigned (alg \"none\" or an empty signature)");
        goto fail;
    }
    if (json_object_get(out->header, "crit")) {
        rc = err_set(e, E_INVALID, "JWT header: \"crit\" names extensions this reader does "
                                   "not understand");
        goto fail;
    }
    out->signed_len = (size_t)(d2 - text);
    if (!(out->text = malloc(len + 1))) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(out->text, text, len);
    out->text[len] = '\0';
    return E_OK;
fail:
    if (!out->sig)
        buf_free(&sig);
    jwt_parsed_free(out);
    return rc;
}

err_code jwt_verify_es256(const struct jwt_parsed *p, const struct jwt_key *k, struct err *e)
{
    if (!p->alg || strcmp(p->alg, "ES256") != 0)
        return err_set(e, E_INVALID, "JWT: alg is \"%.20s\", expected \"ES256\"",
                       p->alg ? p->alg : "?");
    if (p->sig_len != 64)
        return err_set(e, E_INVALID, "JWT: an ES256 signature is 64 bytes (R || S), got %zu",
                       p->sig_len);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(p->sig, 32, NULL), *s = BN_bin2bn(p->sig + 32, 32, NULL);
    unsigned char *der = NULL;
    int dlen = -1;
    if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* owned by sig */
        dlen = i2d_ECDSA_SIG(sig, &der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    if (dlen <= 0)
        return err_set(e, E_NOMEM, "out of memory");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k->pk) == 1
                 ? EVP_DigestVerify(md, der, (size_t)dlen, (const unsigned char *)p->text,
                                    p->signed_len)
                 : -1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    if (ok != 1)
        return err_set(e, E_VERIFY, "the JWT signature does not verify");
    return E_OK;
}
