/*
 * bench/merkle.c — how fast core/merkle.c builds, proves and verifies, next
 * to the single-core SHA-256 bound measured in the same run.
 *
 *   merkle [--sizes 10000,100000,1000000] [--runs 3] [--json]
 *
 * For each N: N deterministic 32-byte entries (the same generator as
 * bench/peers.js, so the peers hash the same bytes; both print the SHA-256 of
 * the entries to prove it), then, timed with CLOCK_MONOTONIC, best of --runs,
 * on 1 thread and on T threads (T = merkle_default_threads(), at least 2):
 *   - merkle_tree_build_threads cold: each run in a child forked for it, with
 *     no recycled memory (merkle_drop_spare), so the tree lands in fresh pages
 *     as in a fresh process — like the peers, which run one process each;
 *   - the same warm, passing the previous tree as `reuse`, as the notary does
 *     batch after batch;
 *   - merkle_tree_inclusion_proof for every index;
 *   - merkle_verify_inclusion on 10k proofs made beforehand;
 *   - the SHA-256 bounds for exactly the tree's 3N−2 compressions: OpenSSL's
 *     multi-block rate (one long message fed in 64 KiB pieces to the SHA-NI
 *     code, no per-message cost: the tightest known), on one core and split
 *     over T threads at once (the cores used); SHA256_Transform on N messages
 *     of 33 bytes and N−1 of 65 padded once (core/merkle.c's method, minus its
 *     per-node formatting and memory traffic); and for reference EVP_Digest
 *     with a pre-fetched EVP_MD, and OpenSSL 3's SHA256(), which re-fetches.
 * Peak RSS is measured per N in a child forked before the parent has touched
 * any large buffer (wait4's ru_maxrss of a child that only builds the tree
 * and makes all its proofs), so it is not the high-water mark of the whole
 * run. The targets are printed beside the N = 1,000,000 figures as
 * PASS/MISS; they never change the exit status (the machine may be busy).
 *
 * Exit status: 0, or 1 if a proof fails to verify or a call fails (a bug, not
 * a slow run), 2 on bad arguments. With --json the table goes to stderr and
 * a JSON document to stdout (bench/run.sh combines it with the peers).
 */
#define _GNU_SOURCE
#define OPENSSL_API_COMPAT 0x10100000L /* SHA256_Transform is deprecated in OpenSSL 3 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>

#include "core/bytes.h"
#include "core/merkle.h"

#define MAX_SIZES 16
#define VERIFY_COUNT 10000
#define TARGET_N 1000000

/* The issues' targets at one million leaves (issue 16 for the build). */
#define T_BUILD_WARM_S 0.070 /* on T threads */
#define T_BUILD_COLD_S 0.100 /* on T threads */
#define T_BOUND_RATIO 1.3
#define T_RSS_MB 150.0
#define T_PROOFS_S 1.0
#define T_VERIFY_S 0.030

struct bound {
    double transform_s; /* SHA256_Transform on pre-padded blocks, one core */
    double bulk_s;      /* the same 3N−2 blocks as one long EVP message, one core */
    double bulk_t_s;    /* the same, split over T threads at once (wall time) */
    double evp_s;       /* EVP_Digest per message, EVP_MD fetched once */
    double sha256_s;    /* SHA256() per message (re-fetches in OpenSSL 3) */
};

struct result {
    uint64_t n;
    char entries_hex[65], root_hex[65];
    double cold_s[2], warm_s[2]; /* [0]: 1 thread, [1]: T threads */
    double proofs_s, verify_s;
    uint64_t verify_n;
    double rss_mb, rss_base_mb;
    struct bound b;
};

static unsigned g_threads = 2; /* T */

static volatile uint64_t g_sink; /* keeps measured work observable */

/* ---- small helpers ------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static _Noreturn void die(const char *what, const struct err *e)
{
    fprintf(stderr, "merkle bench: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
    exit(1);
}

/* murmur3's 32-bit finaliser: a cheap bijective mixer that bench/peers.js
 * reproduces with Math.imul, so both sides hash identical entries. */
static uint32_t fmix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* Entry i, word j (little-endian) = fmix32(8i + j + 0x9e3779b9 mod 2^32). */
static struct hash32 *make_entries(uint64_t n)
{
    struct hash32 *d = malloc(n * sizeof *d);
    if (!d)
        die("out of memory for the entries", NULL);
    for (uint64_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < 8; j++) {
            uint32_t w = fmix32((uint32_t)(i * 8 + j) + 0x9e3779b9u);
            d[i].b[4 * j] = (uint8_t)w;
            d[i].b[4 * j + 1] = (uint8_t)(w >> 8);
            d[i].b[4 * j + 2] = (uint8_t)(w >> 16);
            d[i].b[4 * j + 3] = (uint8_t)(w >> 24);
        }
    return d;
}

static void digest_hex(const void *p, size_t len, char out[65])
{
    struct hash32 h;
    unsigned int hl = 0;
    if (EVP_Digest(p, len, h.b, &hl, EVP_sha256(), NULL) != 1 || hl != 32)
        die("EVP_Digest failed", NULL);
    hash32_to_hex(&h, out);
}

static double maxrss_mb(const struct rusage *ru) { return (double)ru->ru_maxrss / 1024.0; }

/* ---- peak memory, per N, in a fresh child -------------------------------- */

struct rss_report {
    double base_mb;
    char root_hex[65];
};

/* Runs child(arg, fd) in a child forked for it, which writes exactly `len`
 * bytes of report to fd and exits 0; reads them into `rep` and, if `ru` is
 * not NULL, the child's resource usage. Dies if any of that fails. */
static void in_child(void (*child)(void *arg, int fd), void *arg, void *rep, size_t len,
                     struct rusage *ru)
{
    int p[2];
    if (pipe(p) != 0)
        die("pipe failed", NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed", NULL);
    if (pid == 0) {
        close(p[0]);
        child(arg, p[1]);
        _exit(1); /* a child function that returns has failed */
    }
    close(p[1]);
    ssize_t got = read(p[0], rep, len);
    close(p[0]);
    int status;
    struct rusage ru0;
    if (wait4(pid, &status, 0, ru ? ru : &ru0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0 || got != (ssize_t)len)
        die("a measuring child failed", NULL);
}

/* In the child: what the notary holds for a batch of n — the entries, the
 * tree, and every proof made one after another into one buffer. */
static void rss_child(void *arg, int fd)
{
    uint64_t n = *(const uint64_t *)arg;
    struct rss_report rep = {0};
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    rep.base_mb = maxrss_mb(&ru);
    struct hash32 *d = make_entries(n);
    struct merkle_tree *t = NULL;
    struct err e;
    if (merkle_tree_build(d, n, NULL, &t, &e))
        die("merkle_tree_build", &e);
    struct hash32 path[MERKLE_MAX_PATH];
    size_t len;
    for (uint64_t i = 0; i < n; i++)
        if (merkle_tree_inclusion_proof(t, i, n, path, &len, &e))
            die("merkle_tree_inclusion_proof", &e);
    struct hash32 root;
    merkle_tree_root(t, &root);
    hash32_to_hex(&root, rep.root_hex);
    if (write(fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
        _exit(1);
    merkle_tree_free(t);
    free(d);
    _exit(0);
}

static void measure_rss(struct result *r)
{
    struct rss_report rep;
    struct rusage ru;
    in_child(rss_child, &r->n, &rep, sizeof rep, &ru);
    r->rss_mb = maxrss_mb(&ru);
    r->rss_base_mb = rep.base_mb;
    memcpy(r->root_hex, rep.root_hex, sizeof r->root_hex);
}

/* ---- the SHA-256 bound ---------------------------------------------------- */

static inline uint64_t ctx_fold(const SHA256_CTX *c)
{
    return ((uint64_t)c->h[0] << 32) ^ c->h[7];
}

/* 3N−2 compressions as core/merkle.c does them, with the padding laid out
 * once (FIPS 180-4 §5.1.1) and only a counter changing per message. */
static double bound_transform(uint64_t n)
{
    SHA256_CTX iv;
    SHA256_Init(&iv);
    uint8_t leaf[64] = {0}, node[128] = {0};
    leaf[33] = 0x80;
    leaf[62] = 0x01; /* 264 bits */
    leaf[63] = 0x08;
    node[0] = 0x01;
    node[65] = 0x80;
    node[126] = 0x02; /* 520 bits */
    node[127] = 0x08;
    uint64_t acc = 0;
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        memcpy(leaf + 1, &i, 8);
        SHA256_CTX c = iv;
        SHA256_Transform(&c, leaf);
        acc += ctx_fold(&c);
    }
    for (uint64_t i = 0; i + 1 < n; i++) {
        memcpy(node + 1, &i, 8);
        SHA256_CTX c = iv;
        SHA256_Transform(&c, node);
        SHA256_Transform(&c, node + 64);
        acc += ctx_fold(&c);
    }
    double dt = now_s() - t0;
    g_sink += acc;
    return dt;
}

/* OpenSSL's bulk rate: the same number of blocks, as one long message fed in
 * 64 KiB pieces (multi-block calls into the SHA-NI code, no per-call cost). */
static double bound_bulk(uint64_t n, const EVP_MD *md)
{
    static uint8_t piece[1 << 16];
    uint64_t bytes = (3 * n - 2) * 64;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    struct hash32 out;
    if (!ctx)
        die("EVP_MD_CTX_new failed", NULL);
    double t0 = now_s();
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
        die("EVP_DigestInit_ex failed", NULL);
    for (uint64_t done = 0; done < bytes;) {
        size_t k = bytes - done < sizeof piece ? (size_t)(bytes - done) : sizeof piece;
        if (EVP_DigestUpdate(ctx, piece, k) != 1)
            die("EVP_DigestUpdate failed", NULL);
        done += k;
    }
    if (EVP_DigestFinal_ex(ctx, out.b, NULL) != 1)
        die("EVP_DigestFinal_ex failed", NULL);
    double dt = now_s() - t0;
    EVP_MD_CTX_free(ctx);
    g_sink += out.b[0];
    return dt;
}

struct bulk_job {
    uint64_t blocks;
    const EVP_MD *md;
    pthread_t tid;
};

static void *bulk_main(void *arg)
{
    struct bulk_job *j = arg;
    enum { PIECE = 1 << 16 };
    uint8_t *piece = calloc(1, PIECE); /* per thread: no shared cache lines */
    uint64_t bytes = j->blocks * 64;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    struct hash32 out;
    if (!piece || !ctx || EVP_DigestInit_ex(ctx, j->md, NULL) != 1)
        die("EVP_DigestInit_ex failed", NULL);
    for (uint64_t done = 0; done < bytes;) {
        size_t k = bytes - done < PIECE ? (size_t)(bytes - done) : PIECE;
        if (EVP_DigestUpdate(ctx, piece, k) != 1)
            die("EVP_DigestUpdate failed", NULL);
        done += k;
    }
    if (EVP_DigestFinal_ex(ctx, out.b, NULL) != 1)
        die("EVP_DigestFinal_ex failed", NULL);
    EVP_MD_CTX_free(ctx);
    free(piece);
    g_sink += out.b[0];
    return NULL;
}

/* OpenSSL's bulk rate on `threads` cores at once: the 3N−2 blocks split
 * evenly, wall time from the first start to the last finish. */
static double bound_bulk_threads(uint64_t n, const EVP_MD *md, unsigned threads)
{
    struct bulk_job j[16];
    uint64_t blocks = 3 * n - 2;
    double t0 = now_s();
    for (unsigned i = 0; i < threads; i++) {
        j[i] = (struct bulk_job){.blocks = blocks * (i + 1) / threads - blocks * i / threads,
                                 .md = md};
        if (pthread_create(&j[i].tid, NULL, bulk_main, &j[i]) != 0)
            die("pthread_create failed", NULL);
    }
    for (unsigned i = 0; i < threads; i++)
        pthread_join(j[i].tid, NULL);
    return now_s() - t0;
}

/* One one-shot digest of msg: EVP_Digest with `md` (pre-fetched), or
 * SHA256() when md is NULL. Returns its first byte (for the sink). */
static uint8_t oneshot_digest(const uint8_t *msg, size_t len, const EVP_MD *md)
{
    struct hash32 out;
    if (md) {
        if (EVP_Digest(msg, len, out.b, NULL, md, NULL) != 1)
            die("EVP_Digest failed", NULL);
    } else {
        SHA256(msg, len, out.b);
    }
    return out.b[0];
}

/* One-shot digests per message (oneshot_digest): n leaves, n - 1 nodes. */
static double bound_oneshot(uint64_t n, const EVP_MD *md)
{
    uint8_t leaf[33] = {0}, node[65] = {1};
    uint64_t acc = 0;
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        memcpy(leaf + 1, &i, 8);
        acc += oneshot_digest(leaf, sizeof leaf, md);
    }
    for (uint64_t i = 0; i + 1 < n; i++) {
        memcpy(node + 1, &i, 8);
        acc += oneshot_digest(node, sizeof node, md);
    }
    double dt = now_s() - t0;
    g_sink += acc;
    return dt;
}

/* ---- the tree ----------------------------------------------------------- */

static double min2(double a, double b) { return a < b ? a : b; }

/* One cold build on `threads` threads, in a child forked for it: no
 * recycled node memory (dropped first, and the child starts with none), so
 * the tree's pages are first touched by the build, as in a fresh process.
 * The child's root must equal `root_hex` (the memory child's). */
struct cold_job {
    const struct hash32 *d;
    uint64_t n;
    unsigned threads;
};
struct cold_report {
    double s;
    char root_hex[65];
};

static void cold_child(void *arg, int fd)
{
    const struct cold_job *j = arg;
    struct cold_report rep = {0};
    struct merkle_tree *t = NULL;
    struct err e;
    double t0 = now_s();
    if (merkle_tree_build_threads(j->d, j->n, j->threads, NULL, &t, &e))
        die("merkle_tree_build", &e);
    rep.s = now_s() - t0;
    struct hash32 root;
    merkle_tree_root(t, &root);
    hash32_to_hex(&root, rep.root_hex);
    _exit(write(fd, &rep, sizeof rep) == (ssize_t)sizeof rep ? 0 : 1);
}

static double cold_build(const struct hash32 *d, uint64_t n, unsigned threads, const char *root_hex)
{
    struct cold_job j = {.d = d, .n = n, .threads = threads};
    struct cold_report rep;
    merkle_drop_spare();
    in_child(cold_child, &j, &rep, sizeof rep, NULL);
    if (root_hex[0] && strcmp(root_hex, rep.root_hex) != 0)
        die("a cold build's root differs from the memory child's", NULL);
    return rep.s;
}

static void measure(struct result *r, int runs, EVP_MD *md)
{
    uint64_t n = r->n;
    struct err e;
    struct hash32 *d = make_entries(n);
    char entries_hex[65];
    digest_hex(d, n * sizeof *d, entries_hex);
    memcpy(r->entries_hex, entries_hex, sizeof entries_hex);

    /* (a) build: cold, each run in a fresh child; then warm, recycling the
     * last tree, on 1 and on T threads. The bounds are timed alternately
     * with the warm builds so that a busy machine disturbs both alike and
     * their ratio stays meaningful. */
    unsigned tc[2] = {1, g_threads};
    for (int w = 0; w < 2; w++) {
        r->cold_s[w] = 1e30;
        for (int k = 0; k < runs; k++)
            r->cold_s[w] = min2(r->cold_s[w], cold_build(d, n, tc[w], r->root_hex));
    }
    struct merkle_tree *t = NULL;
    double t0;
    if (merkle_tree_build_threads(d, n, 1, NULL, &t, &e))
        die("merkle_tree_build", &e);
    r->warm_s[0] = r->warm_s[1] = r->b.transform_s = r->b.bulk_s = r->b.bulk_t_s = 1e30;
    for (int k = 0; k < runs; k++) {
        for (int w = 0; w < 2; w++) {
            struct merkle_tree *next;
            t0 = now_s();
            if (merkle_tree_build_threads(d, n, tc[w], t, &next, &e))
                die("merkle_tree_build", &e);
            r->warm_s[w] = min2(r->warm_s[w], now_s() - t0);
            t = next;
        }
        r->b.transform_s = min2(r->b.transform_s, bound_transform(n));
        r->b.bulk_s = min2(r->b.bulk_s, bound_bulk(n, md));
        r->b.bulk_t_s = min2(r->b.bulk_t_s, bound_bulk_threads(n, md, g_threads));
    }
    struct hash32 root;
    merkle_tree_root(t, &root);
    char root_hex[65];
    hash32_to_hex(&root, root_hex);
    if (r->root_hex[0] && strcmp(root_hex, r->root_hex) != 0)
        die("the root differs between the memory child and the timed build", NULL);

    /* (b) every inclusion proof. */
    struct hash32 path[MERKLE_MAX_PATH];
    size_t len;
    r->proofs_s = 1e30;
    for (int k = 0; k < runs; k++) {
        uint64_t acc = 0;
        t0 = now_s();
        for (uint64_t i = 0; i < n; i++) {
            if (merkle_tree_inclusion_proof(t, i, n, path, &len, &e))
                die("merkle_tree_inclusion_proof", &e);
            acc += len + (len ? path[0].b[0] : 0);
        }
        r->proofs_s = min2(r->proofs_s, now_s() - t0);
        g_sink += acc;
    }

    /* (c) verify proofs made beforehand, spread evenly over the leaves. */
    uint64_t vn = n < VERIFY_COUNT ? n : VERIFY_COUNT;
    int maxlen = 0;
    for (uint64_t k = 0; k < vn; k++) {
        int l = merkle_path_length(k * n / vn, n);
        maxlen = l > maxlen ? l : maxlen;
    }
    struct hash32 *vleaf = malloc(vn * sizeof *vleaf);
    struct hash32 *vpath = malloc(vn * (size_t)(maxlen + 1) * sizeof *vpath);
    size_t *vlen = malloc(vn * sizeof *vlen);
    if (!vleaf || !vpath || !vlen)
        die("out of memory for the proofs to verify", NULL);
    for (uint64_t k = 0; k < vn; k++) {
        uint64_t idx = k * n / vn;
        merkle_tree_leaf(t, idx, &vleaf[k]);
        if (merkle_tree_inclusion_proof(t, idx, n, path, &vlen[k], &e))
            die("merkle_tree_inclusion_proof", &e);
        memcpy(&vpath[k * (size_t)(maxlen + 1)], path, vlen[k] * sizeof *path);
    }
    r->verify_n = vn;
    r->verify_s = 1e30;
    for (int k = 0; k < runs; k++) {
        t0 = now_s();
        for (uint64_t j = 0; j < vn; j++)
            if (merkle_verify_inclusion(&vleaf[j], j * n / vn, n, &vpath[j * (size_t)(maxlen + 1)],
                                        vlen[j], &root, &e))
                die("a proof made by merkle_tree_inclusion_proof failed to verify", &e);
        r->verify_s = min2(r->verify_s, now_s() - t0);
    }
    /* A verifier that accepts anything would look fast: one tampered proof
     * must fail. */
    if (vn > 1 && vlen[vn - 1] > 0) {
        struct hash32 bad = vleaf[vn - 1];
        bad.b[0] ^= 1;
        if (merkle_verify_inclusion(&bad, (vn - 1) * n / vn, n,
                                    &vpath[(vn - 1) * (size_t)(maxlen + 1)], vlen[vn - 1], &root,
                                    &e) != E_VERIFY)
            die("a tampered proof was accepted", NULL);
    }
    free(vleaf);
    free(vpath);
    free(vlen);
    merkle_tree_free(t);
    free(d);

    /* (e) the references for the SHA-256 bound (taken with the builds above). */
    r->b.evp_s = r->b.sha256_s = 1e30;
    for (int k = 0; k < runs; k++) {
        r->b.evp_s = min2(r->b.evp_s, bound_oneshot(n, md));
        r->b.sha256_s = min2(r->b.sha256_s, bound_oneshot(n, NULL));
    }
}

/* ---- output ------------------------------------------------------------- */

static const char *fmt_s(double s, char *buf, size_t cap)
{
    if (s < 1e-3)
        snprintf(buf, cap, "%.1f us", s * 1e6);
    else if (s < 1.0)
        snprintf(buf, cap, "%.1f ms", s * 1e3);
    else
        snprintf(buf, cap, "%.2f s", s);
    return buf;
}

static void cpu_name(char *out, size_t cap, bool *sha_ni)
{
    snprintf(out, cap, "unknown CPU");
    *sha_ni = false;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[4096];
    bool have_name = false;
    while (fgets(line, sizeof line, f)) {
        if (!have_name && strncmp(line, "model name", 10) == 0) {
            const char *c = strchr(line, ':');
            if (c) {
                snprintf(out, cap, "%s", c + 2);
                out[strcspn(out, "\n")] = 0;
                have_name = true;
            }
        }
        if (strncmp(line, "flags", 5) == 0 && strstr(line, " sha_ni"))
            *sha_ni = true;
    }
    fclose(f);
}

static void print_mark(FILE *o, const char *what, const char *got, bool pass)
{
    fprintf(o, "  %-44s %12s  %s\n", what, got, pass ? "PASS" : "MISS");
}

static void print_table(FILE *o, const struct result *rs, int nr, int runs, const char *cpu,
                        bool sha_ni, double load)
{
    char a[32], b[32], c[32], d[32], f[32], g[32];
    unsigned T = g_threads;
    fprintf(o, "Merkle benchmark: RFC 9162 tree over N 32-byte entries (core/merkle.c), 1 and %u "
               "threads\n", T);
    fprintf(o, "%s%s, %s, %ld online CPUs, load average %.2f at start; best of %d runs\n", cpu,
            sha_ni ? " (SHA-NI)" : "", OpenSSL_version(OPENSSL_VERSION),
            sysconf(_SC_NPROCESSORS_ONLN), load, runs);
    fprintf(o, "tree hashing: %s\n\n",
            merkle_use_sha_ni(true) ? "SHA-NI, two messages per call (core/sha256_x2.c)"
                                    : "OpenSSL SHA256_Transform, one message per call");
    char h1[24], h2[24];
    snprintf(h1, sizeof h1, "cold %uT", T);
    snprintf(h2, sizeof h2, "warm %uT", T);
    fprintf(o, "%10s %10s %10s %10s %10s %9s %9s %12s %14s %10s\n", "N", "cold 1T", h1,
            "warm 1T", h2, "bulk 1c", "bulk Tc", "all N proofs", "verify", "peak RSS");
    for (int i = 0; i < nr; i++) {
        const struct result *r = &rs[i];
        char vbuf[40], w1[32], w2[32];
        snprintf(vbuf, sizeof vbuf, "%s/%" PRIu64 "k", fmt_s(r->verify_s, d, sizeof d),
                 r->verify_n / 1000);
        if (r->verify_n % 1000)
            snprintf(vbuf, sizeof vbuf, "%s/%" PRIu64, fmt_s(r->verify_s, d, sizeof d),
                     r->verify_n);
        fprintf(o, "%10" PRIu64 " %10s %10s %10s %10s %9s %9s %12s %14s %7.1f MB\n", r->n,
                fmt_s(r->cold_s[0], a, sizeof a), fmt_s(r->cold_s[1], b, sizeof b),
                fmt_s(r->warm_s[0], w1, sizeof w1), fmt_s(r->warm_s[1], w2, sizeof w2),
                fmt_s(r->b.bulk_s, f, sizeof f), fmt_s(r->b.bulk_t_s, g, sizeof g),
                fmt_s(r->proofs_s, c, sizeof c), vbuf, r->rss_mb);
    }
    fprintf(o, "\n  cold = into fresh memory, each run in a child forked for it (first-touch page "
               "faults included),\n  as a fresh process; warm = rebuild recycling the previous tree "
               "(`reuse`), as batch after batch.\n  1T/%uT = 1 or %u threads. bulk 1c/%uc = "
               "OpenSSL's multi-block SHA-256 rate for the same 3N-2\n  compressions on 1 core / "
               "split over %u threads at once: the tightest known bound. peak RSS = a\n  forked "
               "child holding the entries and the tree (default threads) and making every proof\n"
               "  (its start-up RSS was %.1f MB).\n\n",
            T, T, T, T, nr ? rs[0].rss_base_mb : 0.0);

    fprintf(o, "Our build over the bound (1.00x = the tree costs only its hashing):\n");
    fprintf(o, "%10s %14s %14s %14s %14s\n", "N", "warm 1T/bulk", "cold 1T/bulk", "warm T/bulk T",
            "cold T/bulk T");
    for (int i = 0; i < nr; i++) {
        const struct result *r = &rs[i];
        fprintf(o, "%10" PRIu64 " %13.2fx %13.2fx %13.2fx %13.2fx\n", r->n,
                r->warm_s[0] / r->b.bulk_s, r->cold_s[0] / r->b.bulk_s,
                r->warm_s[1] / r->b.bulk_t_s, r->cold_s[1] / r->b.bulk_t_s);
    }
    fprintf(o, "\nOther SHA-256 rates for the 3N-2 compressions (one core): N messages of 33 bytes "
               "+ N-1 of 65\n");
    fprintf(o, "%10s %14s %14s %14s %14s %10s\n", "N", "Transform", "bulk EVP",
            "EVP_Digest", "SHA256()", "ns/block");
    for (int i = 0; i < nr; i++) {
        const struct result *r = &rs[i];
        fprintf(o, "%10" PRIu64 " %14s %14s %14s %14s %10.1f\n", r->n,
                fmt_s(r->b.transform_s, a, sizeof a), fmt_s(r->b.bulk_s, b, sizeof b),
                fmt_s(r->b.evp_s, c, sizeof c), fmt_s(r->b.sha256_s, d, sizeof d),
                r->b.bulk_s * 1e9 / (double)(3 * r->n - 2));
    }
    fprintf(o, "\n  Transform = SHA256_Transform on blocks padded once (core/merkle.c's method);\n"
               "  bulk EVP = the same blocks as one long message (OpenSSL's multi-block rate; "
               "ns/block is its);\n  EVP_Digest = one-shot per message with the EVP_MD fetched "
               "once; SHA256() = OpenSSL 3's one-shot,\n  which fetches the algorithm on every "
               "call.\n\n");

    const struct result *m = NULL;
    for (int i = 0; i < nr; i++)
        if (rs[i].n == TARGET_N)
            m = &rs[i];
    fprintf(o, "Targets (issue 16) at N = 1,000,000 (reported, never enforced):\n");
    if (!m) {
        fprintf(o, "  (N = 1000000 is not among --sizes)\n");
        return;
    }
    char what[64];
    snprintf(what, sizeof what, "tree build, warm, %u threads <= 70 ms", T);
    print_mark(o, what, fmt_s(m->warm_s[1], a, sizeof a), m->warm_s[1] <= T_BUILD_WARM_S);
    snprintf(what, sizeof what, "tree build, cold, %u threads <= 100 ms", T);
    print_mark(o, what, fmt_s(m->cold_s[1], a, sizeof a), m->cold_s[1] <= T_BUILD_COLD_S);
    snprintf(f, sizeof f, "%.2fx", m->warm_s[0] / m->b.bulk_s);
    print_mark(o, "tree build, warm 1T <= 1.3x the bulk bound", f,
               m->warm_s[0] / m->b.bulk_s <= T_BOUND_RATIO);
    snprintf(f, sizeof f, "%.1f MB", m->rss_mb);
    print_mark(o, "peak RSS <= 150 MB", f, m->rss_mb <= T_RSS_MB);
    print_mark(o, "all 1M inclusion proofs <= 1 s", fmt_s(m->proofs_s, a, sizeof a),
               m->proofs_s <= T_PROOFS_S);
    print_mark(o, "verify 10k proofs <= 0.03 s", fmt_s(m->verify_s, a, sizeof a),
               m->verify_s <= T_VERIFY_S);
    fprintf(o, "  %-44s %12s  (bench/run.sh compares)\n", ">= 50x merkletreejs, cold vs cold", "-");
}

static void print_json(FILE *o, const struct result *rs, int nr, int runs, const char *cpu,
                       bool sha_ni, double load)
{
    fprintf(o, "{\"tool\":\"bench/merkle\",\"cpu\":\"%s\",\"sha_ni\":%s,\"openssl\":\"%s\","
               "\"load_avg\":%.2f,\"runs\":%d,\"threads\":%u,\"results\":[",
            cpu, sha_ni ? "true" : "false", OpenSSL_version(OPENSSL_VERSION), load, runs,
            g_threads);
    for (int i = 0; i < nr; i++) {
        const struct result *r = &rs[i];
        fprintf(o,
                "%s\n{\"n\":%" PRIu64 ",\"entries_sha256\":\"%s\",\"root\":\"%s\","
                "\"build_cold_1t_s\":%.6f,\"build_cold_s\":%.6f,\"build_1t_s\":%.6f,"
                "\"build_s\":%.6f,\"proofs_s\":%.6f,"
                "\"verify_n\":%" PRIu64 ",\"verify_s\":%.6f,\"rss_mb\":%.1f,"
                "\"rss_base_mb\":%.1f,\"bound\":{\"blocks\":%" PRIu64 ",\"transform_s\":%.6f,"
                "\"bulk_s\":%.6f,\"bulk_threads_s\":%.6f,\"evp_digest_s\":%.6f,"
                "\"sha256_s\":%.6f}}",
                i ? "," : "", r->n, r->entries_hex, r->root_hex, r->cold_s[0], r->cold_s[1],
                r->warm_s[0], r->warm_s[1], r->proofs_s, r->verify_n, r->verify_s, r->rss_mb,
                r->rss_base_mb, 3 * r->n - 2, r->b.transform_s, r->b.bulk_s, r->b.bulk_t_s,
                r->b.evp_s, r->b.sha256_s);
    }
    fprintf(o, "\n]}\n");
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *o)
{
    fprintf(o, "usage: merkle [--sizes N,N,...] [--runs K] [--json]\n"
               "  --sizes  leaf counts (default 10000,100000,1000000; each 2..%d)\n"
               "  --runs   runs per figure, the best is kept (default 3)\n"
               "  --json   JSON on stdout, the table on stderr\n",
               1 << 26);
}

static bool parse_sizes(const char *s, uint64_t *out, int *nr)
{
    *nr = 0;
    while (*s) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || v < 2 || v > ((uint64_t)1 << 26) || *nr == MAX_SIZES ||
            (*end && *end != ','))
            return false;
        out[(*nr)++] = v;
        s = *end ? end + 1 : end;
    }
    return *nr > 0;
}

int main(int argc, char **argv)
{
    uint64_t sizes[MAX_SIZES] = {10000, 100000, 1000000};
    int nsizes = 3, runs = 3;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
            if (!parse_sizes(argv[++i], sizes, &nsizes)) {
                fprintf(stderr, "merkle: --sizes wants comma-separated counts, each 2..%d, at "
                                "most %d of them (got \"%s\")\n",
                        1 << 26, MAX_SIZES, argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = atoi(argv[++i]);
            if (runs < 1 || runs > 100) {
                fprintf(stderr, "merkle: --runs wants 1..100 (got \"%s\")\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "merkle: unknown argument \"%s\"\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    char cpu[256];
    bool sha_ni;
    cpu_name(cpu, sizeof cpu, &sha_ni);
    double load = 0;
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf) {
        if (fscanf(lf, "%lf", &load) != 1)
            load = 0;
        fclose(lf);
    }

    struct result rs[MAX_SIZES];
    memset(rs, 0, sizeof rs);
    /* Every memory child first, while this process is still small (a forked
     * child starts with its parent's resident set as its high-water mark). */
    for (int i = 0; i < nsizes; i++) {
        rs[i].n = sizes[i];
        measure_rss(&rs[i]);
    }
    g_threads = merkle_default_threads() < 2 ? 2 : merkle_default_threads();
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    if (!md)
        die("EVP_MD_fetch(SHA2-256) failed", NULL);
    for (int i = 0; i < nsizes; i++) {
        if (isatty(2))
            fprintf(stderr, "merkle bench: timing N = %" PRIu64 " ...\r", sizes[i]);
        measure(&rs[i], runs, md);
    }
    if (isatty(2))
        fprintf(stderr, "\r%60s\r", "");
    EVP_MD_free(md);

    print_table(json ? stderr : stdout, rs, nsizes, runs, cpu, sha_ni, load);
    if (json)
        print_json(stdout, rs, nsizes, runs, cpu, sha_ni, load);
    return 0;
}
