/*
 * tests/fuzz/fuzz_keystore.c — libFuzzer target: keystore v3 parsing and
 * decryption (anchor/keystore.c). A key file may be copied from anywhere, so
 * it is untrusted input like any other.
 *
 * scrypt and PBKDF2 are deliberately slow, and keystore_decrypt() allows
 * parameters up to seconds of work; the fuzzer would spend all its time in
 * the KDF. So this harness first reads the KDF parameters itself (with the
 * same strict parser and the same "crypto" / "Crypto" choice) and skips any
 * input asking for more than FUZZ_MAX_N / FUZZ_MAX_C / FUZZ_MAX_RP — every
 * parsing path stays reachable, only expensive derivations are left out
 * (the bounds on those are unit-tested in tests/unit/test_keystore.c).
 *
 * Properties (violations abort): on failure the key buffer is all zeros and
 * the message is non-empty and never contains the password (unless the file
 * itself does: a parse error quotes the file); on success the
 * key is a valid signer key whose address is what keystore_decrypt reported.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "fuzz_common.h"

#include "anchor/keystore.h"
#include "anchor/signer.h"
#include "core/json.h"

/* The password the seed keystores are encrypted with. */
#define PASSWORD "fuzz-pa55word"
#define FUZZ_MAX_N  16u /* scrypt N */
#define FUZZ_MAX_RP 8u  /* scrypt r and p */
#define FUZZ_MAX_C  64u /* pbkdf2 iterations */

static bool over(const json_t *kp, const char *key, json_int_t max)
{
    const json_t *v = json_object_get(kp, key);
    return json_is_integer(v) && json_integer_value(v) > max;
}

/* Would decrypting this input cost more than a cheap derivation? */
static bool too_expensive(const uint8_t *data, size_t size)
{
    json_t *root = NULL;
    struct err e = {0};
    if (jstrict_parse((const char *)data, size, KEYSTORE_MAX_BYTES, 0, &root, &e) != E_OK)
        return false; /* keystore_decrypt rejects it before any KDF work */
    bool expensive = false;
    if (json_is_object(root)) {
        json_t *lower = json_object_get(root, "crypto"), *upper = json_object_get(root, "Crypto");
        json_t *kp = json_object_get(lower ? lower : upper, "kdfparams");
        expensive = over(kp, "n", FUZZ_MAX_N) || over(kp, "r", FUZZ_MAX_RP) ||
                    over(kp, "p", FUZZ_MAX_RP) || over(kp, "c", FUZZ_MAX_C);
    }
    json_decref(root);
    return expensive;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (too_expensive(data, size))
        return 0;
    static const uint8_t zero[32];
    uint8_t key[32];
    struct addr20 addr;
    struct err e = {0};
    err_code rc = keystore_decrypt((const char *)data, size, "fuzz.json", PASSWORD, key, &addr, &e);
    if (rc != E_OK) {
        REQUIRE(memcmp(key, zero, 32) == 0);
        REQUIRE(e.msg[0] != '\0');
        /* (A parse error may quote the file, which may hold anything.) */
        if (!memmem(data, size, PASSWORD, strlen(PASSWORD)))
            REQUIRE(!strstr(e.msg, PASSWORD));
        return 0;
    }
    struct signer *s;
    REQUIRE(signer_from_privkey(key, &s, &e) == E_OK);
    struct addr20 a2;
    signer_address(s, &a2);
    REQUIRE(addr20_eq(&addr, &a2));
    signer_free(s);
    OPENSSL_cleanse(key, sizeof key);
    return 0;
}
