/*
 * tests/unit/test_hashidx.c — the in-memory hash → row id index of the
 * SQLite store (notary/store/hashidx.h): every added hash is found with its id
 * through growth, absent hashes yield (almost) no candidates, duplicates
 * are all returned, chosen hashes that share their leading bytes still
 * find their own entries, and ids beyond 32 bits are refused.
 */
#include <stdlib.h>
#include <string.h>

#include "core/hash.h"
#include "notary/store/hashidx.h"
#include "tests/harness.h"

static void mk(struct hash32 *h, uint64_t i, uint32_t seed)
{
    uint64_t in[2] = {seed, i};
    if (sha256(in, sizeof in, h))
        abort();
}

/* Number of candidates of h, and whether `want` is among them. */
static size_t candidates(const struct hashidx *x, const struct hash32 *h, int64_t want, bool *has)
{
    struct hashidx_iter it;
    int64_t id;
    size_t n = 0;
    *has = false;
    hashidx_find(x, h, &it);
    while (hashidx_next(x, &it, &id)) {
        n++;
        *has |= id == want;
    }
    return n;
}

TEST(every_added_hash_is_found_through_growth)
{
    struct hashidx *x;
    struct err e = {0};
    CHECK_OK(hashidx_new(&x, &e), &e);
    enum { N = 200000 };
    struct hash32 h;
    for (int64_t i = 0; i < N; i++) {
        mk(&h, (uint64_t)i, 1);
        CHECK_OK(hashidx_add(x, &h, i * 3, &e), &e);
    }
    CHECK(hashidx_count(x) == N);
    /* Up to 40 bytes a hash, plus the table being moved out of, if any. */
    CHECK(hashidx_bytes(x) >= (size_t)N * 12 &&
          hashidx_bytes(x) <= (size_t)N * (hashidx_moving(x) ? 60 : 40));
    size_t lost = 0, extra = 0;
    for (int64_t i = 0; i < N; i++) {
        bool has;
        mk(&h, (uint64_t)i, 1);
        size_t n = candidates(x, &h, i * 3, &has);
        lost += !has;
        extra += n - has;
    }
    CHECKF(lost == 0, "%zu of %d added hashes not found", lost, N);
    CHECKF(extra == 0, "%zu stray candidates for added hashes", extra);
    size_t stray = 0;
    for (int64_t i = 0; i < N; i++) {
        bool has;
        mk(&h, (uint64_t)i, 2); /* never added */
        stray += candidates(x, &h, -1, &has);
    }
    /* 64-bit digests: a stray candidate has probability ~2^-60 here. */
    CHECKF(stray == 0, "%zu candidates for %d absent hashes", stray, N);
    hashidx_clear(x);
    bool has;
    mk(&h, 5, 1);
    CHECK(hashidx_count(x) == 0 && candidates(x, &h, 15, &has) == 0);
    hashidx_free(x);
}

TEST(duplicates_are_all_candidates_and_reserve_is_exact)
{
    struct hashidx *x;
    struct err e = {0};
    CHECK_OK(hashidx_new(&x, &e), &e);
    CHECK_OK(hashidx_reserve(x, 100000, &e), &e);
    size_t bytes = hashidx_bytes(x);
    struct hash32 h, d;
    mk(&d, 0, 9);
    for (int64_t i = 0; i < 100000; i++) {
        mk(&h, (uint64_t)i, 3);
        CHECK_OK(hashidx_add(x, i % 1000 == 0 ? &d : &h, i, &e), &e);
    }
    CHECK(hashidx_bytes(x) <= bytes && !hashidx_moving(x)); /* reserved: no growth on the way */
    struct hashidx_iter it;
    int64_t id, sum = 0;
    size_t n = 0;
    hashidx_find(x, &d, &it);
    while (hashidx_next(x, &it, &id)) {
        n++;
        sum += id;
    }
    CHECK(n == 100 && sum == 1000 * (99 * 100 / 2));
    hashidx_free(x);
}

/* Growth moves the entries a few per add (notary serve's writer holds the
 * index lock while it adds: a rehash of millions at once stalled every
 * submission for as long): the add that crosses 70% only starts the move,
 * and every entry, moved or not, is found at each step of it. */
TEST(growth_moves_entries_a_few_per_add_and_all_stay_found)
{
    struct hashidx *x;
    struct err e = {0};
    CHECK_OK(hashidx_new(&x, &e), &e);
    enum { N = 60000 };
    struct hash32 h;
    int64_t added = 0;
    size_t lost = 0, starts = 0, checks = 0;
    bool was = false;
    for (; added < N; added++) {
        mk(&h, (uint64_t)added, 7);
        CHECK_OK(hashidx_add(x, &h, added, &e), &e);
        bool now = hashidx_moving(x);
        starts += now && !was;
        was = now;
        /* In the middle of a move (and every 997 adds) look everything up. */
        if ((now && added % 997 == 0) || added % 9973 == 0) {
            checks++;
            for (int64_t i = 0; i <= added; i++) {
                bool has;
                mk(&h, (uint64_t)i, 7);
                size_t n = candidates(x, &h, i, &has);
                lost += !has || n != 1;
            }
        }
    }
    /* 1024 slots at first: it grew 7 times to hold 60,000 at 70%. */
    CHECKF(starts == 7, "%zu incremental moves started, expected 7", starts);
    CHECKF(lost == 0, "%zu lookups over %zu checks missed their entry", lost, checks);
    /* A reserve beyond the current table starts a move too, without losing any. */
    CHECK_OK(hashidx_reserve(x, 4 * N, &e), &e);
    CHECK(hashidx_moving(x) && hashidx_count(x) == N);
    for (int64_t i = 0; i < N; i++) {
        bool has;
        mk(&h, (uint64_t)i, 7);
        lost += candidates(x, &h, i, &has) != 1 || !has;
    }
    CHECKF(lost == 0, "%zu entries missed while a reserved table fills", lost);
    hashidx_clear(x);
    CHECK(!hashidx_moving(x) && hashidx_count(x) == 0);
    hashidx_free(x);
}

TEST(chosen_hashes_with_one_prefix_find_their_own_entries)
{
    /* An issuer picks hashes freely: 50,000 that share 24 leading bytes. */
    struct hashidx *x;
    struct err e = {0};
    CHECK_OK(hashidx_new(&x, &e), &e);
    struct hash32 h;
    memset(h.b, 0xab, 32);
    for (uint32_t i = 0; i < 50000; i++) {
        memcpy(h.b + 28, &i, 4);
        CHECK_OK(hashidx_add(x, &h, i, &e), &e);
    }
    size_t bad = 0;
    for (uint32_t i = 0; i < 50000; i++) {
        bool has;
        memcpy(h.b + 28, &i, 4);
        bad += candidates(x, &h, i, &has) != 1 || !has;
    }
    CHECKF(bad == 0, "%zu of 50000 chosen hashes without exactly their own entry", bad);
    hashidx_free(x);
}

TEST(ids_beyond_32_bits_are_refused)
{
    struct hashidx *x;
    struct err e = {0};
    CHECK_OK(hashidx_new(&x, &e), &e);
    struct hash32 h;
    mk(&h, 1, 1);
    CHECK_OK(hashidx_add(x, &h, HASHIDX_MAX_ID, &e), &e);
    CHECK_ERR(hashidx_add(x, &h, (int64_t)HASHIDX_MAX_ID + 1, &e), &e, E_LIMIT, "row id");
    CHECK_ERR(hashidx_add(x, &h, -1, &e), &e, E_LIMIT, "row id");
    CHECK(hashidx_count(x) == 1);
    CHECK_ERR(hashidx_reserve(x, UINT64_MAX, &e), &e, E_LIMIT, "too large");
    hashidx_free(x);
}

TEST(top_bit_flips_do_not_collide)
{
    /* A multiply passes a flipped top bit through unchanged: pairs that
     * differ only in the top bits of two 8-byte words must still get
     * different digests, i.e. not be each other's candidates. */
    struct hashidx *x;
    struct err e = {0};
    CHECK_OK(hashidx_new(&x, &e), &e);
    size_t bad = 0;
    for (uint64_t i = 0; i < 2000; i++) {
        struct hash32 h, g;
        mk(&h, i, 5);
        CHECK_OK(hashidx_add(x, &h, (int64_t)i, &e), &e);
        for (int a = 0; a < 4; a++)
            for (int b = a + 1; b < 4; b++) {
                g = h;
                g.b[8 * a + 7] ^= 0x80;
                g.b[8 * b + 7] ^= 0x80;
                bool has;
                bad += candidates(x, &g, (int64_t)i, &has) != 0;
            }
    }
    CHECKF(bad == 0, "%zu top-bit variants share a digest", bad);
    hashidx_free(x);
}

/* Tables of several MB are prepared ahead by a filler thread (pages made
 * present with MADV_POPULATE_WRITE while the adds go on), stopped and
 * joined before the table is used or freed: nothing added is lost, through
 * growth into prepared tables, a clear while a filler may run, and lookups
 * hinted with hashidx_prefetch (a hint only: no result changes). */
TEST(large_tables_prepared_in_the_background_lose_nothing)
{
    struct hashidx *x;
    struct err e = {0};
    CHECK_OK(hashidx_new(&x, &e), &e);
    enum { N = 700000, CLEAR_AT = 300000 };
    struct hash32 h;
    size_t lost = 0, stale = 0, checks = 0;
    int64_t base = 0; /* entries before it were cleared */
    for (int64_t i = 0; i < N; i++) {
        mk(&h, (uint64_t)i, 11);
        hashidx_prefetch(x, &h);
        CHECK_OK(hashidx_add(x, &h, i, &e), &e);
        if (i == CLEAR_AT) { /* the table for 2^20 slots is being prepared by now */
            hashidx_clear(x);
            base = i + 1;
            for (int64_t j = 0; j <= i; j += 101) {
                bool has;
                mk(&h, (uint64_t)j, 11);
                stale += candidates(x, &h, j, &has) != 0;
            }
        }
        if (i % 50000 == 49999)
            for (int64_t j = base; j <= i; j += 37) {
                bool has;
                mk(&h, (uint64_t)j, 11);
                hashidx_prefetch(x, &h);
                checks++;
                lost += candidates(x, &h, j, &has) != 1 || !has;
            }
    }
    CHECK(hashidx_count(x) == (uint64_t)(N - base));
    CHECKF(lost == 0, "%zu of %zu lookups missed their entry", lost, checks);
    CHECKF(stale == 0, "%zu cleared entries still found", stale);
    hashidx_free(x); /* with a filler possibly still running: joined here */
}
