/*
 * tests/unit/test_keystore.c — Ethereum keystore v3: every shared vector
 * (written by ethers v6) opens to its privateKey and address; the Web3
 * Secret Storage definition's own PBKDF2 and scrypt vectors open; every way
 * a file can be wrong, hostile or too open is refused with the right code;
 * what we write opens again.
 *
 * Two hooks for tests/cli/keystore_ethers.sh (each also runs without them):
 *   KEYSTORE_EMIT=path   ethers_emit writes a fresh keystore there (light
 *                        scrypt, password $KEYSTORE_PASSWORD) and its address
 *                        to path.addr, for ethers to open;
 *   KEYSTORE_CHECK=path  ethers_check opens that keystore with
 *                        $KEYSTORE_PASSWORD and expects $KEYSTORE_ADDRESS.
 */
#include <jansson.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "anchor/keystore.h"
#include "anchor/signer.h"
#include "core/bytes.h"
#include "core/fileio.h"
#include "tests/harness.h"

/* --- helpers ------------------------------------------------------------------- */

static json_t *load_vectors(void)
{
    json_error_t je;
    json_t *v = json_load_file(t_vector_path("eth/keystore-v3.json"), 0, &je);
    if (!v || !json_is_array(v) || json_array_size(v) == 0) {
        printf("# cannot load eth/keystore-v3.json: %s\n", je.text);
        json_decref(v);
        return NULL;
    }
    return v;
}

static const char *vstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* Serialise `ks` and decrypt it. */
static err_code decrypt_obj(const json_t *ks, const char *pw, uint8_t key[32], struct addr20 *a,
                            struct err *e)
{
    char *text = json_dumps(ks, JSON_COMPACT);
    if (!text)
        return err_set(e, E_NOMEM, "json_dumps");
    err_code rc = keystore_decrypt(text, strlen(text), "t.json", pw, key, a, e);
    free(text);
    return rc;
}

static void write_file(const char *path, const char *data, mode_t mode)
{
    struct err e = {0};
    if (file_write_atomic(path, data, strlen(data), mode, &e) != E_OK)
        printf("# write %s: %s\n", path, e.msg);
    chmod(path, mode); /* not subject to the umask */
}

static char *tmp_path(const char *name)
{
    static char p[8][512];
    static int i;
    char *r = p[i++ % 8];
    snprintf(r, 512, "%s/%s", t_tmpdir(), name);
    return r;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* --- the shared vectors -------------------------------------------------------- */

/* fn(v, i, name) for each shared vector v (the i-th), name "WHAT i";
 * fn reports with t_case. */
static void each_vector(const char *what, void (*fn)(json_t *v, size_t i, const char *name))
{
    json_t *vs = load_vectors();
    CHECK(vs);
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) {
        char name[48];
        snprintf(name, sizeof name, "%s %zu", what, i);
        fn(v, i, name);
    }
    json_decref(vs);
}

static void opens_to_key_and_address(json_t *v, size_t i, const char *name)
{
    struct err e = {0};
    uint8_t key[32], want[32];
    struct addr20 a;
    if (hex_decode_exact(vstr(v, "privateKey"), strlen(vstr(v, "privateKey")), true, want, 32,
                         &e)) {
        t_case(false, name, "bad privateKey in vector: %s", e.msg);
        return;
    }
    err_code rc = decrypt_obj(json_object_get(v, "keystore"), vstr(v, "password"), key, &a, &e);
    char got[43];
    eth_address_checksum(&a, got);
    t_case(rc == E_OK && memcmp(key, want, 32) == 0 && strcmp(got, vstr(v, "address")) == 0,
           name, "rc %s (%s), address %s want %s, key %s", err_name(rc), e.msg,
           rc ? "-" : got, vstr(v, "address"), rc ? "-" : (memcmp(key, want, 32) ? "differs" : "ok"));
    OPENSSL_cleanse(key, 32);
}

TEST(every_shared_vector_opens_to_its_key_and_address)
{
    each_vector("keystore vector", opens_to_key_and_address);
}

static void loads_as_signer(json_t *v, size_t i, const char *name)
{
    char file[32];
    snprintf(file, sizeof file, "vec%zu.json", i);
    char *path = tmp_path(file);
    char *text = json_dumps(json_object_get(v, "keystore"), JSON_INDENT(1));
    write_file(path, text, 0600);
    free(text);
    struct err e = {0};
    struct signer *s = NULL;
    err_code rc = keystore_load_signer(path, vstr(v, "password"), &s, &e);
    char got[43] = "-";
    if (rc == E_OK) {
        struct addr20 a;
        signer_address(s, &a);
        eth_address_checksum(&a, got);
    }
    signer_free(s);
    t_case(rc == E_OK && strcmp(got, vstr(v, "address")) == 0, name, "rc %s (%s), address %s",
           err_name(rc), e.msg, got);
}

TEST(every_shared_vector_loads_as_a_signer_from_a_0600_file)
{
    each_vector("keystore file", loads_as_signer);
}

/* The Web3 Secret Storage definition's test vectors
 * (ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/
 * #test-vectors): password "testpassword", secret 7a28b5ba…, address
 * 008aeeda… (the address field is added here: the definition omits it). */
static const char SPEC_PBKDF2[] =
    "{\"address\":\"008aeeda4d805471df9b2a5b0f38a0c3bcba786b\",\"crypto\":{\"cipher\":\"aes-128-ctr\","
    "\"cipherparams\":{\"iv\":\"6087dab2f9fdbbfaddc31a909735c1e6\"},"
    "\"ciphertext\":\"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46\","
    "\"kdf\":\"pbkdf2\",\"kdfparams\":{\"c\":262144,\"dklen\":32,\"prf\":\"hmac-sha256\","
    "\"salt\":\"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd\"},"
    "\"mac\":\"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2\"},"
    "\"id\":\"3198bc9c-6672-5ab3-d995-4942343ae5b6\",\"version\":3}";
static const char SPEC_SCRYPT[] =
    "{\"crypto\":{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":\"83dbcc02d8ccb40e466191a123791e0e\"},"
    "\"ciphertext\":\"d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c\","
    "\"kdf\":\"scrypt\",\"kdfparams\":{\"dklen\":32,\"n\":262144,\"p\":8,\"r\":1,"
    "\"salt\":\"ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19\"},"
    "\"mac\":\"2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097\"},"
    "\"id\":\"3198bc9c-6672-5ab3-d995-4942343ae5b6\",\"version\":3}";
static const char SPEC_SECRET[] = "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d";

TEST(spec_vector_pbkdf2)
{
    struct err e = {0};
    uint8_t key[32];
    struct addr20 a;
    CHECK_OK(keystore_decrypt(SPEC_PBKDF2, strlen(SPEC_PBKDF2), "spec.json", "testpassword", key, &a,
                              &e),
             &e);
    char hex[65], addr[43];
    hex_encode(key, 32, hex);
    OPENSSL_cleanse(key, 32);
    CHECK_STREQ(hex, SPEC_SECRET);
    addr20_to_hex(&a, addr);
    CHECK_STREQ(addr, "0x008aeeda4d805471df9b2a5b0f38a0c3bcba786b");
    CHECK_ERR(keystore_decrypt(SPEC_PBKDF2, strlen(SPEC_PBKDF2), "spec.json", "testpassword ", key,
                               &a, &e),
              &e, E_VERIFY, "spec.json: wrong password (MAC mismatch");
    CHECK(all_zero(key, 32));
}

/* The definition's scrypt vector uses r = 1 with n = 2^18, which breaks
 * RFC 7914's n < 2^(16·r); OpenSSL refuses it, so we must say "unsupported"
 * (with the reason), not "wrong password" or "crypto failure". */
TEST(spec_vector_scrypt_r1_is_unsupported_with_reason)
{
    struct err e = {0};
    uint8_t key[32];
    CHECK_ERR(keystore_decrypt(SPEC_SCRYPT, strlen(SPEC_SCRYPT), "spec.json", "testpassword", key,
                               NULL, &e),
              &e, E_UNSUPPORTED, "RFC 7914");
    CHECK(all_zero(key, 32));
}

/* --- hostile and broken files -------------------------------------------------- */

/* One mutation of vector 0's keystore and what it must produce. */
struct mutation {
    const char *what;
    const char *path;  /* dot path of the field to change, "" = root */
    const char *json;  /* new value as JSON text; NULL = delete the field */
    err_code want;
    const char *msg;
};

static const struct mutation MUTATIONS[] = {
    {"flipped ciphertext", "Crypto.ciphertext",
     "\"b4f1a427e0b60c668e050c7cee2ccded926bbdf8ee64cdce9f16449c181edf7a\"", E_VERIFY,
     "wrong password (MAC mismatch"},
    {"flipped mac", "Crypto.mac",
     "\"3368e3bceec74efef3052564174308ee4f3e85c996f1dba3ec2f11858fe0a8c8\"", E_VERIFY,
     "wrong password (MAC mismatch"},
    {"other salt", "Crypto.kdfparams.salt",
     "\"5ee7d68beed5b593571b4dfa530734721a09b2590baaad112951e35f91454bca\"", E_VERIFY,
     "MAC mismatch"},
    {"other n (same memory class)", "Crypto.kdfparams.n", "2048", E_VERIFY, "MAC mismatch"},
    /* The IV is outside the MAC: a changed IV decrypts to another key, which
     * the address check catches. */
    {"other iv", "Crypto.cipherparams.iv", "\"bf02d94987dcc0f16edd92fdfd0b0744\"", E_VERIFY,
     "not to the file's address"},
    {"other address", "address", "\"e9ae7b9aeff4c6e7fc77a183bc27f43770b44e21\"", E_VERIFY,
     "not to the file's address 0xe9Ae7b9aEFf4c6e7FC77A183bc27f43770B44E21"},
    {"cipher aes-128-cbc", "Crypto.cipher", "\"aes-128-cbc\"", E_UNSUPPORTED,
     "cipher \"aes-128-cbc\" is not supported"},
    {"kdf argon2id", "Crypto.kdf", "\"argon2id\"", E_UNSUPPORTED, "kdf \"argon2id\" is not supported"},
    {"version 4", "version", "4", E_UNSUPPORTED, "only keystore version 3"},
    {"version \"3\"", "version", "\"3\"", E_UNSUPPORTED, "only keystore version 3"},
    {"dklen 64", "Crypto.kdfparams.dklen", "64", E_UNSUPPORTED, "dklen 64"},
    {"scrypt n = 2^30", "Crypto.kdfparams.n", "1073741824", E_LIMIT, "exceed the limits"},
    {"scrypt n = 2^62", "Crypto.kdfparams.n", "4611686018427387904", E_LIMIT, "exceed the limits"},
    {"scrypt r = 1024", "Crypto.kdfparams.r", "1024", E_LIMIT, "exceed the limits"},
    {"scrypt p = 2^20", "Crypto.kdfparams.p", "1048576", E_LIMIT, "exceed the limits"},
    {"scrypt n = 2^20, r = 16: 2 GiB", "Crypto.kdfparams", "{\"dklen\":32,\"n\":1048576,\"r\":16,\"p\":1,"
     "\"salt\":\"00\"}", E_LIMIT, "2048 MiB"},
    {"scrypt n = 2^20, r = 8, p = 16: too much work", "Crypto.kdfparams",
     "{\"dklen\":32,\"n\":1048576,\"r\":8,\"p\":16,\"salt\":\"00\"}", E_LIMIT, "more work"},
    {"scrypt n not a power of two", "Crypto.kdfparams.n", "4095", E_INVALID, "not a power of two"},
    {"scrypt n = 0", "Crypto.kdfparams.n", "0", E_INVALID, "not a power of two"},
    {"scrypt r = 0", "Crypto.kdfparams.r", "0", E_INVALID, "r and p must be"},
    {"scrypt n negative", "Crypto.kdfparams.n", "-4096", E_INVALID, "non-negative integer"},
    {"scrypt n as a real", "Crypto.kdfparams.n", "4096.0", E_INVALID, "non-negative integer"},
    {"scrypt n as a string", "Crypto.kdfparams.n", "\"4096\"", E_INVALID, "non-negative integer"},
    {"pbkdf2 with 2^31 iterations", "Crypto",
     "{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":\"6087dab2f9fdbbfaddc31a909735c1e6\"},"
     "\"ciphertext\":\"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46\","
     "\"kdf\":\"pbkdf2\",\"kdfparams\":{\"c\":2147483648,\"dklen\":32,\"prf\":\"hmac-sha256\","
     "\"salt\":\"ae\"},\"mac\":\"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2\"}",
     E_LIMIT, "iteration count 2147483648 exceeds"},
    {"pbkdf2 with hmac-sha512", "Crypto",
     "{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":\"6087dab2f9fdbbfaddc31a909735c1e6\"},"
     "\"ciphertext\":\"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46\","
     "\"kdf\":\"pbkdf2\",\"kdfparams\":{\"c\":1,\"dklen\":32,\"prf\":\"hmac-sha512\","
     "\"salt\":\"ae\"},\"mac\":\"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2\"}",
     E_UNSUPPORTED, "prf \"hmac-sha512\""},
    {"pbkdf2 with 0 iterations", "Crypto",
     "{\"cipher\":\"aes-128-ctr\",\"cipherparams\":{\"iv\":\"6087dab2f9fdbbfaddc31a909735c1e6\"},"
     "\"ciphertext\":\"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46\","
     "\"kdf\":\"pbkdf2\",\"kdfparams\":{\"c\":0,\"dklen\":32,\"prf\":\"hmac-sha256\","
     "\"salt\":\"ae\"},\"mac\":\"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2\"}",
     E_INVALID, "must be ≥ 1"},
    {"33-byte ciphertext", "Crypto.ciphertext",
     "\"a4f1a427e0b60c668e050c7cee2ccded926bbdf8ee64cdce9f16449c181edf7a00\"", E_INVALID,
     "crypto.ciphertext"},
    {"odd-length mac", "Crypto.mac", "\"3368e3bceec74efef3052564174308ee4f3e85c996f1dba3ec2f11858fe0a8c\"",
     E_INVALID, "crypto.mac"},
    {"non-hex iv", "Crypto.cipherparams.iv", "\"zf02d94987dcc0f16edd92fdfd0b0743\"", E_INVALID,
     "cipherparams.iv"},
    {"oversized salt", "Crypto.kdfparams.salt", NULL /* filled in below */, E_LIMIT, "salt"},
    {"empty salt", "Crypto.kdfparams.salt", "\"\"", E_INVALID, "salt\" is empty"},
    {"19-byte address", "address", "\"7aee3248e462fddc96a748a91de05c8ee3dd16\"", E_INVALID, "address"},
    {"address as a number", "address", "7", E_INVALID, "address\" must be a string"},
    {"missing mac", "Crypto.mac", NULL, E_INVALID, "lacks \"crypto.mac\""},
    {"missing kdfparams", "Crypto.kdfparams", NULL, E_INVALID, "crypto.kdfparams"},
    {"missing cipherparams", "Crypto.cipherparams", NULL, E_INVALID, "crypto.cipherparams"},
    {"missing n", "Crypto.kdfparams.n", NULL, E_INVALID, "lacks \"crypto.kdfparams.n\""},
    {"missing version", "version", NULL, E_INVALID, "lacks \"version\""},
    {"missing Crypto", "Crypto", NULL, E_INVALID, "lacks the object \"crypto\""},
    {"Crypto as a string", "Crypto", "\"x\"", E_INVALID, "lacks the object \"crypto\""},
    {"both crypto and Crypto", "crypto", "{}", E_INVALID, "both \"crypto\" and \"Crypto\""},
};

static json_t *apply(const json_t *base, const struct mutation *m, const char *override)
{
    json_t *root = json_deep_copy(base);
    char path[128];
    snprintf(path, sizeof path, "%s", m->path);
    json_t *obj = root;
    char *key = path, *dot;
    while ((dot = strchr(key, '.'))) {
        *dot = 0;
        obj = json_object_get(obj, key);
        key = dot + 1;
    }
    const char *val = override ? override : m->json;
    if (!val) {
        json_object_del(obj, key);
        return root;
    }
    json_error_t je;
    json_t *nv = json_loads(val, JSON_DECODE_ANY, &je);
    if (!nv) {
        printf("# bad mutation JSON for %s: %s\n", m->what, je.text);
        json_decref(root);
        return NULL;
    }
    json_object_set_new(obj, key, nv);
    return root;
}

TEST(broken_tampered_and_hostile_keystores_are_refused)
{
    json_t *vs = load_vectors();
    CHECK(vs);
    const json_t *base = json_object_get(json_array_get(vs, 0), "keystore");
    const char *pw = vstr(json_array_get(vs, 0), "password");
    char big_salt[2 * (KEYSTORE_MAX_SALT + 1) + 3];
    big_salt[0] = '"';
    memset(big_salt + 1, 'a', 2 * (KEYSTORE_MAX_SALT + 1));
    strcpy(big_salt + 1 + 2 * (KEYSTORE_MAX_SALT + 1), "\"");
    for (size_t i = 0; i < sizeof MUTATIONS / sizeof MUTATIONS[0]; i++) {
        const struct mutation *m = &MUTATIONS[i];
        json_t *ks = apply(base, m, strcmp(m->what, "oversized salt") == 0 ? big_salt : NULL);
        if (!ks) {
            t_case(false, m->what, "mutation not applied");
            continue;
        }
        struct err e = {0};
        uint8_t key[32];
        memset(key, 0xa5, 32);
        err_code rc = decrypt_obj(ks, pw, key, NULL, &e);
        json_decref(ks);
        t_case(rc == m->want && strstr(e.msg, m->msg) && all_zero(key, 32), m->what,
               "got %s \"%s\", want %s \"%s\"%s", err_name(rc), e.msg, err_name(m->want), m->msg,
               all_zero(key, 32) ? "" : " (key buffer not zeroed)");
    }
    json_decref(vs);
}

TEST(wrong_password_is_a_clear_verify_error)
{
    json_t *vs = load_vectors();
    CHECK(vs);
    const json_t *v = json_array_get(vs, 0);
    struct err e = {0};
    uint8_t key[32];
    err_code rc = decrypt_obj(json_object_get(v, "keystore"), "pw-public-1", key, NULL, &e);
    err_code rc2 = decrypt_obj(json_object_get(v, "keystore"), "", key, NULL, &e);
    json_decref(vs);
    CHECK(rc == E_VERIFY && rc2 == E_VERIFY);
    CHECK(strstr(e.msg, "t.json: wrong password (MAC mismatch"));
    CHECK(all_zero(key, 32));
    CHECK_ERR(keystore_decrypt("{}", 2, "k.json", NULL, key, NULL, &e), &e, E_INVALID, "no password");
}

TEST(malformed_json_duplicates_and_size)
{
    json_t *vs = load_vectors();
    CHECK(vs);
    const json_t *v = json_array_get(vs, 0);
    char pw[64];
    snprintf(pw, sizeof pw, "%s", vstr(v, "password"));
    char *text = json_dumps(json_object_get(v, "keystore"), JSON_COMPACT);
    json_decref(vs);
    CHECK(text);
    struct err e = {0};
    uint8_t key[32];
    size_t n = strlen(text);

    /* A second "version" key: JSON with duplicate keys means different
     * things to different parsers. */
    char *dup = malloc(n + 32);
    CHECK(dup);
    snprintf(dup, n + 32, "{\"version\":3,%s", text + 1);
    err_code rc = keystore_decrypt(dup, strlen(dup), "dup.json", pw, key, NULL, &e);
    free(dup);
    if (rc != E_INVALID || !strstr(e.msg, "duplicate")) {
        free(text);
        CHECKF(false, "duplicate key: %s %s", err_name(rc), e.msg);
    }
    /* Duplicate inside the crypto object too. */
    char *p = strstr(text, "\"cipher\":");
    CHECK(p);
    size_t off = (size_t)(p - text);
    char *dup2 = malloc(n + 32);
    CHECK(dup2);
    snprintf(dup2, n + 32, "%.*s\"cipher\":\"aes-128-ctr\",%s", (int)off, text, text + off);
    rc = keystore_decrypt(dup2, strlen(dup2), "dup.json", pw, key, NULL, &e);
    free(dup2);
    if (rc != E_INVALID || !strstr(e.msg, "duplicate")) {
        free(text);
        CHECKF(false, "nested duplicate key: %s %s", err_name(rc), e.msg);
    }

    /* Exactly at the limit (padded with spaces) still opens; one byte more does not. */
    char *big = malloc(KEYSTORE_MAX_BYTES + 2);
    CHECK(big);
    memset(big, ' ', KEYSTORE_MAX_BYTES + 1);
    memcpy(big, text, n);
    free(text);
    rc = keystore_decrypt(big, KEYSTORE_MAX_BYTES, "big.json", pw, key, NULL, &e);
    err_code rc2 = keystore_decrypt(big, KEYSTORE_MAX_BYTES + 1, "big.json", pw, key, NULL, &e);
    big[KEYSTORE_MAX_BYTES + 1] = 0;
    char *path = tmp_path("big.json");
    write_file(path, big, 0600);
    free(big);
    CHECKF(rc == E_OK, "at the limit: %s", err_name(rc));
    CHECK(rc2 == E_LIMIT && strstr(e.msg, "big.json"));
    CHECK_ERR(keystore_read(path, pw, key, NULL, &e), &e, E_LIMIT, "limit of 65536 bytes");
    struct signer *s;
    CHECK_ERR(keystore_load_signer(path, pw, &s, &e), &e, E_LIMIT, "big.json");
    CHECK(s == NULL);

    CHECK_ERR(keystore_decrypt("[1,2]", 5, "a.json", pw, key, NULL, &e), &e, E_INVALID,
              "must be a JSON object");
    CHECK_ERR(keystore_decrypt("{\"version\":3,", 13, "t.json", pw, key, NULL, &e), &e, E_INVALID,
              "t.json: truncated JSON");
    CHECK_ERR(keystore_decrypt("", 0, "e.json", pw, key, NULL, &e), &e, E_INVALID, "empty");
}

/* --- files, modes, paths -------------------------------------------------------- */

TEST(file_mode_must_be_owner_only)
{
    json_t *vs = load_vectors();
    CHECK(vs);
    const json_t *v = json_array_get(vs, 0);
    char *text = json_dumps(json_object_get(v, "keystore"), 0);
    char pw[64], want[43];
    snprintf(pw, sizeof pw, "%s", vstr(v, "password"));
    snprintf(want, sizeof want, "%s", vstr(v, "address"));
    json_decref(vs);
    CHECK(text);
    char *path = tmp_path("key.json");
    write_file(path, text, 0644);
    free(text);

    struct err e = {0};
    struct signer *s = NULL;
    char msg[1200];
    snprintf(msg, sizeof msg, "%s: mode 0644 is too open; run chmod 600 %s", path, path);
    CHECK_ERR(keystore_load_signer(path, pw, &s, &e), &e, E_STATE, msg);
    CHECK(s == NULL);
    const mode_t bad[] = {0640, 0604, 0602, 0620, 0601, 0660, 0666, 0700 | 0010};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(chmod(path, bad[i]) == 0);
        CHECK_ERR(keystore_load_signer(path, pw, &s, &e), &e, E_STATE, "is too open");
    }
    /* keystore_read is the mode-agnostic reader. */
    uint8_t key[32];
    CHECK_OK(keystore_read(path, pw, key, NULL, &e), &e);
    OPENSSL_cleanse(key, 32);

    CHECK(chmod(path, 0600) == 0);
    CHECK_OK(keystore_load_signer(path, pw, &s, &e), &e);
    struct addr20 a;
    signer_address(s, &a);
    signer_free(s);
    char got[43];
    eth_address_checksum(&a, got);
    CHECK_STREQ(got, want);
    CHECK(chmod(path, 0400) == 0);
    CHECK_OK(keystore_load_signer(path, pw, &s, &e), &e);
    signer_free(s);

    CHECK_ERR(keystore_load_signer(path, "nope", &s, &e), &e, E_VERIFY, "wrong password");
    CHECK(s == NULL);
    CHECK_ERR(keystore_load_signer(tmp_path("absent.json"), pw, &s, &e), &e, E_NOT_FOUND,
              "absent.json: cannot open");
    CHECK_ERR(keystore_load_signer(t_tmpdir(), pw, &s, &e), &e, E_STATE, "not a regular file");
}

/* --- writing --------------------------------------------------------------------- */

TEST(write_then_read_round_trip)
{
    struct err e = {0};
    struct signer *s = NULL;
    CHECK_OK(signer_generate(&s, &e), &e);
    struct addr20 want;
    signer_address(s, &want);
    uint8_t priv[32];
    signer_export_privkey(s, priv);

    char *path = tmp_path("w.json");
    struct keystore_scrypt_params light = KEYSTORE_SCRYPT_LIGHT;
    err_code rc = keystore_write(path, s, "correct horse", &light, &e);
    struct stat st;
    int st_rc = stat(path, &st);
    struct buf b1 = {0}, b2 = {0};
    err_code rc1 = keystore_encrypt(s, "correct horse", &light, &b1, &e);
    err_code rc2 = keystore_encrypt(s, "correct horse", &light, &b2, &e);
    signer_free(s);
    bool differ = rc1 == E_OK && rc2 == E_OK && strcmp((char *)b1.p, (char *)b2.p) != 0;
    buf_free(&b2);
    if (rc != E_OK || rc1 != E_OK) {
        buf_free(&b1);
        OPENSSL_cleanse(priv, 32);
        CHECKF(false, "write: %s %s", err_name(rc), e.msg);
    }
    CHECKF(differ, "two encryptions of one key must differ (fresh salt, iv and id)");
    CHECK(st_rc == 0 && (st.st_mode & 0777) == 0600);

    /* Read back through every entry point. */
    uint8_t key[32];
    struct addr20 a;
    CHECK_OK(keystore_read(path, "correct horse", key, &a, &e), &e);
    bool same = memcmp(key, priv, 32) == 0;
    OPENSSL_cleanse(key, 32);
    CHECK_OK(keystore_decrypt((char *)b1.p, b1.len, "mem", "correct horse", key, NULL, &e), &e);
    same = same && memcmp(key, priv, 32) == 0;
    OPENSSL_cleanse(key, 32);
    OPENSSL_cleanse(priv, 32);
    CHECK(same && addr20_eq(&a, &want));
    CHECK_OK(keystore_load_signer(path, "correct horse", &s, &e), &e);
    signer_address(s, &a);
    signer_free(s);
    CHECK(addr20_eq(&a, &want));
    CHECK_ERR(keystore_read(path, "correct horse!", key, NULL, &e), &e, E_VERIFY, "MAC mismatch");

    /* geth's layout: lowercase address without 0x, "crypto", uuid v4 id. */
    json_t *j = json_loadb((char *)b1.p, b1.len, JSON_REJECT_DUPLICATES, NULL);
    buf_free(&b1);
    CHECK(j);
    char addr_hex[43];
    addr20_to_hex(&want, addr_hex);
    const char *addr = vstr(j, "address"), *id = vstr(j, "id");
    json_t *kp = json_object_get(json_object_get(j, "crypto"), "kdfparams");
    bool layout = strcmp(addr, addr_hex + 2) == 0 && strlen(id) == 36 && id[8] == '-' &&
                  id[13] == '-' && id[14] == '4' && id[18] == '-' && strchr("89ab", id[19]) &&
                  id[23] == '-' && json_integer_value(json_object_get(j, "version")) == 3 &&
                  json_integer_value(json_object_get(kp, "n")) == 4096 &&
                  json_integer_value(json_object_get(kp, "r")) == 8 &&
                  json_integer_value(json_object_get(kp, "p")) == 1 &&
                  json_integer_value(json_object_get(kp, "dklen")) == 32 &&
                  strlen(vstr(kp, "salt")) == 64 &&
                  strlen(vstr(json_object_get(json_object_get(j, "crypto"), "cipherparams"), "iv")) == 32;
    json_decref(j);
    CHECKF(layout, "written keystore does not have geth's layout");
}

TEST(write_refuses_bad_params_and_passwords)
{
    struct err e = {0};
    struct signer *s = NULL;
    CHECK_OK(signer_generate(&s, &e), &e);
    struct buf b = {0};
    struct keystore_scrypt_params p3 = {3000, 8, 1}, big = {1u << 21, 8, 1}, r0 = {4096, 0, 1},
                                  mem = {1u << 20, 16, 1};
    struct keystore_scrypt_params light = KEYSTORE_SCRYPT_LIGHT;
    err_code rcs[] = {
        keystore_encrypt(s, "pw", &p3, &b, &e),     keystore_encrypt(s, "pw", &big, &b, &e),
        keystore_encrypt(s, "pw", &r0, &b, &e),     keystore_encrypt(s, "pw", &mem, &b, &e),
        keystore_encrypt(s, "", &light, &b, &e),    keystore_encrypt(s, NULL, &light, &b, &e),
    };
    err_code want[] = {E_INVALID, E_LIMIT, E_INVALID, E_LIMIT, E_INVALID, E_INVALID};
    char *bad = tmp_path("no-such-dir/k.json");
    err_code wrc = keystore_write(bad, s, "pw", &light, &e);
    signer_free(s);
    CHECK(b.len == 0);
    for (size_t i = 0; i < sizeof rcs / sizeof rcs[0]; i++)
        CHECKF(rcs[i] == want[i], "case %zu: got %s want %s", i, err_name(rcs[i]), err_name(want[i]));
    CHECK(wrc == E_IO && strstr(e.msg, "no-such-dir"));
}

/* --- passwords ------------------------------------------------------------------- */

TEST(password_from_file_or_environment)
{
    struct err e = {0};
    char *pw = NULL;
    const struct { const char *content; const char *want; } ok[] = {
        {"hunter2\n", "hunter2"},   {"hunter2", "hunter2"},   {"hunter2\r\n", "hunter2"},
        {"two\n\n", "two\n"},       {" spaced \n", " spaced "}, {"ünï\n", "ünï"},
    };
    char *path = tmp_path("pw.txt");
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        write_file(path, ok[i].content, 0600);
        CHECK_OK(keystore_password_from_env_or_file(path, NULL, &pw, &e), &e);
        bool same = strcmp(pw, ok[i].want) == 0;
        keystore_password_free(pw);
        CHECKF(same, "password file case %zu", i);
    }
    write_file(path, "\n", 0600);
    CHECK_ERR(keystore_password_from_env_or_file(path, NULL, &pw, &e), &e, E_INVALID, "empty");
    CHECK(pw == NULL);
    write_file(path, "", 0600);
    CHECK_ERR(keystore_password_from_env_or_file(path, NULL, &pw, &e), &e, E_INVALID, "empty");
    char long_pw[KEYSTORE_MAX_PASSWORD + 2];
    memset(long_pw, 'x', sizeof long_pw - 1);
    long_pw[sizeof long_pw - 1] = 0;
    write_file(path, long_pw, 0600);
    CHECK_ERR(keystore_password_from_env_or_file(path, NULL, &pw, &e), &e, E_LIMIT, "longer than");
    long_pw[KEYSTORE_MAX_PASSWORD] = '\n'; /* exactly the limit plus a newline is fine */
    write_file(path, long_pw, 0600);
    CHECK_OK(keystore_password_from_env_or_file(path, NULL, &pw, &e), &e);
    CHECK(strlen(pw) == KEYSTORE_MAX_PASSWORD);
    keystore_password_free(pw);
    FILE *f = fopen(path, "wb");
    CHECK(f);
    fwrite("a\0b\n", 1, 4, f);
    fclose(f);
    CHECK_ERR(keystore_password_from_env_or_file(path, NULL, &pw, &e), &e, E_INVALID, "NUL");
    CHECK_ERR(keystore_password_from_env_or_file(tmp_path("nope.txt"), NULL, &pw, &e), &e,
              E_NOT_FOUND, "nope.txt");

    CHECK(setenv("KS_TEST_PW", "from env\n", 1) == 0);
    CHECK_OK(keystore_password_from_env_or_file(NULL, "KS_TEST_PW", &pw, &e), &e);
    CHECK_STREQ(pw, "from env\n"); /* the environment is taken as is */
    keystore_password_free(pw);
    CHECK(setenv("KS_TEST_PW", "", 1) == 0);
    CHECK_ERR(keystore_password_from_env_or_file(NULL, "KS_TEST_PW", &pw, &e), &e, E_INVALID,
              "environment variable KS_TEST_PW: the password is empty");
    CHECK(unsetenv("KS_TEST_PW") == 0);
    CHECK_ERR(keystore_password_from_env_or_file(NULL, "KS_TEST_PW", &pw, &e), &e, E_NOT_FOUND,
              "KS_TEST_PW is not set");
    CHECK_ERR(keystore_password_from_env_or_file(path, "KS_TEST_PW", &pw, &e), &e, E_INVALID,
              "either");
    CHECK_ERR(keystore_password_from_env_or_file(NULL, NULL, &pw, &e), &e, E_INVALID, "either");
    keystore_password_free(NULL);
}

/* --- hooks for tests/cli/keystore_ethers.sh ---------------------------------------- */

static err_code hook_password(char **pw, struct err *e)
{
    if (getenv("KEYSTORE_PASSWORD"))
        return keystore_password_from_env_or_file(NULL, "KEYSTORE_PASSWORD", pw, e);
    *pw = strdup("pw-public-0");
    return *pw ? E_OK : E_NOMEM;
}

TEST(ethers_emit)
{
    const char *emit = getenv("KEYSTORE_EMIT");
    char *path = emit ? (char *)emit : tmp_path("emit.json");
    struct err e = {0};
    char *pw = NULL;
    CHECK_OK(hook_password(&pw, &e), &e);
    struct signer *s = NULL;
    err_code rc = signer_generate(&s, &e);
    struct keystore_scrypt_params light = KEYSTORE_SCRYPT_LIGHT;
    if (rc == E_OK)
        rc = keystore_write(path, s, pw, &light, &e);
    struct addr20 a;
    if (s)
        signer_address(s, &a);
    signer_free(s);
    if (rc != E_OK) {
        keystore_password_free(pw);
        CHECKF(false, "emit: %s", e.msg);
    }
    char hex[43], addr_path[600];
    eth_address_checksum(&a, hex);
    snprintf(addr_path, sizeof addr_path, "%s.addr", path);
    write_file(addr_path, hex, 0600);
    /* And it opens in ours, as a signer (mode 0600). */
    rc = keystore_load_signer(path, pw, &s, &e);
    keystore_password_free(pw);
    CHECK_OK(rc, &e);
    struct addr20 b;
    signer_address(s, &b);
    signer_free(s);
    CHECK(addr20_eq(&a, &b));
}

TEST(ethers_check)
{
    /* Without the hook: vector 0, which ethers v6 wrote. */
    const char *check = getenv("KEYSTORE_CHECK");
    const char *want_s = getenv("KEYSTORE_ADDRESS");
    char want_buf[43];
    char *path = (char *)check;
    if (!check) {
        json_t *vs = load_vectors();
        CHECK(vs);
        const json_t *v = json_array_get(vs, 0);
        char *text = json_dumps(json_object_get(v, "keystore"), 0);
        snprintf(want_buf, sizeof want_buf, "%s", vstr(v, "address"));
        json_decref(vs);
        CHECK(text);
        path = tmp_path("ethers.json");
        write_file(path, text, 0600);
        free(text);
        want_s = want_buf;
    }
    CHECKF(want_s, "KEYSTORE_CHECK needs KEYSTORE_ADDRESS");
    struct err e = {0};
    struct addr20 want, got;
    CHECK_OK(eth_address_parse(want_s, &want, &e), &e);
    char *pw = NULL;
    CHECK_OK(hook_password(&pw, &e), &e);
    uint8_t key[32];
    err_code rc = keystore_read(path, pw, key, &got, &e);
    OPENSSL_cleanse(key, 32);
    keystore_password_free(pw);
    CHECK_OK(rc, &e);
    CHECK(addr20_eq(&got, &want));
}
