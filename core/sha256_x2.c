/*
 * core/sha256_x2.c — SHA-256 compression of two messages at once with SHA-NI
 * (see sha256_x2.h). The round and message-schedule steps are the ones Intel
 * documents for the SHA extensions ("Intel SHA Extensions", 2013): state in
 * two registers (ABEF, CDGH), 4 rounds per pair of sha256rnds2, the schedule
 * W[t] for t ≥ 16 from sha256msg1/sha256msg2. Each step is written twice,
 * for lanes a and b, so the two dependency chains interleave.
 */
#include "core/sha256_x2.h"

#if defined(__x86_64__) && defined(__GNUC__)

#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static bool g_avail;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void detect(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return;
    bool ssse3 = c & (1u << 9), sse41 = c & (1u << 19);
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
        return;
    g_avail = ssse3 && sse41 && (b & (1u << 29));
}

bool sha256_x2_available(void)
{
    pthread_once(&g_once, detect);
    return g_avail;
}

#define TARGET __attribute__((target("sha,sse4.1,ssse3")))

/* H0..H7 → the (ABEF, CDGH) register pair, and back. */
static inline TARGET void load_state(const uint32_t st[8], __m128i *s0, __m128i *s1)
{
    __m128i t = _mm_loadu_si128((const __m128i *)&st[0]);
    __m128i u = _mm_loadu_si128((const __m128i *)&st[4]);
    t = _mm_shuffle_epi32(t, 0xB1);       /* CDAB */
    u = _mm_shuffle_epi32(u, 0x1B);       /* EFGH */
    *s0 = _mm_alignr_epi8(t, u, 8);       /* ABEF */
    *s1 = _mm_blend_epi16(u, t, 0xF0);    /* CDGH */
}

static inline TARGET void store_state(uint32_t st[8], __m128i s0, __m128i s1)
{
    __m128i t = _mm_shuffle_epi32(s0, 0x1B); /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xB1);        /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xF0);       /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);          /* HGFE */
    _mm_storeu_si128((__m128i *)&st[0], s0);
    _mm_storeu_si128((__m128i *)&st[4], s1);
}

/* Four rounds on one lane with schedule words w (W[4g..4g+3]). */
#define ROUNDS4(s0, s1, w, g)                                                                      \
    do {                                                                                           \
        __m128i m_ = _mm_add_epi32((w), _mm_loadu_si128((const __m128i *)&K256[4 * (g)]));         \
        (s1) = _mm_sha256rnds2_epu32((s1), (s0), m_);                                              \
        m_ = _mm_shuffle_epi32(m_, 0x0E);                                                          \
        (s0) = _mm_sha256rnds2_epu32((s0), (s1), m_);                                              \
    } while (0)

/* W[4g..4g+3] for g ≥ 4 from the four groups before it (w0 oldest). */
#define NEXT_W(w0, w1, w2, w3)                                                                     \
    _mm_sha256msg2_epu32(                                                                          \
        _mm_add_epi32(_mm_sha256msg1_epu32((w0), (w1)), _mm_alignr_epi8((w3), (w2), 4)), (w3))

TARGET void sha256_x2_blocks(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8],
                             const uint8_t *b, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i a0, a1, b0, b1;
    load_state(state_a, &a0, &a1);
    load_state(state_b, &b0, &b1);
    for (size_t blk = 0; blk < nblocks; blk++, a += 64, b += 64) {
        __m128i sa0 = a0, sa1 = a1, sb0 = b0, sb1 = b1;
        __m128i wa[4], wb[4];
#pragma GCC unroll 4
        for (int g = 0; g < 4; g++) {
            wa[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(a + 16 * g)), bswap);
            wb[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 16 * g)), bswap);
            ROUNDS4(a0, a1, wa[g], g);
            ROUNDS4(b0, b1, wb[g], g);
        }
#pragma GCC unroll 12 /* fully: the wa/wb indices become registers */
        for (int g = 4; g < 16; g++) {
            /* wa[g % 4] holds W[4(g-4)..]: replaced by W[4g..] */
            __m128i na = NEXT_W(wa[g & 3], wa[(g + 1) & 3], wa[(g + 2) & 3], wa[(g + 3) & 3]);
            __m128i nb = NEXT_W(wb[g & 3], wb[(g + 1) & 3], wb[(g + 2) & 3], wb[(g + 3) & 3]);
            wa[g & 3] = na;
            wb[g & 3] = nb;
            ROUNDS4(a0, a1, na, g);
            ROUNDS4(b0, b1, nb, g);
        }
        a0 = _mm_add_epi32(a0, sa0);
        a1 = _mm_add_epi32(a1, sa1);
        b0 = _mm_add_epi32(b0, sb0);
        b1 = _mm_add_epi32(b1, sb1);
    }
    store_state(state_a, a0, a1);
    store_state(state_b, b0, b1);
}

#else /* not x86-64: never available, never called */

bool sha256_x2_available(void) { return false; }

void sha256_x2_blocks(uint32_t state_a[8], const uint8_t *a, uint32_t state_b[8],
                      const uint8_t *b, size_t nblocks)
{
    (void)state_a, (void)a, (void)state_b, (void)b, (void)nblocks;
}

#endif
