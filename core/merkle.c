/*
 * core/merkle.c — RFC 9162 trees, audit paths, consistency proofs and their
 * verification. See merkle.h for the layout of a built tree.
 *
 * Hot path: a 1M-leaf tree is ~3M SHA-256 compressions, so per-message
 * overhead dominates if we go through EVP (an algorithm lookup and context
 * setup per call). Our messages have only two shapes — 33 bytes
 * (0x00 || entry) and 65 bytes (0x01 || left || right) — so we lay out the
 * padded SHA-256 blocks ourselves (FIPS 180-4 §5.1.1) and feed them to
 * OpenSSL's compression function SHA256_Transform, which uses SHA-NI/AVX2
 * where the CPU has them. tests/unit/test_merkle.c checks these against the
 * plain EVP digest of the same messages.
 */
#define OPENSSL_API_COMPAT 0x10100000L /* SHA256_Transform is deprecated in OpenSSL 3 */
#include "core/merkle.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "core/hash.h"
#include "core/sha256_x2.h"

struct merkle_tree {
    uint64_t n;                  /* leaves */
    int levels;                  /* levels stored, including the root level */
    uint64_t off[MERKLE_MAX_PATH + 1]; /* index of level h's first node in `nodes` */
    uint64_t cnt[MERKLE_MAX_PATH + 1]; /* nodes on level h */
    struct hash32 *nodes;
    uint64_t cap;                /* capacity of `nodes`, in hashes */
};

/* ---- hashing ------------------------------------------------------------ */

static SHA256_CTX g_iv; /* SHA-256 initial state, set up once */
static pthread_once_t g_iv_once = PTHREAD_ONCE_INIT;
static bool g_x2;       /* build with sha256_x2 (SHA-NI, two messages at once) */
static void iv_init(void)
{
    SHA256_Init(&g_iv);
    g_x2 = sha256_x2_available();
}

bool merkle_use_sha_ni(bool on)
{
    pthread_once(&g_iv_once, iv_init);
    g_x2 = on && sha256_x2_available();
    return g_x2;
}

static inline void ctx_out(const SHA256_CTX *c, struct hash32 *out)
{
    for (int i = 0; i < 8; i++) {
        uint32_t w = c->h[i];
        out->b[4 * i] = (uint8_t)(w >> 24);
        out->b[4 * i + 1] = (uint8_t)(w >> 16);
        out->b[4 * i + 2] = (uint8_t)(w >> 8);
        out->b[4 * i + 3] = (uint8_t)w;
    }
}

/* SHA-256(0x00 || entry): one block, message length 264 bits. */
static inline void leaf_fast(const struct hash32 *entry, struct hash32 *out)
{
    uint8_t blk[64] = {0};
    blk[0] = 0x00;
    memcpy(blk + 1, entry->b, 32);
    blk[33] = 0x80;
    blk[62] = 0x01; /* 264 = 0x0108 */
    blk[63] = 0x08;
    SHA256_CTX c = g_iv;
    SHA256_Transform(&c, blk);
    ctx_out(&c, out);
}

/* SHA-256(0x01 || l || r): two blocks, message length 520 bits. */
static inline void node_fast(const struct hash32 *l, const struct hash32 *r, struct hash32 *out)
{
    uint8_t blk[128] = {0};
    blk[0] = 0x01;
    memcpy(blk + 1, l->b, 32);
    memcpy(blk + 33, r->b, 32);
    blk[65] = 0x80;
    blk[126] = 0x02; /* 520 = 0x0208 */
    blk[127] = 0x08;
    SHA256_CTX c = g_iv;
    SHA256_Transform(&c, blk);
    SHA256_Transform(&c, blk + 64);
    ctx_out(&c, out);
}

static inline void words_out(const uint32_t h[8], struct hash32 *out)
{
    for (int i = 0; i < 8; i++) {
        out->b[4 * i] = (uint8_t)(h[i] >> 24);
        out->b[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out->b[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out->b[4 * i + 3] = (uint8_t)h[i];
    }
}

/* Two messages at once, prefix || src[k·len .. (k+1)·len - 1] for k = 0, 1
 * (len 32: two leaves from two entries; len 64: two nodes from four adjacent
 * children), padded as FIPS 180-4 §5.1.1 says: 1 block for 33 bytes, 2 for
 * 65. Their hashes go to out[0..1]. */
__attribute__((always_inline)) /* len then folds to a constant: fixed-size copies */
static inline void pair_x2(const struct hash32 *src, size_t len, uint8_t prefix,
                           struct hash32 *out)
{
    const size_t nblk = len == 32 ? 1 : 2, bits = (1 + len) * 8;
    uint8_t blk[2][128] = {{0}};
    uint32_t st[2][8];
    for (int k = 0; k < 2; k++) {
        blk[k][0] = prefix;
        memcpy(blk[k] + 1, (const uint8_t *)src + k * len, len);
        blk[k][1 + len] = 0x80;
        blk[k][64 * nblk - 2] = (uint8_t)(bits >> 8);
        blk[k][64 * nblk - 1] = (uint8_t)bits;
        memcpy(st[k], g_iv.h, sizeof st[k]);
    }
    sha256_x2_blocks(st[0], blk[0], st[1], blk[1], nblk);
    words_out(st[0], &out[0]);
    words_out(st[1], &out[1]);
}

void merkle_leaf_hash(const struct hash32 *entry, struct hash32 *out)
{
    pthread_once(&g_iv_once, iv_init);
    leaf_fast(entry, out);
}

void merkle_node_hash(const struct hash32 *left, const struct hash32 *right, struct hash32 *out)
{
    pthread_once(&g_iv_once, iv_init);
    node_fast(left, right, out);
}

void merkle_empty_root(struct hash32 *out)
{
    static const uint8_t empty[32] = {
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    memcpy(out->b, empty, 32);
}

/* ---- building ----------------------------------------------------------- */

static inline uint64_t largest_pow2_below(uint64_t n) /* n ≥ 2 */
{
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static inline int ceil_log2(uint64_t n) /* n ≥ 1 */
{
    return n == 1 ? 0 : 64 - __builtin_clzll(n - 1);
}

/*
 * Node memory. A 1M-leaf tree is 64 MB; first-touching it in 4 KiB pages
 * costs more than hashing it on some virtual machines (~18 µs per fault), so
 * large buffers are 2 MiB-aligned and marked MADV_HUGEPAGE (32 faults instead
 * of 16,000 where transparent huge pages are on), and the last large buffer
 * freed is kept (one slot) for the next build in the process, so a proof
 * service that rebuilds tree after tree, or a build after a free, finds its
 * memory already mapped.
 */
#define HUGE_ALIGN ((size_t)2 << 20)

static pthread_mutex_t g_spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hash32 *g_spare;  /* one recycled node buffer, or NULL */
static uint64_t g_spare_cap;    /* its capacity, in hashes */

static struct hash32 *nodes_alloc(uint64_t want, uint64_t *cap)
{
    pthread_mutex_lock(&g_spare_lock);
    struct hash32 *p = NULL;
    if (g_spare && g_spare_cap >= want) {
        p = g_spare;
        *cap = g_spare_cap;
        g_spare = NULL;
        g_spare_cap = 0;
    }
    pthread_mutex_unlock(&g_spare_lock);
    if (p)
        return p;
    size_t bytes = (size_t)want * sizeof *p;
    if (bytes < HUGE_ALIGN) {
        p = malloc(bytes);
        *cap = p ? want : 0;
        return p;
    }
    bytes = (bytes + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
    void *m = NULL;
    if (posix_memalign(&m, HUGE_ALIGN, bytes) != 0) {
        *cap = 0;
        return NULL;
    }
    (void)madvise(m, bytes, MADV_HUGEPAGE); /* advice only: 4 KiB pages still work */
    *cap = bytes / sizeof *p;
    return m;
}

static void nodes_free(struct hash32 *p, uint64_t cap)
{
    if (!p)
        return;
    if ((size_t)cap * sizeof *p >= HUGE_ALIGN) {
        pthread_mutex_lock(&g_spare_lock);
        if (!g_spare || g_spare_cap < cap) { /* keep the larger of the two */
            struct hash32 *old = g_spare;
            g_spare = p;
            g_spare_cap = cap;
            p = old;
        }
        pthread_mutex_unlock(&g_spare_lock);
    }
    free(p);
}

void merkle_drop_spare(void)
{
    pthread_mutex_lock(&g_spare_lock);
    struct hash32 *p = g_spare;
    g_spare = NULL;
    g_spare_cap = 0;
    pthread_mutex_unlock(&g_spare_lock);
    free(p);
}

unsigned merkle_default_threads(void)
{
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    if (c < 1)
        return 2;
    return c > MERKLE_MAX_THREADS ? MERKLE_MAX_THREADS : (unsigned)c;
}

/*
 * Levels h_from..h_to of the nodes over leaves [a, b) (level 0 = the leaf
 * hashes of entries[a..b-1]). a and b are multiples of 2^h_to, or b is n
 * (`last`): then level h's share is exactly nodes [a >> h, b >> h), whose
 * children all lie in this share one level down, so shares built by
 * different threads never touch each other's nodes.
 */
static void build_levels(struct merkle_tree *t, const struct hash32 *entries, int h_from, int h_to,
                         uint64_t a, uint64_t b, bool last)
{
    if (h_from == 0) {
        uint64_t i = a;
        if (g_x2)
            for (; i + 1 < b; i += 2)
                pair_x2(&entries[i], 32, 0x00, &t->nodes[i]);
        for (; i < b; i++)
            leaf_fast(&entries[i], &t->nodes[i]);
        h_from = 1;
    }
    for (int h = h_from; h <= h_to; h++) {
        const struct hash32 *below = t->nodes + t->off[h - 1];
        struct hash32 *cur = t->nodes + t->off[h];
        uint64_t nb = t->cnt[h - 1];
        uint64_t lo = a >> h, hi = last ? t->cnt[h] : b >> h;
        uint64_t j = lo;
        if (g_x2)
            for (; j + 1 < hi && 2 * j + 3 < nb; j += 2)
                pair_x2(&below[2 * j], 64, 0x01, &cur[j]);
        for (; j < hi; j++) {
            if (2 * j + 1 < nb)
                node_fast(&below[2 * j], &below[2 * j + 1], &cur[j]);
            else /* odd node: carried up, never duplicated */
                cur[j] = below[2 * j];
        }
    }
}

struct share {
    struct merkle_tree *t;
    const struct hash32 *entries;
    int top;
    uint64_t a, b;
    bool last;
    pthread_t tid;
    bool started;
};

static void *share_main(void *arg)
{
    struct share *s = arg;
    build_levels(s->t, s->entries, 0, s->top, s->a, s->b, s->last);
    return NULL;
}

err_code merkle_tree_build_threads(const struct hash32 *entries, uint64_t n, unsigned threads,
                                   struct merkle_tree *reuse, struct merkle_tree **out,
                                   struct err *e)
{
    *out = NULL;
    if (n == 0) {
        merkle_tree_free(reuse);
        return err_set(e, E_INVALID, "cannot build a Merkle tree over zero entries");
    }
    if (n > MERKLE_MAX_LEAVES) {
        merkle_tree_free(reuse);
        return err_set(e, E_LIMIT, "%llu entries exceed the limit of %llu per tree",
                       (unsigned long long)n, (unsigned long long)MERKLE_MAX_LEAVES);
    }
    pthread_once(&g_iv_once, iv_init);

    struct merkle_tree *t = reuse;
    if (!t) {
        t = calloc(1, sizeof *t);
        if (!t)
            return err_set(e, E_NOMEM, "out of memory for a tree of %llu leaves",
                           (unsigned long long)n);
    }
    /* Lay out the levels. */
    uint64_t total = 0, c = n;
    int levels = 0;
    for (;;) {
        t->off[levels] = total;
        t->cnt[levels] = c;
        total += c;
        levels++;
        if (c == 1)
            break;
        c = (c + 1) / 2;
    }
    t->levels = levels;
    t->n = n;
    if (total > t->cap) {
        nodes_free(t->nodes, t->cap);
        t->nodes = nodes_alloc(total, &t->cap);
        if (!t->nodes) {
            merkle_tree_free(t);
            return err_set(e, E_NOMEM, "out of memory for a tree of %llu leaves",
                           (unsigned long long)n);
        }
    }

    /* Shares: contiguous runs of whole 2^k-leaf subtrees, about 8 subtrees
     * per thread so the shares stay even; each thread builds levels 0..k of
     * its share, then this thread builds the few levels above k. */
    if (threads == 0)
        threads = 1;
    if (threads > MERKLE_MAX_THREADS)
        threads = MERKLE_MAX_THREADS;
    int k = levels - 1;
    uint64_t chunks = 1;
    if (threads > 1) {
        uint64_t per = n / (8 * (uint64_t)threads);
        k = per ? 63 - __builtin_clzll(per) : 0;
        chunks = (n + ((uint64_t)1 << k) - 1) >> k;
        if (chunks < threads)
            threads = (unsigned)chunks;
    }
    struct share sh[MERKLE_MAX_THREADS];
    for (unsigned i = 0; i < threads; i++) {
        sh[i] = (struct share){.t = t, .entries = entries, .top = k, .last = i + 1 == threads,
                               .a = (chunks * i / threads) << k};
        sh[i].b = sh[i].last ? n : (chunks * (i + 1) / threads) << k;
    }
    /* Threads for shares 1.., this thread takes share 0; a share whose
     * thread cannot be started is built here, so the result never depends
     * on how many threads ran. */
    for (unsigned i = 1; i < threads; i++)
        sh[i].started = pthread_create(&sh[i].tid, NULL, share_main, &sh[i]) == 0;
    share_main(&sh[0]);
    for (unsigned i = 1; i < threads; i++) {
        if (sh[i].started)
            pthread_join(sh[i].tid, NULL);
        else
            share_main(&sh[i]);
    }
    if (k + 1 < levels)
        build_levels(t, entries, k + 1, levels - 1, 0, n, true);
    *out = t;
    return E_OK;
}

err_code merkle_tree_build(const struct hash32 *entries, uint64_t n, struct merkle_tree *reuse,
                           struct merkle_tree **out, struct err *e)
{
    unsigned threads = n >= MERKLE_PARALLEL_MIN ? merkle_default_threads() : 1;
    return merkle_tree_build_threads(entries, n, threads, reuse, out, e);
}

void merkle_tree_free(struct merkle_tree *t)
{
    if (t) {
        nodes_free(t->nodes, t->cap);
        free(t);
    }
}

uint64_t merkle_tree_size(const struct merkle_tree *t) { return t->n; }

void merkle_tree_root(const struct merkle_tree *t, struct hash32 *out)
{
    *out = t->nodes[t->off[t->levels - 1]];
}

void merkle_tree_leaf(const struct merkle_tree *t, uint64_t index, struct hash32 *out)
{
    *out = t->nodes[index];
}

uint64_t merkle_tree_level(const struct merkle_tree *t, unsigned level, const struct hash32 **nodes)
{
    int h = level < (unsigned)t->levels ? (int)level : t->levels - 1;
    *nodes = t->nodes + t->off[h];
    return t->cnt[h];
}

/* ---- subtree hashes ----------------------------------------------------- */

/*
 * MTH(D[a:b]) for 0 ≤ a < b ≤ n. Level h, index j stores MTH(D[j·2^h :
 * min((j+1)·2^h, n)]), so a range is a lookup when it has that shape;
 * otherwise split as RFC 9162 does and combine. In proofs for the full size
 * every range is a lookup; for a smaller size the right edge costs O(log n).
 */
static void mth(const struct merkle_tree *t, uint64_t a, uint64_t b, struct hash32 *out)
{
    uint64_t len = b - a;
    int h = ceil_log2(len);
    uint64_t span = (uint64_t)1 << h;
    if ((a & (span - 1)) == 0 && b == (a + span < t->n ? a + span : t->n)) {
        *out = t->nodes[t->off[h] + (a >> h)];
        return;
    }
    uint64_t k = largest_pow2_below(len);
    struct hash32 l, r;
    mth(t, a, a + k, &l);
    mth(t, a + k, b, &r);
    node_fast(&l, &r, out);
}

err_code merkle_tree_root_at(const struct merkle_tree *t, uint64_t size, struct hash32 *out,
                             struct err *e)
{
    if (size == 0 || size > t->n)
        return err_set(e, E_INVALID, "size %llu is outside 1..%llu", (unsigned long long)size,
                       (unsigned long long)t->n);
    mth(t, 0, size, out);
    return E_OK;
}

err_code merkle_tree_inclusion_proof(const struct merkle_tree *t, uint64_t index, uint64_t size,
                                     struct hash32 *path, size_t *path_len, struct err *e)
{
    *path_len = 0;
    if (size == 0 || size > t->n)
        return err_set(e, E_INVALID, "tree size %llu is outside 1..%llu",
                       (unsigned long long)size, (unsigned long long)t->n);
    if (index >= size)
        return err_set(e, E_INVALID, "leaf index %llu is not below tree size %llu",
                       (unsigned long long)index, (unsigned long long)size);
    /* RFC 9162 §2.1.3.1 PATH(m, D[a:b]), walking down; collected root-first. */
    struct hash32 rev[MERKLE_MAX_PATH];
    size_t n = 0;
    uint64_t a = 0, b = size;
    while (b - a > 1) {
        uint64_t k = largest_pow2_below(b - a);
        if (index < a + k) {
            mth(t, a + k, b, &rev[n++]);
            b = a + k;
        } else {
            mth(t, a, a + k, &rev[n++]);
            a += k;
        }
    }
    for (size_t i = 0; i < n; i++)
        path[i] = rev[n - 1 - i];
    *path_len = n;
    return E_OK;
}

/* RFC 9162 §2.1.4.1 SUBPROOF(m, D[a:b], complete). */
static void subproof(const struct merkle_tree *t, uint64_t m, uint64_t a, uint64_t b, int complete,
                     struct hash32 *proof, size_t *n)
{
    if (m == b - a) {
        if (!complete)
            mth(t, a, b, &proof[(*n)++]);
        return;
    }
    uint64_t k = largest_pow2_below(b - a);
    if (m <= k) {
        subproof(t, m, a, a + k, complete, proof, n);
        mth(t, a + k, b, &proof[(*n)++]);
    } else {
        subproof(t, m - k, a + k, b, 0, proof, n);
        mth(t, a, a + k, &proof[(*n)++]);
    }
}

err_code merkle_tree_consistency_proof(const struct merkle_tree *t, uint64_t size1, uint64_t size2,
                                       struct hash32 *proof, size_t *proof_len, struct err *e)
{
    *proof_len = 0;
    if (size1 == 0 || size1 > size2 || size2 > t->n)
        return err_set(e, E_INVALID,
                       "consistency proof needs 0 < size1 <= size2 <= %llu (got %llu, %llu)",
                       (unsigned long long)t->n, (unsigned long long)size1,
                       (unsigned long long)size2);
    if (size1 < size2)
        subproof(t, size1, 0, size2, 1, proof, proof_len);
    return E_OK;
}

/* ---- verification (untrusted input) ------------------------------------ */

/* One level of the walk both RFC 9162 verifiers make (§2.1.3.2 step 4,
 * §2.1.4.2 step 6), for sn != 0: returns whether this level's proof hash
 * goes on the left of the running hash (fn odd, or fn == sn), then moves
 * (fn, sn) up past this level and past any levels where fn is a last node
 * without a sibling. The callers hash; this is only the index arithmetic. */
static inline bool walk_step(uint64_t *fn, uint64_t *sn)
{
    bool left = (*fn & 1) || *fn == *sn;
    if (left && !(*fn & 1))
        while (!(*fn & 1) && *fn != 0) {
            *fn >>= 1;
            *sn >>= 1;
        }
    *fn >>= 1;
    *sn >>= 1;
    return left;
}

int merkle_path_length(uint64_t index, uint64_t size)
{
    if (index >= size)
        return -1;
    /* The iterations of RFC 9162 §2.1.3.2 step 4 until sn reaches 0. */
    uint64_t fn = index, sn = size - 1;
    int len = 0;
    for (; sn != 0; len++)
        walk_step(&fn, &sn);
    return len;
}

err_code merkle_root_from_path(const struct hash32 *leaf_hash, uint64_t index, uint64_t size,
                               const struct hash32 *path, size_t path_len, struct hash32 *root,
                               struct err *e)
{
    pthread_once(&g_iv_once, iv_init);
    int want = merkle_path_length(index, size);
    if (want < 0)
        return err_set(e, E_VERIFY, "leaf index %llu is not below tree size %llu",
                       (unsigned long long)index, (unsigned long long)size);
    if (path_len != (size_t)want)
        return err_set(e, E_VERIFY,
                       "audit path has %zu hashes but index %llu in a tree of %llu needs %d",
                       path_len, (unsigned long long)index, (unsigned long long)size, want);
    /* RFC 9162 §2.1.3.2, steps 2–4. */
    uint64_t fn = index, sn = size - 1;
    struct hash32 r = *leaf_hash;
    for (size_t i = 0; i < path_len; i++) {
        if (sn == 0) /* unreachable after the length check; kept as in the RFC */
            return err_set(e, E_VERIFY, "audit path is too long");
        if (walk_step(&fn, &sn))
            node_fast(&path[i], &r, &r);
        else
            node_fast(&r, &path[i], &r);
    }
    if (sn != 0)
        return err_set(e, E_VERIFY, "audit path is too short");
    *root = r;
    return E_OK;
}

err_code merkle_verify_inclusion(const struct hash32 *leaf_hash, uint64_t index, uint64_t size,
                                 const struct hash32 *path, size_t path_len,
                                 const struct hash32 *root, struct err *e)
{
    struct hash32 r;
    err_code rc = merkle_root_from_path(leaf_hash, index, size, path, path_len, &r, e);
    if (rc)
        return rc;
    if (!hash32_eq(&r, root))
        return err_set(e, E_VERIFY, "audit path leads to a different root than the one given");
    return E_OK;
}

err_code merkle_verify_consistency(uint64_t size1, uint64_t size2, const struct hash32 *root1,
                                   const struct hash32 *root2, const struct hash32 *proof,
                                   size_t proof_len, struct err *e)
{
    pthread_once(&g_iv_once, iv_init);
    if (size1 > size2)
        return err_set(e, E_VERIFY, "size1 %llu is larger than size2 %llu",
                       (unsigned long long)size1, (unsigned long long)size2);
    if (size1 == 0)
        return err_set(e, E_VERIFY, "size1 is 0: an empty tree proves nothing");
    if (size1 == size2) {
        if (proof_len != 0)
            return err_set(e, E_VERIFY, "sizes are equal but the proof is not empty");
        if (!hash32_eq(root1, root2))
            return err_set(e, E_VERIFY, "sizes are equal but the roots differ");
        return E_OK;
    }
    /* RFC 9162 §2.1.4.2. */
    if (proof_len == 0)
        return err_set(e, E_VERIFY, "consistency proof is empty");
    if (proof_len > MERKLE_MAX_PATH)
        return err_set(e, E_VERIFY, "consistency proof has %zu hashes, more than %d", proof_len,
                       MERKLE_MAX_PATH);
    size_t i = 0;
    struct hash32 fr, sr;
    if ((size1 & (size1 - 1)) == 0) { /* step 2: first is a power of 2 → prepend first_hash */
        fr = sr = *root1;
    } else {
        fr = sr = proof[0];
        i = 1;
    }
    uint64_t fn = size1 - 1, sn = size2 - 1;
    while (fn & 1) { /* step 4 */
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < proof_len; i++) { /* step 6 */
        if (sn == 0)
            return err_set(e, E_VERIFY, "consistency proof is too long");
        if (walk_step(&fn, &sn)) {
            node_fast(&proof[i], &fr, &fr);
            node_fast(&proof[i], &sr, &sr);
        } else {
            node_fast(&sr, &proof[i], &sr);
        }
    }
    if (sn != 0)
        return err_set(e, E_VERIFY, "consistency proof is too short");
    if (!hash32_eq(&fr, root1))
        return err_set(e, E_VERIFY, "consistency proof does not lead to the first root");
    if (!hash32_eq(&sr, root2))
        return err_set(e, E_VERIFY, "consistency proof does not lead to the second root");
    return E_OK;
}

static err_code take32(struct merkle_bytes in, const char *what, struct hash32 *out,
                       struct err *e)
{
    if (in.len != 32)
        return err_set(e, E_VERIFY, "%s has %zu bytes, not 32", what, in.len);
    memcpy(out->b, in.p, 32);
    return E_OK;
}

err_code merkle_verify_inclusion_bytes(struct merkle_bytes leaf_hash, uint64_t index,
                                       uint64_t size, const struct merkle_bytes *path,
                                       size_t path_len, struct merkle_bytes root, struct err *e)
{
    struct hash32 leaf, r, p[MERKLE_MAX_PATH];
    if (path_len > MERKLE_MAX_PATH)
        return err_set(e, E_VERIFY, "audit path has %zu hashes, more than %d", path_len,
                       MERKLE_MAX_PATH);
    err_code rc;
    if ((rc = take32(leaf_hash, "leaf hash", &leaf, e)) || (rc = take32(root, "root", &r, e)))
        return rc;
    for (size_t i = 0; i < path_len; i++) {
        char what[48];
        snprintf(what, sizeof what, "audit path hash %zu", i);
        if ((rc = take32(path[i], what, &p[i], e)))
            return rc;
    }
    return merkle_verify_inclusion(&leaf, index, size, p, path_len, &r, e);
}

err_code merkle_verify_consistency_bytes(uint64_t size1, uint64_t size2, struct merkle_bytes root1,
                                         struct merkle_bytes root2,
                                         const struct merkle_bytes *proof, size_t proof_len,
                                         struct err *e)
{
    if (size1 == size2 && size1 != 0) {
        /* No hashing happens: RFC 9162 compares the two roots as given. */
        if (proof_len != 0)
            return err_set(e, E_VERIFY, "sizes are equal but the proof is not empty");
        if (root1.len != root2.len || memcmp(root1.p, root2.p, root1.len) != 0)
            return err_set(e, E_VERIFY, "sizes are equal but the roots differ");
        return E_OK;
    }
    struct hash32 r1 = {0}, r2 = {0}, p[MERKLE_MAX_PATH];
    if (proof_len > MERKLE_MAX_PATH)
        return err_set(e, E_VERIFY, "consistency proof has %zu hashes, more than %d", proof_len,
                       MERKLE_MAX_PATH);
    if (size1 == 0 || size1 > size2) /* let the typed verifier name the problem */
        return merkle_verify_consistency(size1, size2, &r1, &r1, NULL, 0, e);
    err_code rc;
    if ((rc = take32(root1, "first root", &r1, e)) ||
        (rc = take32(root2, "second root", &r2, e)))
        return rc;
    for (size_t i = 0; i < proof_len; i++) {
        char what[48];
        snprintf(what, sizeof what, "consistency proof hash %zu", i);
        if ((rc = take32(proof[i], what, &p[i], e)))
            return rc;
    }
    return merkle_verify_consistency(size1, size2, &r1, &r2, p, proof_len, e);
}
