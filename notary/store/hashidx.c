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
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include <openssl/rand.h>

/* One open-addressing table: 2^bits slots. */
struct tab {
    uint64_t *digest; /* 0 = empty slot */
    uint32_t *id;
    unsigned bits;
    bool mapped; /* from mmap (large tables), else from calloc/malloc */
};

/* While `moving`, `old` is the table being emptied into `cur`: its slots
 * below `cursor` have been copied (they stay in place, unread, so the probe
 * chains through them are intact), the others are still only there. */
/* Before a move, from PREPARE_AT load on, the next (larger) table is
 * allocated and its pages made present before the move needs them: the
 * first write to a fresh page costs a page fault (~18 µs per 4 KiB measured
 * here), and the move's scattered writes into an untouched table of
 * hundreds of MB faulted on nearly every add. A filler thread does it
 * (MADV_POPULATE_WRITE, which never changes what the pages hold): touched
 * by the adds themselves, a few pages per add, the faults were 31% of
 * notary serve's CPU under bulk submission, all of it inside the writer's
 * hold of the index lock. Where the kernel lacks MADV_POPULATE_WRITE the
 * adds touch the pages as before (`next`, `touched` bytes so far). */
struct fill {
    pthread_t thread;
    uint8_t *p[2];
    size_t len[2];
    atomic_bool stop;
    atomic_int state; /* FILL_RUNNING, FILL_DONE, FILL_UNSUPPORTED */
};
struct hashidx {
    struct tab cur, old, next;
    bool moving;
    uint64_t cursor;
    uint64_t count; /* entries in cur plus those of old not yet copied */
    uint64_t touched, prep_from; /* bytes of next touched; count when it was allocated */
    struct fill *fill;           /* the filler of `next`, while it runs; or NULL */
};

#define MIN_BITS 10
/* Old slots copied per add while a table is being moved: with the move
 * started at 70% load into a table at least twice as large, the move ends
 * after (old slots / MOVE_STEP) adds, by when the new table holds at most
 * 0.7 + 1/MOVE_STEP of the old one's slots: below its own 70%. */
#define MOVE_STEP 4
/* The load (in tenths) at which the next table is prepared. */
#define PREPARE_AT 5
/* Tables whose digest array has at least this many bytes come from mmap, marked for
 * transparent huge pages (one fault per 2 MiB where the kernel allows). */
#define MAP_MIN ((size_t)2 << 20)
#define PAGE 4096
/* The filler makes this many bytes present per call, then checks whether
 * it should stop (one huge page). */
#define FILL_STEP ((size_t)2 << 20)
enum { FILL_RUNNING, FILL_DONE, FILL_UNSUPPORTED };

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

static void *arr_alloc(size_t bytes, bool map)
{
    if (!map)
        return calloc(1, bytes);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* a hint: without it, 4 KiB pages */
#endif
    return p;
}

static void arr_free(void *p, size_t bytes, bool mapped)
{
    if (p && mapped)
        munmap(p, bytes);
    else
        free(p);
}

static void tab_free(struct tab *t)
{
    size_t slots = (size_t)1 << t->bits;
    arr_free(t->digest, slots * sizeof *t->digest, t->mapped);
    arr_free(t->id, slots * sizeof *t->id, t->mapped);
    *t = (struct tab){0};
}

/* A zeroed table of 2^bits slots (large ones from mmap: the pages are
 * zeroed as they are first touched, not all at once here). */
static err_code tab_new(struct tab *t, unsigned bits, struct err *e)
{
    if (bits >= 40)
        return err_set(e, E_LIMIT, "hash index too large");
    size_t slots = (size_t)1 << bits;
    bool map = slots * sizeof *t->digest >= MAP_MIN;
    *t = (struct tab){.bits = bits, .mapped = map};
    t->digest = arr_alloc(slots * sizeof *t->digest, map);
    t->id = arr_alloc(slots * sizeof *t->id, map);
    if (!t->digest || !t->id) {
        arr_free(t->digest, slots * sizeof *t->digest, map);
        arr_free(t->id, slots * sizeof *t->id, map);
        *t = (struct tab){0};
        return err_set(e, E_NOMEM, "out of memory for a hash index of %zu slots", slots);
    }
    return E_OK;
}

static void *fill_main(void *arg)
{
    struct fill *f = arg;
    int state = FILL_DONE;
    for (int k = 0; k < 2 && state == FILL_DONE; k++)
        for (size_t off = 0; off < f->len[k] && !atomic_load(&f->stop); off += FILL_STEP) {
            size_t n = f->len[k] - off < FILL_STEP ? f->len[k] - off : FILL_STEP;
#ifdef MADV_POPULATE_WRITE
            if (madvise(f->p[k] + off, n, MADV_POPULATE_WRITE) == 0)
                continue;
#endif
            /* EINVAL: a kernel before 5.14; ENOMEM and the rest: the adds
             * touch the pages themselves, as they would without a filler. */
            state = FILL_UNSUPPORTED;
            break;
        }
    atomic_store(&f->state, state);
    return NULL;
}

/* Start the filler of the just-allocated mapped table `next`; false if it
 * could not start (the adds then touch the pages themselves). */
static bool fill_start(struct hashidx *x)
{
    struct fill *f = calloc(1, sizeof *f);
    if (!f)
        return false;
    size_t slots = (size_t)1 << x->next.bits;
    f->p[0] = (uint8_t *)x->next.digest;
    f->len[0] = slots * sizeof *x->next.digest;
    f->p[1] = (uint8_t *)x->next.id;
    f->len[1] = slots * sizeof *x->next.id;
    atomic_init(&f->stop, false);
    atomic_init(&f->state, FILL_RUNNING);
    if (pthread_create(&f->thread, NULL, fill_main, f) != 0) {
        free(f);
        return false;
    }
    x->fill = f;
    return true;
}

/* Stop the filler, if any, and wait for it (at most one FILL_STEP): before
 * `next` is used or freed. */
static void fill_stop(struct hashidx *x)
{
    if (!x->fill)
        return;
    atomic_store(&x->fill->stop, true);
    pthread_join(x->fill->thread, NULL);
    free(x->fill);
    x->fill = NULL;
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
    fill_stop(x);
    tab_free(&x->cur);
    tab_free(&x->old);
    tab_free(&x->next);
    free(x);
}

void hashidx_clear(struct hashidx *x)
{
    if (x->moving) {
        tab_free(&x->old);
        x->moving = false;
    }
    fill_stop(x);
    tab_free(&x->next);
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
 * way first: only when one table grows past another's size in one go);
 * the prepared next table if it has that size. */
static err_code start_move(struct hashidx *x, unsigned bits, struct err *e)
{
    struct tab t;
    err_code rc;
    fill_stop(x);
    if (x->next.digest && x->next.bits == bits) {
        t = x->next;
        x->next = (struct tab){0};
    } else {
        tab_free(&x->next);
        if ((rc = tab_new(&t, bits, e)))
            return rc;
    }
    if (x->moving)
        move_some(x, UINT64_MAX);
    x->old = x->cur;
    x->cur = t;
    x->cursor = 0;
    x->moving = true;
    return E_OK;
}

/* From PREPARE_AT load on (no move under way): allocate the next table,
 * then touch its pages in step with the adds, so that all are touched by
 * the time the current table is 60% full (before the move starts at 70%).
 * Best effort: without memory for it now, the move allocates later. */
static void prepare_some(struct hashidx *x)
{
    uint64_t slots = (uint64_t)1 << x->cur.bits;
    if (x->moving || x->count * 10 < slots * PREPARE_AT)
        return;
    if (!x->next.digest) {
        struct err ignored = {0};
        if (tab_new(&x->next, x->cur.bits + 1, &ignored))
            return;
        x->touched = 0;
        x->prep_from = x->count;
        if (x->next.mapped && fill_start(x))
            return;
    }
    if (x->fill) {
        if (atomic_load(&x->fill->state) != FILL_UNSUPPORTED)
            return; /* filling, or filled */
        fill_stop(x); /* the adds touch what it could not */
    }
    size_t dbytes = ((size_t)1 << x->next.bits) * sizeof *x->next.digest;
    size_t total = dbytes + ((size_t)1 << x->next.bits) * sizeof *x->next.id;
    if (x->touched >= total)
        return;
    /* The share of the adds from prep_from to 60% load done so far. */
    uint64_t span = slots * 6 / 10 - x->prep_from, done = x->count - x->prep_from;
    uint64_t want = span && done < span ? (uint64_t)((double)total * done / span) : total;
    for (; x->touched < want && x->touched < total; x->touched += PAGE) {
        volatile uint8_t *p = x->touched < dbytes
                                  ? (volatile uint8_t *)x->next.digest + x->touched
                                  : (volatile uint8_t *)x->next.id + (x->touched - dbytes);
        *p = 0; /* a fresh mapping reads as zero: writing one keeps it so */
    }
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
    else
        prepare_some(x);
    place(&x->cur, digest_of(h), (uint32_t)id);
    x->count++;
    return E_OK;
}

void hashidx_prefetch(const struct hashidx *x, const struct hash32 *h)
{
    uint64_t d = digest_of(h);
    __builtin_prefetch(&x->cur.digest[home(d, x->cur.bits)], 1);
    if (x->moving)
        __builtin_prefetch(&x->old.digest[home(d, x->old.bits)], 0);
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
           (x->moving ? ((size_t)1 << x->old.bits) * per : 0) +
           (x->next.digest ? ((size_t)1 << x->next.bits) * per : 0);
}
