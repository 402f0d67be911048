/*
 * notary/service/tokens.h — bearer tokens for the issuer endpoints of `notary serve`.
 *
 * A token is "ntk_" followed by 64 hex digits (32 bytes from the OpenSSL
 * CSPRNG). It is shown once, when created; the store keeps only its
 * SHA-256 (notary/store/store.h api_tokens), so a copy of the database or a
 * backup grants no access. A presented token is hashed and compared with
 * every stored hash in constant time (CRYPTO_memcmp, no early exit), so
 * the time taken says nothing about how close a guess was.
 *
 * Ownership: tokens_load() returns a set freed by tokens_free(). The set
 * may be reloaded (tokens_reload) while other threads check against it.
 */
#ifndef NOTARY_TOKENS_H
#define NOTARY_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

#include "notary/store/store.h"

#define TOKENS_PREFIX "ntk_"
/* Length of a token string (without the NUL). */
#define TOKENS_LEN (4 + 64)
/* Longest token name. */
#define TOKENS_NAME_MAX 64

struct tokens;

/* A new random token string into out (TOKENS_LEN + 1 bytes, NUL-terminated).
 * E_CRYPTO if the CSPRNG fails. The caller wipes it after showing it. */
err_code tokens_generate(char out[TOKENS_LEN + 1], struct err *e) MUST_CHECK;

/* SHA-256 of a token string (what the store keeps). */
void tokens_hash(const char *token, size_t len, struct hash32 *out);

/* A token name is 1..64 of [A-Za-z0-9._-] (it appears in logs). */
bool tokens_name_ok(const char *name);

/* Create a token named `name`: generate, store its hash, return the string
 * in `out` (shown once). E_INVALID for a bad name, E_STATE if it exists. */
err_code tokens_add(struct store *s, const char *name, char out[TOKENS_LEN + 1],
                    struct err *e) MUST_CHECK;

/* Load every stored token hash into a new set. */
err_code tokens_load(struct store *s, struct tokens **out, struct err *e) MUST_CHECK;
/* Replace the set's contents with the store's current tokens (new tokens
 * start working, removed ones stop). On error the old contents stay. */
err_code tokens_reload(struct tokens *t, struct store *s, struct err *e) MUST_CHECK;
void tokens_free(struct tokens *t);
/* Number of tokens in the set. */
size_t tokens_count(struct tokens *t);

/* Does `token` (len bytes, untrusted) match a stored token? If so and
 * `name` is non-NULL, the token's name is copied there (TOKENS_NAME_MAX + 1
 * bytes). Constant time in the token's content. */
bool tokens_check(struct tokens *t, const char *token, size_t len, char *name);

#endif
