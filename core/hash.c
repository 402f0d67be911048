/*
 * core/hash.c — see hash.h.
 *
 * Keccak-256 is the sponge construction over nettle's sha3_permute with
 * rate 1088 bits (136 bytes) and capacity 512, absorbing little-endian
 * 64-bit lanes, with the pre-standard padding Ethereum uses.
 */
#include "core/hash.h"

#include <pthread.h>
#include <string.h>

#include <nettle/sha3.h>
#include <openssl/evp.h>

static EVP_MD *g_sha256;
static pthread_once_t g_sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void) { g_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL); }

err_code sha256(const void *data, size_t n, struct hash32 *out)
{
    pthread_once(&g_sha256_once, sha256_fetch);
    if (!g_sha256)
        return E_CRYPTO;
    unsigned int len = 0;
    if (EVP_Digest(data, n, out->b, &len, g_sha256, NULL) != 1 || len != 32)
        return E_CRYPTO;
    return E_OK;
}

#define KECCAK256_RATE 136

static void keccak_absorb_block(struct sha3_state *st, const uint8_t *block)
{
    for (size_t i = 0; i < KECCAK256_RATE / 8; i++) {
        uint64_t lane = 0;
        for (int j = 7; j >= 0; j--)
            lane = (lane << 8) | block[8 * i + (size_t)j];
        st->a[i] ^= lane;
    }
    sha3_permute(st);
}

void keccak256(const void *data, size_t n, struct hash32 *out)
{
    struct sha3_state st;
    memset(&st, 0, sizeof st);
    const uint8_t *p = data;
    while (n >= KECCAK256_RATE) {
        keccak_absorb_block(&st, p);
        p += KECCAK256_RATE;
        n -= KECCAK256_RATE;
    }
    uint8_t last[KECCAK256_RATE] = {0};
    if (n)
        memcpy(last, p, n);
    last[n] ^= 0x01;                   /* Keccak padding: first bit ... */
    last[KECCAK256_RATE - 1] ^= 0x80;  /* ... last bit of the rate */
    keccak_absorb_block(&st, last);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < 8; j++)
            out->b[8 * i + j] = (uint8_t)(st.a[i] >> (8 * j));
}
