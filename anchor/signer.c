/*
 * anchor/signer.c — see signer.h.
 *
 * One libsecp256k1 context serves the whole process: created on first use,
 * randomized with 32 bytes from OpenSSL's CSPRNG (blinding against side
 * channels, as libsecp256k1's examples do), never destroyed. Signing and
 * recovery only read it, so it is safe to share between threads.
 *
 * The secret key lives in its own page: locked in RAM where the OS allows
 * (mlock, so it is not swapped out), excluded from core dumps
 * (MADV_DONTDUMP), and the whole process is made non-dumpable
 * (PR_SET_DUMPABLE 0) while any signer is alive. The key is wiped with
 * OPENSSL_cleanse before the page is returned.
 */
#include "anchor/signer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "core/hash.h"

struct signer {
    uint8_t key[32];
    uint8_t pub64[64];
    struct addr20 addr;
    size_t alloc_size; /* page-rounded size of this allocation */
    bool locked;       /* mlock succeeded */
};

/* ---- the shared context -------------------------------------------------- */

static secp256k1_context *g_ctx;
static pthread_once_t g_ctx_once = PTHREAD_ONCE_INIT;

static void ctx_init(void)
{
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (!ctx)
        return;
    uint8_t seed[32];
    if (RAND_priv_bytes(seed, sizeof seed) != 1 || !secp256k1_context_randomize(ctx, seed)) {
        OPENSSL_cleanse(seed, sizeof seed);
        secp256k1_context_destroy(ctx);
        return;
    }
    OPENSSL_cleanse(seed, sizeof seed);
    g_ctx = ctx;
}

static const secp256k1_context *ctx_get(void)
{
    pthread_once(&g_ctx_once, ctx_init);
    return g_ctx;
}

/* ---- process dumpability while keys are loaded --------------------------- */

static pthread_mutex_t g_live_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned g_live;        /* signers alive */
static int g_dumpable_before;  /* PR_GET_DUMPABLE when the first one appeared */

static void live_inc(void)
{
    pthread_mutex_lock(&g_live_lock);
    if (g_live++ == 0) {
        g_dumpable_before = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
        (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* best effort */
    }
    pthread_mutex_unlock(&g_live_lock);
}

static void live_dec(void)
{
    pthread_mutex_lock(&g_live_lock);
    if (g_live && --g_live == 0 && g_dumpable_before > 0)
        (void)prctl(PR_SET_DUMPABLE, g_dumpable_before, 0, 0, 0);
    pthread_mutex_unlock(&g_live_lock);
}

/* ---- signer lifecycle ---------------------------------------------------- */

static struct signer *signer_alloc(void)
{
    long page = sysconf(_SC_PAGESIZE);
    size_t size = page > 0 ? (size_t)page : 4096;
    while (size < sizeof(struct signer))
        size *= 2;
    void *mem = NULL;
    if (posix_memalign(&mem, size, size) != 0)
        return NULL;
    memset(mem, 0, size);
    struct signer *s = mem;
    s->alloc_size = size;
    s->locked = mlock(mem, size) == 0; /* may fail under RLIMIT_MEMLOCK: carry on */
#ifdef MADV_DONTDUMP
    (void)madvise(mem, size, MADV_DONTDUMP);
#endif
    live_inc();
    return s;
}

void signer_free(struct signer *s)
{
    if (!s)
        return;
    size_t size = s->alloc_size;
    bool locked = s->locked;
    OPENSSL_cleanse(s, size);
    if (locked)
        munlock(s, size);
#ifdef MADV_DODUMP
    (void)madvise(s, size, MADV_DODUMP);
#endif
    free(s);
    live_dec();
}

err_code signer_from_privkey(const uint8_t privkey[32], struct signer **out, struct err *e)
{
    *out = NULL;
    const secp256k1_context *ctx = ctx_get();
    if (!ctx)
        return err_set(e, E_CRYPTO, "cannot set up the secp256k1 context");
    /* Valid secret keys are 1 .. n-1 (SEC 1 §3.2.1). */
    if (!secp256k1_ec_seckey_verify(ctx, privkey))
        return err_set(e, E_INVALID,
                       "private key is not valid for secp256k1 (zero or not below the curve order)");
    struct signer *s = signer_alloc();
    if (!s)
        return err_set(e, E_NOMEM, "out of memory for the signer");
    memcpy(s->key, privkey, 32);
    secp256k1_pubkey pk;
    uint8_t ser[65];
    size_t serlen = sizeof ser;
    if (!secp256k1_ec_pubkey_create(ctx, &pk, s->key) ||
        !secp256k1_ec_pubkey_serialize(ctx, ser, &serlen, &pk, SECP256K1_EC_UNCOMPRESSED) ||
        serlen != 65) {
        signer_free(s);
        return err_set(e, E_CRYPTO, "cannot derive the public key");
    }
    memcpy(s->pub64, ser + 1, 64);
    eth_address_from_pubkey64(s->pub64, &s->addr);
    *out = s;
    return E_OK;
}

err_code signer_generate(struct signer **out, struct err *e)
{
    *out = NULL;
    const secp256k1_context *ctx = ctx_get();
    if (!ctx)
        return err_set(e, E_CRYPTO, "cannot set up the secp256k1 context");
    uint8_t key[32];
    /* A random 32-byte string is ≥ n with probability ~2^-128; retry then. */
    for (int tries = 0; tries < 16; tries++) {
        if (RAND_priv_bytes(key, sizeof key) != 1) {
            OPENSSL_cleanse(key, sizeof key);
            return err_set(e, E_CRYPTO, "the random number generator failed");
        }
        if (secp256k1_ec_seckey_verify(ctx, key)) {
            err_code rc = signer_from_privkey(key, out, e);
            OPENSSL_cleanse(key, sizeof key);
            return rc;
        }
    }
    OPENSSL_cleanse(key, sizeof key);
    return err_set(e, E_CRYPTO, "the random number generator keeps giving invalid keys");
}

void signer_address(const struct signer *s, struct addr20 *out) { *out = s->addr; }

void signer_export_privkey(const struct signer *s, uint8_t out[32]) { memcpy(out, s->key, 32); }

void signer_pubkey64(const struct signer *s, uint8_t out[64]) { memcpy(out, s->pub64, 64); }

/* ---- signing and recovery ------------------------------------------------ */

err_code signer_sign_digest(const struct signer *s, const struct hash32 *digest,
                            struct eth_sig *out, struct err *e)
{
    const secp256k1_context *ctx = ctx_get();
    if (!ctx)
        return err_set(e, E_CRYPTO, "cannot set up the secp256k1 context");
    secp256k1_ecdsa_recoverable_signature rsig;
    /* NULL nonce function = secp256k1_nonce_function_default, RFC 6979:
     * the same (key, digest) gives the same r, s as ethers. */
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rsig, digest->b, s->key, NULL, NULL))
        return err_set(e, E_CRYPTO, "secp256k1 signing failed");
    uint8_t rs[64];
    int recid = -1;
    secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, rs, &recid, &rsig);
    /* Ethereum carries one parity bit; recid 2/3 (r ≥ n) happens with
     * probability ~2^-127 and cannot be expressed. */
    if (recid != 0 && recid != 1)
        return err_set(e, E_CRYPTO, "signature has recovery id %d, which Ethereum cannot carry",
                       recid);
    struct eth_sig sig;
    memcpy(sig.r, rs, 32);
    memcpy(sig.s, rs + 32, 32);
    sig.y_parity = (uint8_t)recid;
    /* EIP-2: s must be in the lower half. libsecp256k1 always produces that;
     * check anyway, and recover the address to catch a faulty computation
     * before the signature leaves this module. */
    if (eth_sig_check(&sig, e) != E_OK) {
        return err_wrap(e, E_CRYPTO, "freshly made signature fails its check");
    }
    struct addr20 back;
    if (eth_recover_address(digest, &sig, &back, e) != E_OK || !addr20_eq(&back, &s->addr))
        return err_set(e, E_CRYPTO, "freshly made signature does not recover to the signer");
    *out = sig;
    return E_OK;
}

/* secp256k1 group order n halved, rounded down (EIP-2 upper bound for s). */
static const uint8_t HALF_N[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
};

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

err_code eth_sig_check(const struct eth_sig *sig, struct err *e)
{
    if (sig->y_parity > 1)
        return err_set(e, E_VERIFY, "signature y-parity is %u, not 0 or 1", sig->y_parity);
    if (all_zero(sig->r, 32) || all_zero(sig->s, 32))
        return err_set(e, E_VERIFY, "signature has r or s equal to zero");
    /* r < n is checked by the parser in eth_recover_address; s ≤ n/2 here
     * (EIP-2, "high s" signatures are malleable copies). */
    if (memcmp(sig->s, HALF_N, 32) > 0)
        return err_set(e, E_VERIFY, "signature has high s (above n/2, forbidden by EIP-2)");
    return E_OK;
}

err_code eth_recover_address(const struct hash32 *digest, const struct eth_sig *sig,
                             struct addr20 *out, struct err *e)
{
    const secp256k1_context *ctx = ctx_get();
    if (!ctx)
        return err_set(e, E_CRYPTO, "cannot set up the secp256k1 context");
    err_code rc = eth_sig_check(sig, e);
    if (rc)
        return rc;
    uint8_t rs[64];
    memcpy(rs, sig->r, 32);
    memcpy(rs + 32, sig->s, 32);
    secp256k1_ecdsa_recoverable_signature rsig;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig, rs, sig->y_parity))
        return err_set(e, E_VERIFY, "signature r or s is not below the curve order");
    secp256k1_pubkey pk;
    if (!secp256k1_ecdsa_recover(ctx, &pk, &rsig, digest->b))
        return err_set(e, E_VERIFY, "no public key recovers from this signature and digest");
    uint8_t ser[65];
    size_t serlen = sizeof ser;
    if (!secp256k1_ec_pubkey_serialize(ctx, ser, &serlen, &pk, SECP256K1_EC_UNCOMPRESSED) ||
        serlen != 65)
        return err_set(e, E_CRYPTO, "cannot serialize the recovered public key");
    eth_address_from_pubkey64(ser + 1, out);
    return E_OK;
}

void eth_address_from_pubkey64(const uint8_t pub[64], struct addr20 *out)
{
    struct hash32 h;
    keccak256(pub, 64, &h);
    memcpy(out->b, h.b + 12, 20);
}

/* ---- EIP-55 ----------------------------------------------------------------- */

void eth_address_checksum(const struct addr20 *a, char out[43])
{
    char lower[41];
    hex_encode(a->b, 20, lower);
    /* EIP-55: hash the lowercase hex digits (ASCII); a letter is uppercased
     * when the matching nibble of the hash is ≥ 8. */
    struct hash32 h;
    keccak256(lower, 40, &h);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        uint8_t nib = (uint8_t)(i % 2 ? h.b[i / 2] & 15 : h.b[i / 2] >> 4);
        char c = lower[i];
        out[2 + i] = (c >= 'a' && nib >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = '\0';
}

err_code eth_address_parse(const char *s, struct addr20 *out, struct err *e)
{
    if (!s)
        return err_set(e, E_INVALID, "missing address");
    size_t n = strlen(s);
    if (n != 42 || s[0] != '0' || s[1] != 'x')
        return err_set(e, E_INVALID, "address \"%.60s\" must be 0x followed by 40 hex digits", s);
    struct addr20 a;
    err_code rc = hex_decode_exact(s + 2, 40, false, a.b, 20, e);
    if (rc)
        return err_wrap(e, rc, "address \"%s\"", s);
    bool upper = false, lower = false;
    for (size_t i = 2; i < n; i++) {
        upper |= s[i] >= 'A' && s[i] <= 'F';
        lower |= s[i] >= 'a' && s[i] <= 'f';
    }
    if (upper && lower) {
        char want[43];
        eth_address_checksum(&a, want);
        if (strcmp(want, s) != 0)
            return err_set(e, E_INVALID,
                           "address %s: bad EIP-55 checksum (a typo? the checksummed form of "
                           "these digits is %s)",
                           s, want);
    }
    *out = a;
    return E_OK;
}
