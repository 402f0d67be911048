/*
 * tests/fuzz/fuzz_jwt.c — libFuzzer target: what the Authorisation API and
 * a DID document send us (anchor/jwt.c, anchor/ebsi_auth.c).
 *
 * The input goes through each parser:
 *   - b64url_decode(): accepted text re-encodes to exactly itself (one
 *     spelling per byte string); refused text says why;
 *   - jwt_parse(): an accepted JWS has object header and payload, a string
 *     alg other than "none", a non-empty signature whose base64url is exactly
 *     the third part, and its signing input ends at the second dot;
 *     jwt_verify_es256() with a fixed key then never crashes and never
 *     accepts (the key is one nobody signed with: not the seed's);
 *   - ebsi_auth_parse_answer(): an accepted answer has a token of 1..8192
 *     printable characters without space and expires_in in
 *     1..EBSI_AUTH_MAX_EXPIRES_IN with expires_at = now + expires_in; a
 *     refused one holds no token and says why;
 *   - jwt_key_from_jwk() on the input as JSON: an accepted key's public JWK
 *     gives back the same x and y.
 * Violations abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/ebsi_auth.h"
#include "anchor/jwt.h"
#include "core/b64url.h"
#include "core/json.h"

static struct jwt_key *fixed_key(void)
{
    static struct jwt_key *k;
    if (!k) {
        json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", "P-256", "x",
                              "YH5DobCG2bLAa6mh8FchslrvBx1MkadTU6cegdRP5Sg", "y",
                              "2OiSkg46n2EVZGo3SLu6C_Dg3mOQ1Jjf_GbUnKBl5So");
        struct err e = {0};
        REQUIRE(j && jwt_key_from_jwk(j, &k, &e) == E_OK);
        json_decref(j);
    }
    return k;
}

static void check_b64(const char *s, size_t n)
{
    struct buf d, again = {0};
    struct err e = {0};
    if (b64url_decode(s, n, &d, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0' && d.p == NULL);
        return;
    }
    REQUIRE(b64url_encode(d.p, d.len, &again, &e) == E_OK);
    REQUIRE(again.len == n && (n == 0 || memcmp(again.p, s, n) == 0));
    buf_free(&d);
    buf_free(&again);
}

static void check_jwt(const char *s, size_t n)
{
    struct jwt_parsed p;
    struct err e = {0};
    if (jwt_parse(s, n, &p, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0' && p.header == NULL && p.text == NULL);
        return;
    }
    REQUIRE(json_is_object(p.header) && json_is_object(p.payload));
    REQUIRE(p.alg && strcmp(p.alg, "none") != 0 && p.sig_len > 0);
    REQUIRE(p.signed_len < n && s[p.signed_len] == '.');
    struct buf enc = {0};
    REQUIRE(b64url_encode(p.sig, p.sig_len, &enc, &e) == E_OK);
    REQUIRE(enc.len == n - p.signed_len - 1 && memcmp(enc.p, s + p.signed_len + 1, enc.len) == 0);
    buf_free(&enc);
    REQUIRE(jwt_verify_es256(&p, fixed_key(), &e) != E_OK);
    jwt_parsed_free(&p);
}

static void check_answer(const char *s, size_t n)
{
    struct ebsi_auth_token t;
    struct err e = {0};
    if (ebsi_auth_parse_answer(s, n, 1000, &t, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0' && t.access_token == NULL);
        return;
    }
    size_t len = strlen(t.access_token);
    REQUIRE(len >= 1 && len <= 8192);
    for (size_t i = 0; i < len; i++)
        REQUIRE(t.access_token[i] > 0x20 && t.access_token[i] < 0x7f);
    REQUIRE(t.expires_in >= 1 && t.expires_in <= EBSI_AUTH_MAX_EXPIRES_IN);
    REQUIRE(t.expires_at == 1000 + t.expires_in);
    ebsi_auth_token_free(&t);
}

static void check_jwk(const char *s, size_t n)
{
    json_t *j = NULL;
    struct jwt_key *k = NULL;
    struct err e = {0};
    if (jstrict_parse(s, n, 1 << 16, 0, &j, NULL) != E_OK)
        return;
    if (jwt_key_from_jwk(j, &k, &e) == E_OK) {
        json_t *pub = jwt_key_public_jwk(k);
        REQUIRE(pub && !jwt_key_has_private(k));
        REQUIRE(json_equal(json_object_get(pub, "x"), json_object_get(j, "x")));
        REQUIRE(json_equal(json_object_get(pub, "y"), json_object_get(j, "y")));
        json_decref(pub);
        jwt_key_free(k);
    } else {
        REQUIRE(e.msg[0] != '\0' && k == NULL);
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    check_b64(s, size);
    check_jwt(s, size);
    check_answer(s, size);
    check_jwk(s, size);
    return 0;
}
