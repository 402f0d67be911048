/*
 * notary/store/hashidx.c — see hashidx.h. Open addressing with linear probing over
 * two parallel arrays: the digests (8 bytes, scanned by every probe, eight to
 * a cache line) and the ids (4 bytes, read only on a digest match). The
 * table doubles at 70% load; a digest's top bits are its home slot, so a
 * resize needs nothing but the digests.
 */
#include "notary/store/hashidx.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/rand.h>

struct hashidx {
    uint64_t *digest; /* 0 = empty slot */
    uint32_t *id;
    unsigned bits;    /* 2^bits slots */
    uint64_t count;
};

#define MIN_BITS 10

static uint64_t g_key[4];
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;

static void key_init(void)
{
    /* A fixed key would let an issuer precompute hashes that share a chain;
     * if the CSPRNG fails the index still works, only without that defence. */
    if (RAND_bytes((unsigned char *)g_key, sizeof g_key) != 1 &&
        getrandom(g_key, sizeof g_key, 0) != (ssize_t)sizeof g_key)
        memset(g_key, 0x5c, sizeof g_key);
}

/* The splitmix64 finaliser: a bijection in which every input bit reaches
 * every output bit. */
static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* A keyed 64-bit digest of the 32 bytes: each keyed word is absorbed and
 * the state fully mixed before the next, so no difference between two
 * hashes cancels out independently of the key (a multiply alone would let
 * a flipped top bit through unchanged). Not a cryptographic PRF: only
 * unpredictable to whoever lacks the key. Never 0. */
static uint64_t digest_of(const struct hash32 *h)
{
    uint64_t w[4];
    memcpy(w, h->b, sizeof w);
    uint64_t a = mix(w[0] ^ g_key[0]);
    a = mix(a ^ w[1] ^ g_key[1]);
    a = mix(a ^ w[2] ^ g_key[2]);
    a = mix(a ^ w[3] ^ g_key[3]);
    return a ? a : 1;
}

static inline uint64_t home(uint64_t digest, unsigned bits) { return digest >> (64 - bits); }

err_code hashidx_new(struct hashidx **out, struct err *e)
{
    pthread_once(&g_key_once, key_init);
    *out = NULL;
    struct hashidx *x = calloc(1, sizeof *x);
    if (!x || !(x->digest = calloc((size_t)1 << MIN_BITS, sizeof *x->digest)) ||
        !(x->id = malloc(((size_t)1 << MIN_BITS) * sizeof *x->id))) {
        hashidx_free(x);
        return err_set(e, E_NOMEM, "out of memory for a hash index");
    }
    x->bits = MIN_BITS;
    *out = x;
    return E_OK;
}

void hashidx_free(struct hashidx *x)
{
    if (!x)
        return;
    free(x->digest);
    free(x->id);
    free(x);
}

void hashidx_clear(struct hashidx *x)
{
    memset(x->digest, 0, ((size_t)1 << x->bits) * sizeof *x->digest);
    x->count = 0;
}

static void place(uint64_t *digest, uint32_t *id, unsigned bits, uint64_t d, uint32_t v)
{
    uint64_t mask = ((uint64_t)1 << bits) - 1, i = home(d, bits);
    while (digest[i])
        i = (i + 1) & mask;
    digest[i] = d;
    id[i] = v;
}

static err_code grow_to(struct hashidx *x, unsigned bits, struct err *e)
{
    if (bits >= 40)
        return err_set(e, E_LIMIT, "hash index too large");
    size_t slots = (size_t)1 << bits;
    uint64_t *d = calloc(slots, sizeof *d);
    uint32_t *id = malloc(slots * sizeof *id);
    if (!d || !id) {
        free(d);
        free(id);
        return err_set(e, E_NOMEM, "out of memory for a hash index of %zu slots", slots);
    }
    size_t old = (size_t)1 << x->bits;
    for (size_t i = 0; i < old; i++)
        if (x->digest[i])
            place(d, id, bits, x->digest[i], x->id[i]);
    free(x->digest);
    free(x->id);
    x->digest = d;
    x->id = id;
    x->bits = bits;
    return E_OK;
}

/* Slots needed for n entries at 70% load. */
static unsigned bits_for(uint64_t n)
{
    unsigned bits = MIN_BITS;
    while (bits < 63 && ((uint64_t)1 << bits) * 7 < n * 10)
        bits++;
    return bits;
}

err_code hashidx_reserve(struct hashidx *x, uint64_t more, struct err *e)
{
    if (more > UINT64_MAX / 16 - x->count)
        return err_set(e, E_LIMIT, "hash index too large");
    unsigned bits = bits_for(x->count + more);
    return bits > x->bits ? grow_to(x, bits, e) : E_OK;
}

err_code hashidx_add(struct hashidx *x, const struct hash32 *h, int64_t id, struct err *e)
{
    if (id < 0 || (uint64_t)id > HASHIDX_MAX_ID)
        return err_set(e, E_LIMIT, "row id %lld is beyond what the hash index holds",
                       (long long)id);
    /* Full (70%)? Only then work out the new size: this runs per hash. */
    err_code rc;
    if ((x->count + 1) * 10 > ((uint64_t)1 << x->bits) * 7 && (rc = hashidx_reserve(x, 1, e)))
        return rc;
    place(x->digest, x->id, x->bits, digest_of(h), (uint32_t)id);
    x->count++;
    return E_OK;
}

void hashidx_find(const struct hashidx *x, const struct hash32 *h, struct hashidx_iter *it)
{
    it->digest = digest_of(h);
    it->slot = home(it->digest, x->bits);
}

bool hashidx_next(const struct hashidx *x, struct hashidx_iter *it, int64_t *id)
{
    uint64_t mask = ((uint64_t)1 << x->bits) - 1;
    for (uint64_t d; (d = x->digest[it->slot]) != 0;) {
        uint64_t i = it->slot;
        it->slot = (it->slot + 1) & mask;
        if (d == it->digest) {
            *id = x->id[i];
            return true;
        }
    }
    return false;
}

uint64_t hashidx_count(const struct hashidx *x) { return x->count; }

size_t hashidx_bytes(const struct hashidx *x)
{
    return sizeof *x + ((size_t)1 << x->bits) * (sizeof *x->digest + sizeof *x->id);
}
