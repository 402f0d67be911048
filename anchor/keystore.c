/*
 * anchor/keystore.c — Ethereum keystore v3 (Web3 Secret Storage); see
 * keystore.h.
 *
 * The format (https://ethereum.org/en/developers/docs/data-structures-and-
 * encoding/web3-secret-storage/): derivedKey = KDF(password, salt) of 32
 * bytes; ciphertext = AES-128-CTR(key = derivedKey[0..15], iv, privkey);
 * mac = keccak256(derivedKey[16..31] ‖ ciphertext). geth writes the object
 * key "crypto", ethers v6 writes "Crypto"; both are accepted on reading.
 *
 * Reading order matters: everything is parsed and bounded first, the KDF
 * (the only expensive step) runs only on validated parameters, the MAC is
 * checked in constant time before anything is decrypted, and the decrypted
 * key is checked against the file's "address" field.
 */
#include "anchor/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#include "core/fileio.h"
#include "core/hash.h"
#include "core/json.h"

#define DK_LEN 32

enum kdf_kind { KDF_SCRYPT, KDF_PBKDF2 };

/* A keystore after parsing: every field present, decoded and within bounds. */
struct parsed {
    enum kdf_kind kdf;
    uint64_t n, r, p;  /* scrypt */
    uint64_t iter;     /* pbkdf2 */
    uint8_t salt[KEYSTORE_MAX_SALT];
    size_t salt_len;
    uint8_t iv[16];
    uint8_t ciphertext[32];
    uint8_t mac[32];
    int has_address;
    struct addr20 address;
};

/* --- parsing helpers --------------------------------------------------------- */

static err_code get_string(const json_t *obj, const char *key, const char *where, const char *name,
                           const char **out, struct err *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return err_set(e, E_INVALID, "%s: keystore lacks \"%s%s\"", name, where, key);
    if (!json_is_string(v))
        return err_set(e, E_INVALID, "%s: keystore field \"%s%s\" must be a string", name, where,
                       key);
    *out = json_string_value(v);
    return E_OK;
}

/* A hex field of exactly `want` bytes (an optional 0x prefix is tolerated:
 * some tools write one). */
static err_code get_hex(const json_t *obj, const char *key, const char *where, const char *name,
                        uint8_t *out, size_t want, struct err *e)
{
    const char *s;
    err_code rc = get_string(obj, key, where, name, &s, e);
    if (rc)
        return rc;
    rc = hex_decode_exact(s, strlen(s), true, out, want, e);
    if (rc)
        return err_wrap(e, rc, "%s: keystore field \"%s%s\"", name, where, key);
    return E_OK;
}

/* A non-negative integer field. JSON reals (4096.0) are refused: geth and
 * ethers both write integers. */
static err_code get_uint(const json_t *obj, const char *key, const char *where, const char *name,
                         uint64_t *out, struct err *e)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return err_set(e, E_INVALID, "%s: keystore lacks \"%s%s\"", name, where, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return err_set(e, E_INVALID, "%s: keystore field \"%s%s\" must be a non-negative integer",
                       name, where, key);
    *out = (uint64_t)json_integer_value(v);
    return E_OK;
}

/* The bounds on scrypt parameters, shared by reading and writing so that we
 * never write a file we would refuse to read. */
static err_code check_scrypt(uint64_t n, uint64_t r, uint64_t p, const char *name, struct err *e)
{
    if (n < 2 || (n & (n - 1)) != 0)
        return err_set(e, E_INVALID, "%s: scrypt n = %llu is not a power of two ≥ 2", name,
                       (unsigned long long)n);
    if (r == 0 || p == 0)
        return err_set(e, E_INVALID, "%s: scrypt r and p must be ≥ 1 (r = %llu, p = %llu)", name,
                       (unsigned long long)r, (unsigned long long)p);
    if (n > KEYSTORE_SCRYPT_MAX_N || r > KEYSTORE_SCRYPT_MAX_R || p > KEYSTORE_SCRYPT_MAX_P)
        return err_set(e, E_LIMIT,
                       "%s: scrypt parameters n = %llu, r = %llu, p = %llu exceed the limits "
                       "n ≤ %u, r ≤ %u, p ≤ %u",
                       name, (unsigned long long)n, (unsigned long long)r, (unsigned long long)p,
                       KEYSTORE_SCRYPT_MAX_N, KEYSTORE_SCRYPT_MAX_R, KEYSTORE_SCRYPT_MAX_P);
    /* RFC 7914 §2 requires n < 2^(128·r/8); OpenSSL enforces it (geth's Go
     * scrypt does not), so such a file cannot be opened here — say so
     * rather than report a failed derivation. */
    if (16 * r < 64 && n >= (1ull << (16 * r)))
        return err_set(e, E_UNSUPPORTED,
                       "%s: scrypt n = %llu with r = %llu breaks RFC 7914's rule n < 2^(16·r), "
                       "which OpenSSL enforces; re-encrypt the key with r = 8",
                       name, (unsigned long long)n, (unsigned long long)r);
    /* Each factor is bounded above, so these products cannot overflow. */
    uint64_t mem = 128 * r * n;
    if (mem > KEYSTORE_SCRYPT_MAX_MEM)
        return err_set(e, E_LIMIT,
                       "%s: scrypt n = %llu, r = %llu needs %llu MiB, more than the limit of %llu MiB",
                       name, (unsigned long long)n, (unsigned long long)r,
                       (unsigned long long)(mem >> 20),
                       (unsigned long long)(KEYSTORE_SCRYPT_MAX_MEM >> 20));
    if (mem * p > KEYSTORE_SCRYPT_MAX_WORK)
        return err_set(e, E_LIMIT,
                       "%s: scrypt n = %llu, r = %llu, p = %llu is more work than the limit "
                       "(128·n·r·p ≤ %llu)",
                       name, (unsigned long long)n, (unsigned long long)r, (unsigned long long)p,
                       (unsigned long long)KEYSTORE_SCRYPT_MAX_WORK);
    return E_OK;
}

static err_code parse_kdfparams(const json_t *crypto, const char *kdf, const char *name,
                                struct parsed *k, struct err *e)
{
    const char *W = "crypto.kdfparams.";
    json_t *kp = json_object_get(crypto, "kdfparams");
    if (!json_is_object(kp))
        return err_set(e, E_INVALID, "%s: keystore lacks the object \"crypto.kdfparams\"", name);

    uint64_t dklen;
    err_code rc = get_uint(kp, "dklen", W, name, &dklen, e);
    if (rc)
        return rc;
    if (dklen != DK_LEN)
        return err_set(e, E_UNSUPPORTED, "%s: kdf dklen %llu is not supported (only 32)", name,
                       (unsigned long long)dklen);

    const char *salt_hex;
    if ((rc = get_string(kp, "salt", W, name, &salt_hex, e)))
        return rc;
    uint8_t *salt = NULL;
    size_t salt_len = 0;
    rc = hex_decode_alloc(salt_hex, strlen(salt_hex), true, KEYSTORE_MAX_SALT, &salt, &salt_len, e);
    if (rc)
        return err_wrap(e, rc, "%s: keystore field \"%ssalt\"", name, W);
    if (salt_len == 0) {
        free(salt);
        return err_set(e, E_INVALID, "%s: keystore field \"%ssalt\" is empty", name, W);
    }
    memcpy(k->salt, salt, salt_len);
    k->salt_len = salt_len;
    free(salt);

    if (strcmp(kdf, "scrypt") == 0) {
        k->kdf = KDF_SCRYPT;
        if ((rc = get_uint(kp, "n", W, name, &k->n, e)) || (rc = get_uint(kp, "r", W, name, &k->r, e)) ||
            (rc = get_uint(kp, "p", W, name, &k->p, e)))
            return rc;
        return check_scrypt(k->n, k->r, k->p, name, e);
    }
    /* pbkdf2 (the only other kdf the spec defines). */
    k->kdf = KDF_PBKDF2;
    const char *prf;
    if ((rc = get_string(kp, "prf", W, name, &prf, e)))
        return rc;
    if (strcmp(prf, "hmac-sha256") != 0)
        return err_set(e, E_UNSUPPORTED, "%s: pbkdf2 prf \"%.64s\" is not supported (only hmac-sha256)",
                       name, prf);
    if ((rc = get_uint(kp, "c", W, name, &k->iter, e)))
        return rc;
    if (k->iter == 0)
        return err_set(e, E_INVALID, "%s: pbkdf2 iteration count c must be ≥ 1", name);
    if (k->iter > KEYSTORE_PBKDF2_MAX_ITER)
        return err_set(e, E_LIMIT, "%s: pbkdf2 iteration count %llu exceeds the limit of %u", name,
                       (unsigned long long)k->iter, KEYSTORE_PBKDF2_MAX_ITER);
    return E_OK;
}

/* Parse and bound everything; no cryptographic work happens here. */
static err_code parse_keystore(const json_t *root, const char *name, struct parsed *k,
                               struct err *e)
{
    if (!json_is_object(root))
        return err_set(e, E_INVALID, "%s: a keystore must be a JSON object", name);

    json_t *ver = json_object_get(root, "version");
    if (!ver)
        return err_set(e, E_INVALID, "%s: keystore lacks \"version\"", name);
    if (!json_is_integer(ver) || json_integer_value(ver) != 3)
        return err_set(e, E_UNSUPPORTED, "%s: only keystore version 3 is supported", name);

    /* geth writes "crypto", ethers v6 "Crypto"; a file with both is ambiguous. */
    json_t *lower = json_object_get(root, "crypto"), *upper = json_object_get(root, "Crypto");
    if (lower && upper)
        return err_set(e, E_INVALID, "%s: keystore has both \"crypto\" and \"Crypto\"", name);
    json_t *crypto = lower ? lower : upper;
    if (!json_is_object(crypto))
        return err_set(e, E_INVALID, "%s: keystore lacks the object \"crypto\"", name);

    const char *cipher, *kdf;
    err_code rc;
    if ((rc = get_string(crypto, "cipher", "crypto.", name, &cipher, e)))
        return rc;
    if (strcmp(cipher, "aes-128-ctr") != 0)
        return err_set(e, E_UNSUPPORTED, "%s: cipher \"%.64s\" is not supported (only aes-128-ctr)",
                       name, cipher);
    if ((rc = get_string(crypto, "kdf", "crypto.", name, &kdf, e)))
        return rc;
    if (strcmp(kdf, "scrypt") != 0 && strcmp(kdf, "pbkdf2") != 0)
        return err_set(e, E_UNSUPPORTED, "%s: kdf \"%.64s\" is not supported (only scrypt, pbkdf2)",
                       name, kdf);

    json_t *cp = json_object_get(crypto, "cipherparams");
    if (!json_is_object(cp))
        return err_set(e, E_INVALID, "%s: keystore lacks the object \"crypto.cipherparams\"", name);
    if ((rc = get_hex(cp, "iv", "crypto.cipherparams.", name, k->iv, sizeof k->iv, e)) ||
        (rc = get_hex(crypto, "ciphertext", "crypto.", name, k->ciphertext, sizeof k->ciphertext,
                      e)) ||
        (rc = get_hex(crypto, "mac", "crypto.", name, k->mac, sizeof k->mac, e)))
        return rc;
    if ((rc = parse_kdfparams(crypto, kdf, name, k, e)))
        return rc;

    k->has_address = 0;
    json_t *a = json_object_get(root, "address");
    if (a && !json_is_null(a)) {
        if (!json_is_string(a))
            return err_set(e, E_INVALID, "%s: keystore field \"address\" must be a string", name);
        const char *s = json_string_value(a);
        if ((rc = hex_decode_exact(s, strlen(s), true, k->address.b, 20, e)))
            return err_wrap(e, rc, "%s: keystore field \"address\"", name);
        k->has_address = 1;
    }
    return E_OK;
}

/* --- crypto -------------------------------------------------------------------- */

static err_code derive_key(const struct parsed *k, const char *password, uint8_t dk[DK_LEN],
                           const char *name, struct err *e)
{
    size_t pwlen = strlen(password);
    if (k->kdf == KDF_SCRYPT) {
        /* OpenSSL refuses to run when its estimate (128·r·(N+2) + 128·r·p)
         * exceeds maxmem; the parameters were bounded above, so allow what
         * they need and a little slack. */
        uint64_t maxmem = 128 * k->r * (k->n + 2) + 128 * k->r * k->p + 65536;
        if (EVP_PBE_scrypt(password, pwlen, k->salt, k->salt_len, k->n, k->r, k->p, maxmem, dk,
                           DK_LEN) != 1)
            return err_set(e, E_CRYPTO, "%s: scrypt key derivation failed (out of memory?)", name);
        return E_OK;
    }
    if (pwlen > INT32_MAX ||
        PKCS5_PBKDF2_HMAC(password, (int)pwlen, k->salt, (int)k->salt_len, (int)k->iter,
                          EVP_sha256(), DK_LEN, dk) != 1)
        return err_set(e, E_CRYPTO, "%s: pbkdf2 key derivation failed", name);
    return E_OK;
}

/* AES-128-CTR (EIP/Web3 Secret Storage: key = derivedKey[0..15]). CTR mode is
 * its own inverse, so this both encrypts and decrypts 32 bytes. */
static err_code aes128ctr(const uint8_t key[16], const uint8_t iv[16], const uint8_t in[32],
                          uint8_t out[32], struct err *e)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    if (!ctx)
        return err_set(e, E_NOMEM, "out of memory");
    int len = 0, fin = 0;
    int ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
             EVP_EncryptUpdate(ctx, out, &len, in, 32) == 1 &&
             EVP_EncryptFinal_ex(ctx, out + len, &fin) == 1 && len + fin == 32;
    EVP_CIPHER_CTX_free(ctx); /* frees and cleanses the key schedule */
    if (!ok) {
        OPENSSL_cleanse(out, 32);
        return err_set(e, E_CRYPTO, "AES-128-CTR failed");
    }
    return E_OK;
}

/* mac = keccak256(derivedKey[16..31] ‖ ciphertext). */
static void compute_mac(const uint8_t dk[DK_LEN], const uint8_t ct[32], struct hash32 *mac)
{
    uint8_t m[16 + 32];
    memcpy(m, dk + 16, 16);
    memcpy(m + 16, ct, 32);
    keccak256(m, sizeof m, mac);
    OPENSSL_cleanse(m, sizeof m);
}

static err_code address_of(const uint8_t privkey[32], struct addr20 *out, const char *name,
                           struct err *e)
{
    struct signer *s = NULL;
    err_code rc = signer_from_privkey(privkey, &s, e);
    if (rc)
        return err_wrap(e, rc, "%s: decrypted key", name);
    signer_address(s, out);
    signer_free(s);
    return E_OK;
}

/* --- reading ------------------------------------------------------------------- */

err_code keystore_decrypt(const char *json, size_t len, const char *name, const char *password,
                          uint8_t privkey[32], struct addr20 *addr, struct err *e)
{
    memset(privkey, 0, 32);
    if (!name)
        name = "keystore";
    if (!password)
        return err_set(e, E_INVALID, "%s: no password given", name);

    json_t *root = NULL;
    err_code rc = jstrict_parse(json, len, KEYSTORE_MAX_BYTES, 0, &root, e);
    if (rc)
        return err_wrap(e, rc, "%s", name);
    struct parsed k;
    rc = parse_keystore(root, name, &k, e);
    json_decref(root);
    if (rc)
        return rc;

    uint8_t dk[DK_LEN];
    if ((rc = derive_key(&k, password, dk, name, e)))
        goto out;
    struct hash32 mac;
    compute_mac(dk, k.ciphertext, &mac);
    /* Constant time, so timing says nothing about how much of the MAC an
     * attacker-supplied file got right. */
    if (CRYPTO_memcmp(mac.b, k.mac, 32) != 0) {
        rc = err_set(e, E_VERIFY, "%s: wrong password (MAC mismatch; or the file was altered)",
                     name);
        goto out;
    }
    if ((rc = aes128ctr(dk, k.iv, k.ciphertext, privkey, e)))
        goto out;

    struct addr20 derived;
    if ((rc = address_of(privkey, &derived, name, e)))
        goto out;
    if (k.has_address && !addr20_eq(&derived, &k.address)) {
        char want[43], got[43];
        eth_address_checksum(&k.address, want);
        eth_address_checksum(&derived, got);
        rc = err_set(e, E_VERIFY,
                     "%s: the key decrypts, but belongs to %s, not to the file's address %s", name,
                     got, want);
        goto out;
    }
    if (addr)
        *addr = derived;
out:
    OPENSSL_cleanse(dk, sizeof dk);
    if (rc)
        OPENSSL_cleanse(privkey, 32);
    return rc;
}

/* Open `path`, optionally refuse a mode that lets group/other in (checked on
 * the descriptor we then read, so no swap in between), and read it bounded. */
static err_code read_keyfile(const char *path, int check_mode, struct buf *out, struct err *e)
{
    *out = (struct buf){0};
    int fd;
    struct stat st;
    err_code rc = file_open_stat(path, 0, &fd, &st, e);
    if (rc)
        return rc;
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(e, E_STATE, "%s: not a regular file", path);
    }
    if (check_mode && (st.st_mode & 077)) {
        close(fd);
        return err_set(e, E_STATE, "%s: mode %04o is too open; run chmod 600 %s", path,
                       (unsigned)(st.st_mode & 07777), path);
    }
    /* Refuse before reading when the size already says too big. */
    if (st.st_size > KEYSTORE_MAX_BYTES) {
        close(fd);
        return err_set(e, E_LIMIT, "%s: %lld bytes is larger than the keystore limit of %d bytes",
                       path, (long long)st.st_size, KEYSTORE_MAX_BYTES);
    }
    return file_read_fd(fd, path, KEYSTORE_MAX_BYTES, out, e);
}

err_code keystore_read(const char *path, const char *password, uint8_t privkey[32],
                       struct addr20 *addr, struct err *e)
{
    memset(privkey, 0, 32);
    struct buf b;
    err_code rc = read_keyfile(path, 0, &b, e);
    if (rc)
        return rc;
    rc = keystore_decrypt((const char *)b.p, b.len, path, password, privkey, addr, e);
    buf_free(&b);
    return rc;
}

err_code keystore_load_signer(const char *path, const char *password, struct signer **out,
                              struct err *e)
{
    *out = NULL;
    struct buf b;
    err_code rc = read_keyfile(path, 1, &b, e);
    if (rc)
        return rc;
    uint8_t key[32];
    rc = keystore_decrypt((const char *)b.p, b.len, path, password, key, NULL, e);
    buf_free(&b);
    if (rc == E_OK && (rc = signer_from_privkey(key, out, e)))
        err_prefix(e, "%s", path);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

/* --- writing ------------------------------------------------------------------- */

err_code keystore_encrypt(const struct signer *s, const char *password,
                          const struct keystore_scrypt_params *params, struct buf *out,
                          struct err *e)
{
    struct keystore_scrypt_params prm = params ? *params : KEYSTORE_SCRYPT_STANDARD;
    if (!password || !*password)
        return err_set(e, E_INVALID, "keystore: refusing to encrypt a key under an empty password");
    err_code rc = check_scrypt(prm.n, prm.r, prm.p, "keystore", e);
    if (rc)
        return rc;

    struct parsed k = {.kdf = KDF_SCRYPT, .n = prm.n, .r = prm.r, .p = prm.p, .salt_len = 32};
    uint8_t uuid[16];
    if (RAND_bytes(k.salt, 32) != 1 || RAND_bytes(k.iv, sizeof k.iv) != 1 ||
        RAND_bytes(uuid, sizeof uuid) != 1)
        return err_set(e, E_CRYPTO, "keystore: the random generator failed");
    /* RFC 9562 §5.4: UUID version 4, variant 10xx. */
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);

    uint8_t dk[DK_LEN], key[32];
    signer_export_privkey(s, key);
    struct hash32 mac;
    if ((rc = derive_key(&k, password, dk, "keystore", e)) ||
        (rc = aes128ctr(dk, k.iv, key, k.ciphertext, e)))
        goto out;
    compute_mac(dk, k.ciphertext, &mac);

    struct addr20 a;
    signer_address(s, &a);
    char addr_hex[41], ct_hex[65], iv_hex[33], salt_hex[65], mac_hex[65], u[33];
    hex_encode(a.b, 20, addr_hex);
    hex_encode(k.ciphertext, 32, ct_hex);
    hex_encode(k.iv, 16, iv_hex);
    hex_encode(k.salt, 32, salt_hex);
    hex_encode(mac.b, 32, mac_hex);
    hex_encode(uuid, 16, u);
    /* geth's layout and key names; every value is hex or a small integer, so
     * no JSON escaping is needed. */
    if (buf_printf(out,
                   "{\"address\":\"%s\",\"crypto\":{\"cipher\":\"aes-128-ctr\",\"ciphertext\":\"%s\","
                   "\"cipherparams\":{\"iv\":\"%s\"},\"kdf\":\"scrypt\",\"kdfparams\":{\"dklen\":32,"
                   "\"n\":%u,\"p\":%u,\"r\":%u,\"salt\":\"%s\"},\"mac\":\"%s\"},"
                   "\"id\":\"%.8s-%.4s-%.4s-%.4s-%.12s\",\"version\":3}\n",
                   addr_hex, ct_hex, iv_hex, prm.n, prm.p, prm.r, salt_hex, mac_hex, u, u + 8,
                   u + 12, u + 16, u + 20))
        rc = err_set(e, E_NOMEM, "keystore: out of memory");
out:
    OPENSSL_cleanse(dk, sizeof dk);
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

err_code keystore_write(const char *path, const struct signer *s, const char *password,
                        const struct keystore_scrypt_params *params, struct err *e)
{
    struct buf b = {0};
    err_code rc = keystore_encrypt(s, password, params, &b, e);
    if (rc == E_OK)
        rc = file_write_atomic(path, b.p, b.len, 0600, e);
    buf_free(&b);
    return rc;
}

/* --- passwords ----------------------------------------------------------------- */

static err_code password_finish(const char *p, size_t n, const char *what, char **out,
                                struct err *e)
{
    if (n == 0)
        return err_set(e, E_INVALID, "%s: the password is empty", what);
    if (memchr(p, 0, n))
        return err_set(e, E_INVALID, "%s: the password contains a NUL byte", what);
    if (n > KEYSTORE_MAX_PASSWORD)
        return err_set(e, E_LIMIT, "%s: the password is longer than %u bytes", what,
                       KEYSTORE_MAX_PASSWORD);
    char *r = malloc(n + 1);
    if (!r)
        return err_set(e, E_NOMEM, "out of memory");
    memcpy(r, p, n);
    r[n] = 0;
    *out = r;
    return E_OK;
}

static err_code password_from_file(const char *file, char **out, struct err *e)
{
    /* Read into one fixed buffer (wiped below) rather than a growable one, so
     * no reallocation leaves a copy of the password behind. Room for the
     * limit, a "\r\n" and one byte more to detect an oversized file. */
    char tmp[KEYSTORE_MAX_PASSWORD + 3];
    size_t n = 0;
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return err_set(e, errno == ENOENT ? E_NOT_FOUND : E_IO, "%s: cannot open password file: %s",
                       file, strerror(errno));
    err_code rc = E_OK;
    while (n < sizeof tmp) {
        ssize_t r = read(fd, tmp + n, sizeof tmp - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = err_set(e, E_IO, "%s: cannot read password file: %s", file, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (rc == E_OK) {
        if (n == sizeof tmp) {
            rc = err_set(e, E_LIMIT, "%s: password file is longer than %u bytes", file,
                         KEYSTORE_MAX_PASSWORD);
        } else {
            /* One trailing newline is what `echo pw > file` adds, not part of
             * the password. */
            if (n > 0 && tmp[n - 1] == '\n') {
                n--;
                if (n > 0 && tmp[n - 1] == '\r')
                    n--;
            }
            rc = password_finish(tmp, n, file, out, e);
        }
    }
    OPENSSL_cleanse(tmp, sizeof tmp);
    return rc;
}

err_code keystore_password_from_env_or_file(const char *file, const char *env_name, char **out,
                                            struct err *e)
{
    *out = NULL;
    if ((file == NULL) == (env_name == NULL))
        return err_set(e, E_INVALID,
                       "give the password either as a file or as an environment variable name");
    if (file)
        return password_from_file(file, out, e);
    const char *v = getenv(env_name);
    if (!v)
        return err_set(e, E_NOT_FOUND, "environment variable %.128s is not set", env_name);
    char what[160];
    snprintf(what, sizeof what, "environment variable %.128s", env_name);
    return password_finish(v, strlen(v), what, out, e);
}

void keystore_password_free(char *pw)
{
    if (!pw)
        return;
    OPENSSL_cleanse(pw, strlen(pw));
    free(pw);
}
