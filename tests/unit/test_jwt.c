/* tests/unit/test_jwt.c — anchor/jwt (ES256 JWS) and anchor/ebsi_auth (the
 * VP JWT, the token request form, the token answer), cross-checked with jose
 * (tests/vectors/jwt/jose.json, made by tests/vectors/jwt/generate.mjs).
 * With $JWT_CROSS_OUT set, jwt_cross writes a JWT signed by our C code with
 * the vector key there, for tests/cli/ebsi_token.sh to verify with jose. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "anchor/ebsi_auth.h"
#include "anchor/jwt.h"
#include "core/b64url.h"
#include "core/fileio.h"
#include "core/json.h"
#include "tests/harness.h"

static json_t *vec(void)
{
    static json_t *v;
    if (!v) {
        struct buf b = {0};
        struct err e = {0};
        if (file_read_all(t_vector_path("jwt/jose.json"), 1 << 20, &b, &e) == E_OK &&
            jstrict_parse((const char *)b.p, b.len, 1 << 20, 0, &v, &e) != E_OK)
            v = NULL;
        buf_free(&b);
    }
    return v;
}
static const char *vs(const char *k) { return json_string_value(json_object_get(vec(), k)); }

/* The race a mode check on the path loses: this open() (the executable's,
 * so libcore's calls come here) first renames g_swap_from over g_swap_to
 * when it is asked for g_swap_to, as another process could between a
 * stat() and the open(). */
static const char *g_swap_from, *g_swap_to;
int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (g_swap_to && strcmp(path, g_swap_to) == 0) {
        if (rename(g_swap_from, g_swap_to) != 0)
            abort();
        g_swap_to = NULL;
    }
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static struct jwt_key *pem_key(const char *member)
{
    struct err e = {0};
    struct jwt_key *k = NULL;
    const char *p = vs(member);
    if (!p || jwt_key_from_pem(p, strlen(p), &k, &e) != E_OK)
        return NULL;
    return k;
}

TEST(b64url_rfc4648_vectors)
{
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const want[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    struct err e = {0};
    for (size_t i = 0; i < 7; i++) {
        struct buf b = {0}, d;
        CHECK_OK(b64url_encode((const uint8_t *)in[i], strlen(in[i]), &b, &e), &e);
        CHECKF(b.len == strlen(want[i]) && (!b.len || !memcmp(b.p, want[i], b.len)), "enc %s", in[i]);
        CHECK_OK(b64url_decode(want[i], strlen(want[i]), &d, &e), &e);
        CHECKF(d.len == strlen(in[i]) && (!d.len || !memcmp(d.p, in[i], d.len)), "dec %s", want[i]);
        buf_free(&b);
        buf_free(&d);
    }
    uint8_t all[3] = {0xfb, 0xff, 0xbf};
    struct buf b = {0};
    CHECK_OK(b64url_encode(all, 3, &b, &e), &e);
    CHECK(b.len == 4 && !memcmp(b.p, "-_-_", 4));
    buf_free(&b);
}

TEST(b64url_strict)
{
    static const char *const bad[] = {"Zg==", "Zm9v+", "Zm/v", "Z", "Zh", "Zm9", "Zm 9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct buf d;
        struct err e = {0};
        /* "Zm9" is "fo" with a non-zero unused bit ("Zm8" is canonical) */
        err_code rc = b64url_decode(bad[i], strlen(bad[i]), &d, &e);
        CHECKF(rc == E_INVALID, "accepted %s", bad[i]);
        if (rc == E_OK)
            buf_free(&d);
    }
}

TEST(jose_jwt_verifies_with_its_jwk_and_pem)
{
    CHECK(vec());
    struct err e = {0};
    struct jwt_key *pub = NULL, *priv = pem_key("privateKeyPem");
    CHECK(priv);
    CHECK_OK(jwt_key_from_jwk(json_object_get(vec(), "jwk"), &pub, &e), &e);
    struct jwt_parsed p;
    const char *good = vs("good");
    CHECK_OK(jwt_parse(good, strlen(good), &p, &e), &e);
    CHECK(!strcmp(p.alg, "ES256"));
    CHECK(!strcmp(json_string_value(json_object_get(p.header, "kid")), vs("kid")));
    CHECK(json_integer_value(json_object_get(p.payload, "exp")) == 1700000120);
    CHECK_OK(jwt_verify_es256(&p, pub, &e), &e);
    CHECK_OK(jwt_verify_es256(&p, priv, &e), &e);
    jwt_parsed_free(&p);
    /* signed by another key: refused */
    const char *wk = vs("wrongKey");
    CHECK_OK(jwt_parse(wk, strlen(wk), &p, &e), &e);
    CHECK(jwt_verify_es256(&p, pub, &e) == E_VERIFY);
    jwt_parsed_free(&p);
    /* one payload character changed: refused */
    char *t = strdup(good);
    char *dot = strchr(t, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    if (jwt_parse(t, strlen(t), &p, &e) == E_OK) {
        CHECK(jwt_verify_es256(&p, pub, &e) == E_VERIFY);
        jwt_parsed_free(&p);
    }
    free(t);
    jwt_key_free(pub);
    jwt_key_free(priv);
}

TEST(thumbprint_and_kid_match_jose)
{
    CHECK(vec());
    struct err e = {0};
    struct jwt_key *k = pem_key("privateKeyPem"), *s = pem_key("sec1Pem");
    CHECK(k && s);
    char tp[44];
    CHECK_OK(jwt_key_thumbprint(k, tp, &e), &e);
    CHECKF(!strcmp(tp, vs("thumbprint")), "%s vs %s", tp, vs("thumbprint"));
    CHECK_OK(jwt_key_thumbprint(s, tp, &e), &e); /* SEC1 PEM: the same key */
    CHECK(!strcmp(tp, vs("thumbprint")));
    char *kid = NULL;
    CHECK_OK(ebsi_auth_kid(vs("did"), k, &kid, &e), &e);
    CHECK(!strcmp(kid, vs("kid")));
    free(kid);
    json_t *jwk = jwt_key_public_jwk(k);
    CHECK(json_equal(jwk, json_object_get(vec(), "jwk")));
    json_decref(jwk);
    jwt_key_free(k);
    jwt_key_free(s);
}

TEST(keys_refused)
{
    CHECK(vec());
    struct err e = {0};
    struct jwt_key *k = NULL;
    const char *k1 = vs("secp256k1Pem");
    CHECK(jwt_key_from_pem(k1, strlen(k1), &k, &e) == E_INVALID && strstr(e.msg, "P-256"));
    CHECK(jwt_key_from_pem("hello", 5, &k, &e) == E_INVALID);
    const char *enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    CHECK(jwt_key_from_pem(enc, strlen(enc), &k, &e) == E_INVALID && strstr(e.msg, "encrypted"));
    /* a key file others can read */
    char path[512];
    snprintf(path, sizeof path, "%s/open.pem", t_tmpdir());
    const char *pem = vs("privateKeyPem");
    CHECK_OK(file_write_atomic(path, pem, strlen(pem), 0644, &e), &e);
    CHECK(jwt_key_read_file(path, &k, &e) == E_STATE && strstr(e.msg, "chmod 600"));
    CHECK(chmod(path, 0600) == 0);
    CHECK_OK(jwt_key_read_file(path, &k, &e), &e);
    CHECK(jwt_key_has_private(k));
    jwt_key_free(k);
    CHECK(jwt_key_read_file("/nonexistent/k.pem", &k, &e) == E_NOT_FOUND);
    /* the mode is judged on what is read: a 0600 file swapped for a 0644 one
     * between a check of the path and the open is refused */
    char swap[560];
    snprintf(swap, sizeof swap, "%s.swap", path);
    CHECK_OK(file_write_atomic(swap, pem, strlen(pem), 0644, &e), &e);
    g_swap_from = swap;
    g_swap_to = path;
    k = NULL;
    err_code swapped = jwt_key_read_file(path, &k, &e);
    jwt_key_free(k);
    CHECK(g_swap_to == NULL && swapped == E_STATE && strstr(e.msg, "chmod 600"));
    g_swap_to = NULL;
    /* JWKs */
    static const char *const bad_jwk[] = {
        /* (x, x): not on the curve */
        ("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AIIyZk4OaDpweegthEVqeFJCL4drsY-Mzo7vhC0Uk8c\","
         "\"y\":\"AIIyZk4OaDpweegthEVqeFJCL4drsY-Mzo7vhC0Uk8c\"}"),
        "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"}",
        "{\"kty\":\"RSA\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\",\"d\":\"AA\"}",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\",\"zz\":\"AA\"}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad_jwk / sizeof bad_jwk[0]; i++) {
        json_t *j = json_loads(bad_jwk[i], 0, NULL);
        CHECKF(jwt_key_from_jwk(j, &k, &e) == E_INVALID, "jwk %zu accepted", i);
        json_decref(j);
    }
}

TEST(sign_roundtrip_and_parse_refusals)
{
    struct err e = {0};
    struct jwt_key *k = pem_key("privateKeyPem");
    CHECK(k);
    json_t *h = json_pack("{s:s,s:s}", "alg", "ES256", "typ", "JWT");
    json_t *pl = json_pack("{s:s,s:i}", "iss", "did:ebsi:x", "n", 1);
    char *jwt = NULL;
    CHECK_OK(jwt_sign_es256(k, h, pl, &jwt, &e), &e);
    struct jwt_parsed p;
    CHECK_OK(jwt_parse(jwt, strlen(jwt), &p, &e), &e);
    CHECK(p.sig_len == 64 && json_equal(p.payload, pl));
    CHECK_OK(jwt_verify_es256(&p, k, &e), &e);
    jwt_parsed_free(&p);
    free(jwt);
    json_t *h2 = json_pack("{s:s}", "alg", "ES256K");
    CHECK(jwt_sign_es256(k, h2, pl, &jwt, &e) == E_INVALID);
    json_decref(h2);
    json_decref(h);
    json_decref(pl);
    /* header {"alg":"none"} / {"alg":"ES256","crit":["x"]} / "[]" / payload not an object */
    static const char *const bad[] = {
        "eyJhbGciOiJub25lIn0.e30.AA",           "eyJhbGciOiJub25lIn0.e30.",
        "eyJhbGciOiJFUzI1NiIsImNyaXQiOlsieCJdfQ.e30.AAAA",
        "W10.e30.AAAA",                         "eyJhbGciOiJFUzI1NiJ9.W10.AAAA",
        "eyJhbGciOiJFUzI1NiJ9.e30",             "eyJhbGciOiJFUzI1NiJ9.e30.AAAA.AAAA",
        "eyJhbGciOjF9.e30.AAAA",                "eyJhbGciOiJFUzI1NiJ9.e30=.AAAA",
        "eyJhIjoxLCJhIjoyLCJhbGciOiJFUzI1NiJ9.e30.AAAA",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(jwt_parse(bad[i], strlen(bad[i]), &p, &e) == E_INVALID, "accepted %s", bad[i]);
    /* a 4-byte signature parses but is not ES256 */
    const char *shortsig = "eyJhbGciOiJFUzI1NiJ9.e30.AAAA";
    CHECK_OK(jwt_parse(shortsig, strlen(shortsig), &p, &e), &e);
    CHECK(jwt_verify_es256(&p, k, &e) == E_INVALID);
    jwt_parsed_free(&p);
    char *huge = malloc(JWT_MAX_BYTES + 2);
    memset(huge, 'A', JWT_MAX_BYTES + 1);
    huge[JWT_MAX_BYTES + 1] = 0;
    CHECK(jwt_parse(huge, JWT_MAX_BYTES + 1, &p, &e) == E_LIMIT);
    free(huge);
    jwt_key_free(k);
}

TEST(vp_jwt_claims)
{
    struct err e = {0};
    struct jwt_key *k = pem_key("privateKeyPem");
    CHECK(k);
    char *vp = NULL, *vp2 = NULL;
    const char *aud = "https://api-pilot.ebsi.eu/authorisation/v4";
    CHECK_OK(ebsi_auth_vp_jwt(k, vs("did"), vs("kid"), aud, 1800000000, &vp, &e), &e);
    CHECK_OK(ebsi_auth_vp_jwt(k, vs("did"), vs("kid"), aud, 1800000000, &vp2, &e), &e);
    struct jwt_parsed p;
    CHECK_OK(jwt_parse(vp, strlen(vp), &p, &e), &e);
    CHECK_OK(jwt_verify_es256(&p, k, &e), &e);
    const json_t *pl = p.payload, *v = json_object_get(pl, "vp");
#define S(o, k) json_string_value(json_object_get(o, k))
    CHECK(!strcmp(S(p.header, "kid"), vs("kid")) && !strcmp(S(p.header, "typ"), "JWT"));
    CHECK(!strcmp(S(pl, "iss"), vs("did")) && !strcmp(S(pl, "sub"), vs("did")));
    CHECK(!strcmp(S(pl, "aud"), aud));
    CHECK(json_integer_value(json_object_get(pl, "iat")) == 1800000000);
    CHECK(json_integer_value(json_object_get(pl, "nbf")) == 1800000000 - 60);
    CHECK(json_integer_value(json_object_get(pl, "exp")) == 1800000000 + EBSI_AUTH_VP_LIFETIME);
    CHECK(S(pl, "nonce") && strlen(S(pl, "nonce")) == 36);
    CHECK(!strncmp(S(pl, "jti"), "urn:uuid:", 9) && !strcmp(S(pl, "jti"), S(v, "id")));
    CHECK(!strcmp(S(v, "holder"), vs("did")));
    CHECK(json_array_size(json_object_get(v, "verifiableCredential")) == 0);
    struct jwt_parsed p2;
    CHECK_OK(jwt_parse(vp2, strlen(vp2), &p2, &e), &e);
    CHECK(strcmp(S(p2.payload, "nonce"), S(pl, "nonce")) != 0); /* fresh nonce each time */
    CHECK(strcmp(S(p2.payload, "jti"), S(pl, "jti")) != 0);
    jwt_parsed_free(&p2);
    char *form = NULL;
    CHECK_OK(ebsi_auth_form(vp, &form, &e), &e);
    CHECK(!strncmp(form, "grant_type=vp_token&scope=openid%20timestamp_write&vp_token=", 60));
    CHECK(strstr(form, "&presentation_submission=%7B%22id%22%3A%22"));
    CHECK(strstr(form, "%22definition_id%22%3A%22timestamp_write_presentation%22%2C%22"
                       "descriptor_map%22%3A%5B%5D%7D"));
    ebsi_auth_secret_free(form);
#undef S
    jwt_parsed_free(&p);
    free(vp);
    free(vp2);
    jwt_key_free(k);
}

static err_code answer(const char *body, struct ebsi_auth_token *t, struct err *e)
{
    return ebsi_auth_parse_answer(body, strlen(body), 1000, t, e);
}

TEST(token_answer)
{
    struct err e = {0};
    struct ebsi_auth_token t;
    CHECK_OK(answer("{\"access_token\":\"eyJ.a.b\",\"token_type\":\"Bearer\",\"expires_in\":7200,"
                    "\"scope\":\"openid timestamp_write\",\"id_token\":\"x\",\"other\":[1]}",
                    &t, &e),
             &e);
    CHECK(!strcmp(t.access_token, "eyJ.a.b") && t.expires_in == 7200 && t.expires_at == 8200);
    ebsi_auth_token_free(&t);
    CHECK_OK(answer("{\"access_token\":\"t\",\"token_type\":\"bearer\",\"expires_in\":1,"
                    "\"scope\":\"timestamp_write openid\"}",
                    &t, &e),
             &e);
    ebsi_auth_token_free(&t);
    static const char *const bad[] = {
        "[]",
        "{\"token_type\":\"Bearer\",\"expires_in\":7200,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"a b\",\"token_type\":\"Bearer\",\"expires_in\":7200,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"\",\"token_type\":\"Bearer\",\"expires_in\":7200,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"MAC\",\"expires_in\":7200,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":0,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":-5,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":7200.0,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":86401,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":\"7200\",\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":7200}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":7200,\"scope\":\"openid tir_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":7200,\"scope\":\"openid timestamp_write timestamp_write\"}",
        "{\"access_token\":\"t\",\"token_type\":\"Bearer\",\"expires_in\":7200,\"scope\":\"openid timestamp_write\",\"id_token\":5}",
        "{\"access_token\":\"t\",\"access_token\":\"u\",\"token_type\":\"Bearer\",\"expires_in\":7200,\"scope\":\"openid timestamp_write\"}",
        "{\"access_token\":\"t\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err_code rc = answer(bad[i], &t, &e);
        CHECKF(rc == E_PROTOCOL, "accepted (%s) %s", err_name(rc), bad[i]);
        CHECKF(!strstr(e.msg, "\"t\""), "token quoted: %s", e.msg);
    }
}

TEST(did_syntax)
{
    struct err e = {0};
    CHECK_OK(ebsi_auth_check_did("did:ebsi:zfEmvX5twhXjQJiCWsukvQA", &e), &e);
    static const char *const bad[] = {"ebsi:z", "did:ebsi:", "did::x", "did:EBSI:x",
                                      "did:ebsi:a b", "did:ebsi:x#k", "did:ebsi:x/y"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECKF(ebsi_auth_check_did(bad[i], &e) == E_INVALID, "accepted %s", bad[i]);
}

TEST(jwt_cross)
{
    const char *out = getenv("JWT_CROSS_OUT");
    if (!out)
        return; /* only when tests/cli/ebsi_token.sh asks */
    struct err e = {0};
    struct jwt_key *k = pem_key("privateKeyPem");
    CHECK(k);
    char *vp = NULL;
    CHECK_OK(ebsi_auth_vp_jwt(k, vs("did"), vs("kid"), "https://api.example/authorisation/v4",
                              1800000000, &vp, &e),
             &e);
    CHECK_OK(file_write_atomic(out, vp, strlen(vp), 0600, &e), &e);
    free(vp);
    jwt_key_free(k);
}
