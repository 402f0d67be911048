/* notary/service/tokens.c — see tokens.h. */
#include "notary/service/tokens.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "core/hash.h"

struct tokens {
    pthread_rwlock_t lock;
    struct store_token *v;
    size_t n;
};

err_code tokens_generate(char out[TOKENS_LEN + 1], struct err *e)
{
    uint8_t raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return err_set(e, E_CRYPTO, "the random number generator failed; no token was made");
    memcpy(out, TOKENS_PREFIX, 4);
    hex_encode(raw, sizeof raw, out + 4);
    out[TOKENS_LEN] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);
    return E_OK;
}

void tokens_hash(const char *token, size_t len, struct hash32 *out)
{
    if (sha256(token, len, out) != E_OK)
        memset(out->b, 0, sizeof out->b); /* matches nothing: stored hashes are real digests */
}

bool tokens_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > TOKENS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

err_code tokens_add(struct store *s, const char *name, char out[TOKENS_LEN + 1], struct err *e)
{
    if (!tokens_name_ok(name))
        return err_set(e, E_INVALID, "token name '%.80s': use 1 to 64 letters, digits, '.', '_' "
                                     "or '-'", name);
    err_code rc = tokens_generate(out, e);
    if (rc)
        return rc;
    struct hash32 h;
    tokens_hash(out, TOKENS_LEN, &h);
    if ((rc = store_token_add(s, name, &h, e)))
        OPENSSL_cleanse(out, TOKENS_LEN + 1);
    return rc;
}

err_code tokens_load(struct store *s, struct tokens **out, struct err *e)
{
    *out = NULL;
    struct tokens *t = calloc(1, sizeof *t);
    if (!t)
        return err_set(e, E_NOMEM, "out of memory");
    pthread_rwlock_init(&t->lock, NULL);
    err_code rc = store_token_list(s, &t->v, &t->n, e);
    if (rc) {
        tokens_free(t);
        return rc;
    }
    *out = t;
    return E_OK;
}

err_code tokens_reload(struct tokens *t, struct store *s, struct err *e)
{
    struct store_token *v;
    size_t n;
    err_code rc = store_token_list(s, &v, &n, e);
    if (rc)
        return rc;
    pthread_rwlock_wrlock(&t->lock);
    struct store_token *old = t->v;
    t->v = v;
    t->n = n;
    pthread_rwlock_unlock(&t->lock);
    free(old);
    return E_OK;
}

void tokens_free(struct tokens *t)
{
    if (!t)
        return;
    pthread_rwlock_destroy(&t->lock);
    free(t->v);
    free(t);
}

size_t tokens_count(struct tokens *t)
{
    pthread_rwlock_rdlock(&t->lock);
    size_t n = t->n;
    pthread_rwlock_unlock(&t->lock);
    return n;
}

bool tokens_check(struct tokens *t, const char *token, size_t len, char *name)
{
    struct hash32 h;
    tokens_hash(token, len, &h);
    bool found = false;
    size_t which = 0;
    pthread_rwlock_rdlock(&t->lock);
    /* Every entry is compared, whatever matched before: no early exit. */
    for (size_t i = 0; i < t->n; i++) {
        bool eq = CRYPTO_memcmp(h.b, t->v[i].hash.b, sizeof h.b) == 0;
        which = eq ? i : which;
        found |= eq;
    }
    if (found && name)
        memcpy(name, t->v[which].name, sizeof t->v[which].name);
    pthread_rwlock_unlock(&t->lock);
    OPENSSL_cleanse(&h, sizeof h);
    return found;
}
