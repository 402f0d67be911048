/*
 * notary/store/hashidx.c — see hashidx.h. Open addressing with linear probing over
 * two parallel arrays: the digests (8 bytes, scanned by every probe, eight to
 * a cache line) and the ids (4 bytes, read only on a digest match). The
 * table doubles at 70% load; a digest's top bits are its home slot, so a
 * resize needs nothing but the digests. A resize is incremental: each add
 * copies MOVE_STEP slots of the old table into the new one, and lookups
 * probe both until the old one is empty, so no single add pays for
 * rehashing the whole index (that stalled notary serve's writer, holding
 * the index lock, for as long as a rehash of millions of entries took).
 */
#include "notary/store/hashidx.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/rand.h>

/* One open-addressing table: 2^bits slots. */
struct tab {
    uint64_t *digest; /* 0 = empty slot */
    uint32_t *id;
    unsigned bits;
};

/* While `moving`, `old` is the table being emptied into `cur`: its slots
 * below `cursor` have been copied (they stay in place, unread, so the probe
 * chains through them are intact), the others are still only there. */
struct hashidx {
    struct tab cur, old;
    bool moving;
    uint64_t cursor;
    uint64_t count; /* entries in cur plus those of old not yet copied */
};

#define MIN_BITS 10
/* Old slots copied per add while a table is being moved: with the move
 * started at 70% load into a table at least twice as large, the move ends
 * after (old slots / MOVE_STEP) adds, by when the new table holds at most
 * 0.7 + 1/MOVE_STEP of the old one's slots: below its own 70%. */
#define MOVE_STEP 4

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

static void tab_free(struct tab *t)
{
    free(t->digest);
    free(t->id);
    *t = (struct tab){0};
}

/* A zeroed table of 2^bits slots (calloc: large ones come from mmap, so the
 * pages are zeroed as they are first touched, not all at once here). */
static err_code tab_new(struct tab *t, unsigned bits, struct err *e)
{
    if (bits >= 40)
        return err_set(e, E_LIMIT, "hash index too large");
    size_t slots = (size_t)1 << bits;
    t->digest = calloc(slots, sizeof *t->digest);
    t->id = malloc(slots * sizeof *t->id);
    t->bits = bits;
    if (!t->digest || !t->id) {
        tab_free(t);
        return err_set(e, E_NOMEM, "out of memory for a hash index of %zu slots", slots);
    }
    return E_OK;
}

err_code hashidx_new(struct hashidx **out, struct err *e)
{
    pthread_once(&g_key_once, key_init);
    *out = NULL;
    struct hashidx *x = calloc(1, sizeof *x);
    if (!x)
        return err_set(e, E_NOMEM, "out of memory for a hash index");
    err_code rc = tab_new(&x->cur, MIN_BITS, e);
    if (rc) {
        free(x);
        return rc;
    }
    *out = x;
    return E_OK;
}

void hashidx_free(struct hashidx *x)
{
    if (!x)
        return;
    tab_free(&x->cur);
    tab_free(&x->old);
    free(x);
}

void hashidx_clear(struct hashidx *x)
{
    if (x->moving) {
        tab_free(&x->old);
        x->moving = false;
    }
    memset(x->cur.digest, 0, ((size_t)1 << x->cur.bits) * sizeof *x->cur.digest);
    x->count = 0;
}

static void place(struct tab *t, uint64_t d, uint32_t v)
{
    uint64_t mask = ((uint64_t)1 << t->bits) - 1, i = home(d, t->bits);
    while (t->digest[i])
        i = (i + 1) & mask;
    t->digest[i] = d;
    t->id[i] = v;
}

/* Copy up to `k` more slots of the old table; free it when all are. */
static void move_some(struct hashidx *x, uint64_t k)
{
    uint64_t slots = (uint64_t)1 << x->old.bits, end = x->cursor + k;
    if (end > slots || end < x->cursor)
        end = slots;
    for (uint64_t i = x->cursor; i < end; i++)
        if (x->old.digest[i])
            place(&x->cur, x->old.digest[i], x->old.id[i]);
    x->cursor = end;
    if (end == slots) {
        tab_free(&x->old);
        x->moving = false;
    }
}

/* Start moving into a new table of 2^bits slots (finishing a move under
 * way first: only when one table grows past another's size in one go). */
static err_code start_move(struct hashidx *x, unsigned bits, struct err *e)
{
    struct tab t;
    err_code rc = tab_new(&t, bits, e);
    if (rc)
        return rc;
    if (x->moving)
        move_some(x, UINT64_MAX);
    x->old = x->cur;
    x->cur = t;
    x->cursor = 0;
    x->moving = true;
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
    return bits > x->cur.bits ? start_move(x, bits, e) : E_OK;
}

err_code hashidx_add(struct hashidx *x, const struct hash32 *h, int64_t id, struct err *e)
{
    if (id < 0 || (uint64_t)id > HASHIDX_MAX_ID)
        return err_set(e, E_LIMIT, "row id %lld is beyond what the hash index holds",
                       (long long)id);
    /* Full (70%)? Only then work out the new size: this runs per hash. */
    err_code rc;
    if ((x->count + 1) * 10 > ((uint64_t)1 << x->cur.bits) * 7 &&
        (rc = start_move(x, x->cur.bits + 1, e)))
        return rc;
    if (x->moving)
        move_some(x, MOVE_STEP);
    place(&x->cur, digest_of(h), (uint32_t)id);
    x->count++;
    return E_OK;
}

void hashidx_find(const struct hashidx *x, const struct hash32 *h, struct hashidx_iter *it)
{
    it->digest = digest_of(h);
    it->slot = home(it->digest, x->cur.bits);
    it->in_old = false;
}

bool hashidx_next(const struct hashidx *x, struct hashidx_iter *it, int64_t *id)
{
    for (;;) {
        const struct tab *t = it->in_old ? &x->old : &x->cur;
        uint64_t mask = ((uint64_t)1 << t->bits) - 1;
        for (uint64_t d; (d = t->digest[it->slot]) != 0;) {
            uint64_t i = it->slot;
            it->slot = (it->slot + 1) & mask;
            /* An old slot below the cursor was copied: cur yielded it. */
            if (d == it->digest && (!it->in_old || i >= x->cursor)) {
                *id = t->id[i];
                return true;
            }
        }
        if (it->in_old || !x->moving)
            return false;
        it->in_old = true;
        it->slot = home(it->digest, x->old.bits);
    }
}

uint64_t hashidx_count(const struct hashidx *x) { return x->count; }

bool hashidx_moving(const struct hashidx *x) { return x->moving; }

size_t hashidx_bytes(const struct hashidx *x)
{
    size_t per = sizeof *x->cur.digest + sizeof *x->cur.id;
    return sizeof *x + ((size_t)1 << x->cur.bits) * per +
           (x->moving ? ((size_t)1 << x->old.bits) * per : 0);
}
