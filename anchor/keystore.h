/*
 * anchor/keystore.h — Ethereum keystore v3 ("Web3 Secret Storage"), the key
 * file format geth, ethers and Besu tooling read and write.
 *
 * A keystore is a small JSON file holding a 32-byte secp256k1 key encrypted
 * with AES-128-CTR under a key derived from a password (scrypt, or
 * PBKDF2-HMAC-SHA256 on reading), plus a MAC = keccak256(dk[16..31] ‖
 * ciphertext) that tells a wrong password apart from a working one.
 *
 * Keystore files are untrusted input: the file is bounded (KEYSTORE_MAX_BYTES)
 * and parsed strictly (duplicate keys rejected), and the KDF parameters are
 * bounded before any work is done, so a hostile file cannot make us allocate
 * more than 1 GiB or spin for minutes. Every secret intermediate (derived key,
 * plaintext, password copies) is wiped with OPENSSL_cleanse before return.
 *
 * Passwords are bytes: we use them exactly as given (geth does the same;
 * ethers v6 NFKC-normalises first, which changes nothing for ASCII).
 * Passwords never come from argv: see keystore_password_from_env_or_file().
 */
#ifndef ANCHOR_KEYSTORE_H
#define ANCHOR_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "anchor/signer.h"
#include "core/bytes.h"
#include "core/error.h"

/* A keystore file larger than this is refused (real ones are ~500 bytes). */
#define KEYSTORE_MAX_BYTES (64 * 1024)

/* Bounds on what a keystore may ask of us when read. Memory for scrypt is
 * 128·r·N bytes; the combined cap keeps it at most 1 GiB (N = 2^20, r = 8),
 * while the geth default (N = 2^18, r = 8) needs 256 MiB. */
#define KEYSTORE_SCRYPT_MAX_N      (1u << 20)
#define KEYSTORE_SCRYPT_MAX_R      16u
#define KEYSTORE_SCRYPT_MAX_P      16u
#define KEYSTORE_SCRYPT_MAX_MEM    (1ull << 30) /* bytes: 128 · r · N */
/* ... and total mixing work, 128 · r · N · p bytes passed through the
 * memory-hard loop (a few seconds at most). */
#define KEYSTORE_SCRYPT_MAX_WORK   (1ull << 32)
#define KEYSTORE_PBKDF2_MAX_ITER   10000000u
/* Longest salt we accept (geth and ethers write 32 bytes). */
#define KEYSTORE_MAX_SALT          256u
/* Longest password read from a file or the environment. */
#define KEYSTORE_MAX_PASSWORD      1024u

/* scrypt cost parameters for writing: N (a power of two ≥ 2), r, p. */
struct keystore_scrypt_params {
    uint32_t n;
    uint32_t r;
    uint32_t p;
};

/* geth's "standard" parameters: 256 MiB and ~0.5–1 s per derivation. */
#define KEYSTORE_SCRYPT_STANDARD ((struct keystore_scrypt_params){262144u, 8u, 1u})
/* Cheap parameters for tests only (4 MiB, a few ms): never for real keys. */
#define KEYSTORE_SCRYPT_LIGHT ((struct keystore_scrypt_params){4096u, 8u, 1u})

/*
 * Decrypt a keystore held in memory (`len` bytes of `json`, need not be
 * NUL-terminated; `name` is used in messages only, e.g. the file name).
 *
 * Out: `privkey` gets the 32-byte secret key — the caller owns and must wipe
 * it (OPENSSL_cleanse); on failure it is zeroed. `addr` (may be NULL) gets
 * the address derived from the key. If the keystore has an "address" field
 * it must equal the derived address.
 *
 * Returns E_OK; E_LIMIT (file too big, KDF parameters beyond the bounds
 * above); E_INVALID (malformed JSON, duplicate keys, bad hex, wrong lengths,
 * missing fields, key not a valid secp256k1 scalar); E_UNSUPPORTED (version
 * ≠ 3, cipher ≠ aes-128-ctr, kdf not scrypt/pbkdf2, prf ≠ hmac-sha256,
 * dklen ≠ 32); E_VERIFY ("wrong password (MAC mismatch)", or an "address"
 * field that does not match the key); E_CRYPTO / E_NOMEM.
 */
err_code keystore_decrypt(const char *json, size_t len, const char *name, const char *password,
                          uint8_t privkey[32], struct addr20 *addr, struct err *e) MUST_CHECK;

/*
 * Read and decrypt the keystore file at `path`, as keystore_decrypt(). Does
 * not check the file mode (keystore_load_signer() does). E_NOT_FOUND / E_IO
 * for file errors.
 */
err_code keystore_read(const char *path, const char *password, uint8_t privkey[32],
                       struct addr20 *addr, struct err *e) MUST_CHECK;

/*
 * Load a signer from the keystore at `path`. Refuses (E_STATE) a file that is
 * not a regular file or whose mode grants any access to group or other
 * ("key.json: mode 0644 is too open; run chmod 600 key.json"); the mode is
 * checked on the opened descriptor, so it is the file we then read. The key
 * passes from the decrypted buffer into the signer and the buffer is wiped.
 * On success *out is a new signer the caller frees with signer_free(); on
 * failure *out is NULL. Errors as keystore_read().
 */
err_code keystore_load_signer(const char *path, const char *password, struct signer **out,
                              struct err *e) MUST_CHECK;

/*
 * Encrypt the key of `s` under `password` into a new keystore v3 JSON
 * document (appended to `out`, which the caller frees with buf_free()):
 * scrypt with `params` (NULL = KEYSTORE_SCRYPT_STANDARD; must lie within the
 * read bounds above, else E_INVALID / E_LIMIT), dklen 32, a random 32-byte
 * salt and 16-byte IV (RAND_bytes), aes-128-ctr, a random UUID v4 "id", and
 * "address" as 40 lowercase hex digits without 0x — the layout geth writes,
 * which ethers and geth both open. An empty password is refused (E_INVALID).
 */
err_code keystore_encrypt(const struct signer *s, const char *password,
                          const struct keystore_scrypt_params *params, struct buf *out,
                          struct err *e) MUST_CHECK;

/*
 * keystore_encrypt() and write the result to `path` atomically with mode
 * 0600 (temp file → fsync → rename → fsync(dir)). E_IO on file errors; the
 * previous file, if any, is then unchanged.
 */
err_code keystore_write(const char *path, const struct signer *s, const char *password,
                        const struct keystore_scrypt_params *params, struct err *e) MUST_CHECK;

/*
 * Get a password without it ever appearing on a command line. Exactly one of
 * `file` and `env_name` must be non-NULL:
 *  - `file`: the file's contents, with one trailing "\n" (or "\r\n") removed;
 *    at most KEYSTORE_MAX_PASSWORD bytes (E_LIMIT beyond);
 *  - `env_name`: the value of that environment variable (E_NOT_FOUND if it
 *    is not set).
 * An empty password or one containing a NUL byte is refused (E_INVALID).
 * On success *out is a new NUL-terminated string the caller releases with
 * keystore_password_free() (which wipes it); on failure *out is NULL.
 * Messages name the file or variable, never the password.
 */
err_code keystore_password_from_env_or_file(const char *file, const char *env_name, char **out,
                                            struct err *e) MUST_CHECK;

/* Wipe and free a password from keystore_password_from_env_or_file(). NULL is
 * fine. */
void keystore_password_free(char *pw);

#endif
