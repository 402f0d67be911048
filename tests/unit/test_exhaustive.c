/*
 * tests/unit/test_exhaustive.c — exhaustive checks of RFC 9162 proofs in small
 * trees: every (index, size) with size ≤ 256 and every consistency pair
 * (m, n) with n ≤ 128. Each generated proof must verify, and each of six
 * mutations must be rejected, every single one:
 *
 *   1. bit flip     one bit flipped in each path hash in turn
 *   2. extra hash   a hash appended, and one prepended
 *   3. missing hash the last hash dropped, and the first
 *   4. swap         each pair of adjacent path hashes swapped (where they differ)
 *   5. index ± 1    the same path claimed for the neighbouring leaf, both
 *                   directions where that leaf exists (consistency: m ± 1,
 *                   with the old first root and with the true one of m ± 1)
 *   6. size change  the same path claimed for another tree size that alters
 *                   how the path is walked: the nearest such size below and
 *                   above (consistency: n ± 1, and the nearest m' that alters
 *                   the walk)
 *
 * Why "alters the path" in 6: RFC 9162 §2.1.3.2 uses the size only to decide
 * the path length and, per hash, whether it is a left or a right sibling. Two
 * sizes that give the same length and the same left/right sequence give the
 * same computed root, so the same path verifies for both: leaf 0 of a tree
 * of 3 has the path [leaf1, leaf2] and the walk NODE(NODE(leaf0, leaf1),
 * leaf2), exactly as for leaf 0 of a tree of 4 with path [leaf1, NODE(2,3)].
 * That is why the verifier takes the size from the anchored record and never
 * from the bundle alone (docs/design.md); test `same_walk_sizes_verify_alike`
 * pins this down so nobody "fixes" it by trusting a bundle's size.
 *
 * One counted case per tree size (per n for consistency); a failing case
 * names the first offending mutation. Counts are printed at the end.
 *
 * The tree is built on 1 thread first; the inclusion and consistency suites
 * then run again over the same leaves built on 2 and on 3 threads
 * (merkle_tree_build_threads: shares of 16- and 8-leaf subtrees, so share
 * boundaries fall inside every size above 16), after checking that every
 * prefix root equals the 1-thread tree's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/bytes.h"
#include "core/hash.h"
#include "core/merkle.h"
#include "tests/harness.h"

enum {
    MAX_INC = 256,              /* inclusion: every size up to this */
    MAX_CON = 128,              /* consistency: every n up to this */
    NLEAVES = MAX_INC + 2,      /* room for size + 1 (and a spare) */
};

static struct hash32 g_d[NLEAVES];          /* credential hashes */
static struct hash32 g_leaf[NLEAVES];       /* their leaf hashes */
static struct hash32 g_root[NLEAVES + 1];   /* g_root[s]: root of the first s leaves */
static struct merkle_tree *g_tree;

static void teardown(void)
{
    merkle_tree_free(g_tree);
}

/* Rebuild g_tree over the same leaves on `threads` threads; true if every
 * prefix root equals the 1-thread tree's (g_root). */
static bool rebuild_on(unsigned threads)
{
    struct err e = {0};
    struct merkle_tree *t = NULL;
    /* Into fresh memory while the old tree still holds its own, so no node
     * can be left over from the earlier build. */
    if (merkle_tree_build_threads(g_d, NLEAVES, threads, NULL, &t, &e) != E_OK)
        return false;
    merkle_tree_free(g_tree);
    g_tree = t;
    for (uint64_t s = 1; s <= NLEAVES; s++) {
        struct hash32 r;
        if (merkle_tree_root_at(g_tree, s, &r, &e) != E_OK || !hash32_eq(&r, &g_root[s]))
            return false;
    }
    return true;
}

static bool setup(void)
{
    if (g_tree)
        return true;
    for (uint32_t i = 0; i < NLEAVES; i++) {
        uint8_t in[8] = {'e', 'x', 'h', 0};
        memcpy(in + 4, &i, 4);
        if (sha256(in, sizeof in, &g_d[i]) != E_OK)
            return false;
        merkle_leaf_hash(&g_d[i], &g_leaf[i]);
    }
    struct err e = {0};
    if (merkle_tree_build_threads(g_d, NLEAVES, 1, NULL, &g_tree, &e) != E_OK)
        return false;
    atexit(teardown);
    for (uint64_t s = 1; s <= NLEAVES; s++)
        if (merkle_tree_root_at(g_tree, s, &g_root[s], &e) != E_OK)
            return false;
    return true;
}

/* The walk RFC 9162 §2.1.3.2 makes for (index, size): the path length and,
 * per hash, whether it is a left sibling (bit set). -1 length if index ≥ size. */
struct walk {
    int len;
    uint64_t left;
};

static struct walk walk_of(uint64_t index, uint64_t size)
{
    struct walk w = {merkle_path_length(index, size), 0};
    if (w.len < 0)
        return w;
    uint64_t fn = index, sn = size - 1;
    for (int i = 0; i < w.len; i++) {
        if ((fn & 1) || fn == sn) {
            w.left |= (uint64_t)1 << i;
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        }
        fn >>= 1;
        sn >>= 1;
    }
    return w;
}

/* The walk RFC 9162 §2.1.4.2 makes for a consistency proof (m, n), m < n:
 * the proof length, whether m is a power of two (root1 is then the implicit
 * first hash: bit 63) and, per hash after the first, whether it is combined
 * into both running roots (a left sibling, bit set) or the second only.
 * len -2 for m == n (an empty proof, the roots compared as they are). */
static struct walk con_walk(uint64_t m, uint64_t n)
{
    struct walk w = {-2, 0};
    if (m == n)
        return w;
    bool pow2 = (m & (m - 1)) == 0;
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    int i = 0;
    for (; sn != 0; i++) {
        if ((fn & 1) || fn == sn) {
            w.left |= (uint64_t)1 << i;
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        }
        fn >>= 1;
        sn >>= 1;
    }
    w.len = i + (pow2 ? 0 : 1);
    if (pow2)
        w.left |= (uint64_t)1 << 63;
    return w;
}

static bool same_walk(struct walk a, struct walk b)
{
    return a.len == b.len && a.left == b.left;
}

/* Counters for the final report. */
static uint64_t n_inc_proofs, n_inc_mut, n_con_proofs, n_con_mut, n_same_walk;

/* REJECT_COUNTED(counter, call, fmt, ...): one mutation, counted in
 * `counter`; `call` must reject it (E_VERIFY), else the case function fills
 * its `why` (of `whylen` bytes) from fmt and returns false. Each case
 * function defines REJECT(call, fmt, ...) over it with its own counter. */
#define REJECT_COUNTED(counter, call, ...)                                                         \
    do {                                                                                           \
        (counter)++;                                                                               \
        if ((call) != E_VERIFY) {                                                                  \
            snprintf(why, whylen, __VA_ARGS__);                                                    \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

/* A proof under test for the mutations of its hashes both kinds share:
 * verify(ctx, p, len) runs the verifier on a mutated list; a mutation it
 * accepts is reported as "<who> <id>: ...", counted in *counter. */
struct mut_target {
    err_code (*verify)(const void *ctx, const struct hash32 *p, size_t len);
    const void *ctx;
    const char *who, *list; /* "index" and "path", or "m" and "proof" */
    uint64_t id;
    uint64_t *counter;
};

/* Mutations 2 to 4 of a proof's `len` hashes: an extra hash appended and
 * prepended, the last and the first dropped, adjacent hashes swapped.
 * Returns false with `why` filled on the first one accepted. */
static bool shape_mutations(const struct mut_target *t, const struct hash32 *list, size_t len,
                            char *why, size_t whylen)
{
    struct hash32 m[MERKLE_MAX_PATH + 1];
#define REJECT_SHAPE(p, l, ...)                                                                    \
    do {                                                                                           \
        (*t->counter)++;                                                                           \
        if (t->verify(t->ctx, (p), (l)) != E_VERIFY) {                                             \
            int k_ = snprintf(why, whylen, "%s %llu: ", t->who, (unsigned long long)t->id);        \
            snprintf(why + k_, whylen - (size_t)k_, __VA_ARGS__);                                  \
            return false;                                                                          \
        }                                                                                          \
    } while (0)
    /* 2. an extra hash, appended and prepended */
    memcpy(m, list, len * sizeof *m);
    m[len] = g_d[0];
    REJECT_SHAPE(m, len + 1, "extra hash appended accepted");
    m[0] = g_d[1];
    memcpy(m + 1, list, len * sizeof *m);
    REJECT_SHAPE(m, len + 1, "extra hash prepended accepted");
    /* 3. a missing hash, last and first */
    if (len > 0) {
        REJECT_SHAPE(list, len - 1, "last hash dropped accepted");
        REJECT_SHAPE(list + 1, len - 1, "first hash dropped accepted");
    }
    /* 4. adjacent hashes swapped */
    for (size_t j = 0; j + 1 < len; j++) {
        if (hash32_eq(&list[j], &list[j + 1]))
            continue; /* the swap changes nothing */
        memcpy(m, list, len * sizeof *m);
        m[j] = list[j + 1];
        m[j + 1] = list[j];
        REJECT_SHAPE(m, len, "%s[%zu] and %s[%zu] swapped accepted", t->list, j, t->list, j + 1);
    }
#undef REJECT_SHAPE
    return true;
}

/* ---- inclusion ------------------------------------------------------------ */

struct inc_args {
    const struct hash32 *leaf, *root;
    uint64_t index, size;
    struct err *e;
};

static err_code inc_verify(const void *ctx, const struct hash32 *p, size_t len)
{
    const struct inc_args *a = ctx;
    return merkle_verify_inclusion(a->leaf, a->index, a->size, p, len, a->root, a->e);
}

/* Every mutation of the proof for (index, size); returns false and fills
 * `why` on the first one that is accepted (or a good proof rejected). */
static bool inclusion_case(uint64_t index, uint64_t size, char *why, size_t whylen)
{
    struct hash32 path[MERKLE_MAX_PATH], m[MERKLE_MAX_PATH + 1];
    size_t len;
    struct err e = {0};
    const struct hash32 *leaf = &g_leaf[index], *root = &g_root[size];
#define REJECT(call, ...) REJECT_COUNTED(n_inc_mut, call, __VA_ARGS__)

    if (merkle_tree_inclusion_proof(g_tree, index, size, path, &len, &e) != E_OK ||
        merkle_verify_inclusion(leaf, index, size, path, len, root, &e) != E_OK) {
        snprintf(why, whylen, "index %llu: the generated proof does not verify: %s",
                 (unsigned long long)index, e.msg);
        return false;
    }
    n_inc_proofs++;

    /* 1. a bit flip in each path hash (a different bit each time) */
    for (size_t j = 0; j < len; j++) {
        memcpy(m, path, len * sizeof *m);
        m[j].b[(j * 5 + index) % 32] ^= (uint8_t)(1u << ((j + index) % 8));
        REJECT(merkle_verify_inclusion(leaf, index, size, m, len, root, &e),
               "index %llu: bit flip in path[%zu] accepted", (unsigned long long)index, j);
    }
    /* 2 to 4: extra, missing and swapped siblings */
    struct inc_args args = {leaf, root, index, size, &e};
    struct mut_target t = {inc_verify, &args, "index", "path", index, &n_inc_mut};
    if (!shape_mutations(&t, path, len, why, whylen))
        return false;
    /* 5. index ± 1 (the same leaf and path claimed at the neighbouring index) */
    if (index > 0)
        REJECT(merkle_verify_inclusion(leaf, index - 1, size, path, len, root, &e),
               "index %llu claimed as %llu accepted", (unsigned long long)index,
               (unsigned long long)index - 1);
    if (index + 1 < size)
        REJECT(merkle_verify_inclusion(leaf, index + 1, size, path, len, root, &e),
               "index %llu claimed as %llu accepted", (unsigned long long)index,
               (unsigned long long)index + 1);
    /* 6. the nearest sizes below and above whose walk differs */
    struct walk w = walk_of(index, size);
    for (int dir = -1; dir <= 1; dir += 2) {
        for (uint64_t s = size + (uint64_t)dir; s > index && s <= NLEAVES; s += (uint64_t)dir) {
            if (same_walk(walk_of(index, s), w)) {
                n_same_walk++;
                continue;
            }
            REJECT(merkle_verify_inclusion(leaf, index, s, path, len, root, &e),
                   "index %llu: size %llu claimed as %llu accepted", (unsigned long long)index,
                   (unsigned long long)size, (unsigned long long)s);
            break;
        }
    }
#undef REJECT
    return true;
}

/* A case function: every mutation of the proof for (a, size); false with
 * `why` filled on the first failure. */
typedef bool (*case_fn)(uint64_t a, uint64_t size, char *why, size_t whylen);

/* fn(a, size) for every size 1..max and a from `first` to size - 1 + first
 * (the cases stop at a size's first failure): one t_case named `what` per
 * size, whose failure reads "<size_name> N: <why>". */
static void every_case(const char *what, const char *size_name, uint64_t max, uint64_t first,
                       case_fn fn)
{
    for (uint64_t size = 1; size <= max; size++) {
        char why[700] = "";
        bool ok = true;
        for (uint64_t a = first; a < size + first && ok; a++)
            ok = fn(a, size, why, sizeof why);
        t_case(ok, what, "%s %llu: %s", size_name, (unsigned long long)size, why);
    }
}

static unsigned n_inc_passes, n_con_passes;

TEST(every_inclusion_proof_and_all_six_mutations)
{
    CHECK(setup());
    every_case("inclusion", "size", MAX_INC, 0, inclusion_case);
    n_inc_passes++;
}

/* ---- consistency ------------------------------------------------------------ */

struct con_args {
    const struct hash32 *r1, *r2;
    uint64_t m1, n;
    struct err *e;
};

static err_code con_verify(const void *ctx, const struct hash32 *p, size_t len)
{
    const struct con_args *a = ctx;
    return merkle_verify_consistency(a->m1, a->n, a->r1, a->r2, p, len, a->e);
}

static bool consistency_case(uint64_t m1, uint64_t n, char *why, size_t whylen)
{
    struct hash32 proof[MERKLE_MAX_PATH], m[MERKLE_MAX_PATH + 1];
    size_t len;
    struct err e = {0};
    const struct hash32 *r1 = &g_root[m1], *r2 = &g_root[n];
#define REJECT(call, ...) REJECT_COUNTED(n_con_mut, call, __VA_ARGS__)

    if (merkle_tree_consistency_proof(g_tree, m1, n, proof, &len, &e) != E_OK ||
        merkle_verify_consistency(m1, n, r1, r2, proof, len, &e) != E_OK) {
        snprintf(why, whylen, "m %llu: the generated proof does not verify: %s",
                 (unsigned long long)m1, e.msg);
        return false;
    }
    n_con_proofs++;
    struct walk w = con_walk(m1, n);
    if (w.len != (m1 == n ? -2 : (int)len)) {
        snprintf(why, whylen, "m %llu: proof of %zu hashes, the walk needs %d",
                 (unsigned long long)m1, len, w.len);
        return false;
    }

    /* 1. a bit flip in each proof hash, and in either root */
    for (size_t j = 0; j < len; j++) {
        memcpy(m, proof, len * sizeof *m);
        m[j].b[(j * 3 + m1) % 32] ^= (uint8_t)(1u << ((j + n) % 8));
        REJECT(merkle_verify_consistency(m1, n, r1, r2, m, len, &e),
               "m %llu: bit flip in proof[%zu] accepted", (unsigned long long)m1, j);
    }
    struct hash32 bad1 = *r1, bad2 = *r2;
    bad1.b[m1 % 32] ^= 0x10;
    bad2.b[n % 32] ^= 0x01;
    REJECT(merkle_verify_consistency(m1, n, &bad1, r2, proof, len, &e),
           "m %llu: bit flip in the first root accepted", (unsigned long long)m1);
    REJECT(merkle_verify_consistency(m1, n, r1, &bad2, proof, len, &e),
           "m %llu: bit flip in the second root accepted", (unsigned long long)m1);
    /* 2 to 4: extra, missing and swapped hashes */
    struct con_args args = {r1, r2, m1, n, &e};
    struct mut_target t = {con_verify, &args, "m", "proof", m1, &n_con_mut};
    if (!shape_mutations(&t, proof, len, why, whylen))
        return false;
    /* 5. m ± 1: the proof claimed for a neighbouring first size with that
     *    size's true root; and with the old first root for the nearest
     *    first sizes whose walk differs (a size with the same walk computes
     *    the same roots: see the top of this file) */
    for (int dir = -1; dir <= 1; dir += 2) {
        uint64_t mm = m1 + (uint64_t)dir;
        if (mm >= 1 && mm <= n && !(mm == n && len == 0))
            REJECT(merkle_verify_consistency(mm, n, &g_root[mm], r2, proof, len, &e),
                   "m %llu claimed as %llu (its root) accepted", (unsigned long long)m1,
                   (unsigned long long)mm);
        for (; mm >= 1 && mm <= n; mm += (uint64_t)dir) {
            if (same_walk(con_walk(mm, n), w)) {
                n_same_walk++;
                continue;
            }
            REJECT(merkle_verify_consistency(mm, n, r1, r2, proof, len, &e),
                   "m %llu claimed as %llu (old root) accepted", (unsigned long long)m1,
                   (unsigned long long)mm);
            break;
        }
    }
    /* 6. the nearest second sizes below and above whose walk differs */
    for (int dir = -1; dir <= 1; dir += 2) {
        for (uint64_t nn = n + (uint64_t)dir; nn >= m1 && nn <= NLEAVES; nn += (uint64_t)dir) {
            if (same_walk(con_walk(m1, nn), w)) {
                n_same_walk++;
                continue;
            }
            REJECT(merkle_verify_consistency(m1, nn, r1, r2, proof, len, &e),
                   "n %llu claimed as %llu accepted (m %llu)", (unsigned long long)n,
                   (unsigned long long)nn, (unsigned long long)m1);
            break;
        }
    }
#undef REJECT
    return true;
}

TEST(every_consistency_proof_and_all_six_mutations)
{
    CHECK(setup());
    every_case("consistency", "n", MAX_CON, 1, consistency_case);
    n_con_passes++;
}

/* The same two suites over the tree built on 2, then 3 threads. */
TEST(every_proof_again_on_2_and_3_threads)
{
    CHECK(setup());
    for (unsigned threads = 2; threads <= 3; threads++) {
        CHECKF(rebuild_on(threads), "the %u-thread tree's prefix roots differ", threads);
        every_case("inclusion", "size", MAX_INC, 0, inclusion_case);
        n_inc_passes++;
        every_case("consistency", "n", MAX_CON, 1, consistency_case);
        n_con_passes++;
    }
    CHECK(rebuild_on(1));
}

/* ---- why the size must come from the anchor ---------------------------------- */

TEST(same_walk_sizes_verify_alike)
{
    CHECK(setup());
    struct hash32 path[MERKLE_MAX_PATH];
    size_t len;
    struct err e = {0};
    /* Leaf 0 of 3 and leaf 0 of 4 walk alike: the proof for 3 "verifies" for 4. */
    CHECK(same_walk(walk_of(0, 3), walk_of(0, 4)));
    CHECK_OK(merkle_tree_inclusion_proof(g_tree, 0, 3, path, &len, &e), &e);
    CHECK_OK(merkle_verify_inclusion(&g_leaf[0], 0, 4, path, len, &g_root[3], &e), &e);
    /* ... but never against the root of the tree of 4. */
    CHECK(merkle_verify_inclusion(&g_leaf[0], 0, 4, path, len, &g_root[4], &e) == E_VERIFY);
}

TEST(report_counts)
{
    /* Runs last (tests run in registration order): the totals of the above,
     * checked when they ran (a name filter may have left them out). */
    printf("exhaustive: %llu inclusion proofs, %llu mutations rejected; %llu consistency proofs, "
           "%llu mutations rejected; %llu same-walk sizes skipped\n",
           (unsigned long long)n_inc_proofs, (unsigned long long)n_inc_mut,
           (unsigned long long)n_con_proofs, (unsigned long long)n_con_mut,
           (unsigned long long)n_same_walk);
    printf("exhaustive: inclusion suite run %u times, consistency suite %u times (1, 2, 3 threads)\n",
           n_inc_passes, n_con_passes);
    if (n_inc_proofs)
        CHECK(n_inc_proofs == (uint64_t)n_inc_passes * MAX_INC * (MAX_INC + 1) / 2);
    if (n_con_proofs)
        CHECK(n_con_proofs == (uint64_t)n_con_passes * MAX_CON * (MAX_CON + 1) / 2);
}
