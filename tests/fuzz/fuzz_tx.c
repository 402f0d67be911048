/*
 * tests/fuzz/fuzz_tx.c — libFuzzer target: transaction decoding
 * (anchor/tx.c), which parses what an EBSI gateway hands us to sign and what
 * a ledger reports as mined.
 *
 * The first input byte picks the decoder: signed (tx_decode_signed) or
 * unsigned (tx_decode_unsigned), for any chain or for chain 1337. Decoding is
 * strict (canonical RLP and integers, one encoding per transaction), so an
 * accepted input must re-encode to exactly the same bytes and decode again to
 * the same fields; a signed one has a low-s signature (EIP-2) and either
 * recovers a sender or is refused with E_VERIFY. Violations abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    uint64_t chain = (mode & 2) ? 1337 : TX_CHAIN_ANY;
    struct tx t;
    struct err e = {0};
    struct buf out = {0};
    err_code rc;
    if (mode & 1) {
        rc = tx_decode_unsigned(data, size, chain, &t, &e);
        if (rc != E_OK) {
            REQUIRE(e.msg[0] != '\0');
            return 0;
        }
        if (chain != TX_CHAIN_ANY)
            REQUIRE(t.chain_id == chain);
        REQUIRE(tx_encode_unsigned(&t, &out, &e) == E_OK);
        REQUIRE(out.len == size && memcmp(out.p, data, size) == 0);
        struct hash32 h;
        REQUIRE(tx_signing_hash(&t, &h, &e) == E_OK);
    } else {
        struct eth_sig sig;
        rc = tx_decode_signed(data, size, chain, &t, &sig, &e);
        if (rc != E_OK) {
            REQUIRE(e.msg[0] != '\0');
            return 0;
        }
        if (chain != TX_CHAIN_ANY)
            REQUIRE(t.chain_id == chain);
        REQUIRE(eth_sig_check(&sig, &e) == E_OK); /* low s, y-parity 0/1 (EIP-2) */
        if (tx_encode_signed(&t, &sig, &out, &e) != E_OK)
            fprintf(stderr, "fuzz_tx: re-encoding failed: %s\n", e.msg);
        REQUIRE(out.len == size && memcmp(out.p, data, size) == 0);
        struct addr20 from;
        rc = tx_recover_sender(&t, &sig, &from, &e);
        REQUIRE(rc == E_OK || rc == E_VERIFY);
        (void)tx_v(&t, &sig);
        /* Decoding the same bytes again gives the same transaction. */
        struct tx t2;
        struct eth_sig sig2;
        REQUIRE(tx_decode_signed(data, size, chain, &t2, &sig2, &e) == E_OK);
        REQUIRE(tx_same(&t, &t2) && memcmp(&sig, &sig2, sizeof sig) == 0);
        tx_clear(&t2);
    }
    buf_free(&out);
    tx_clear(&t);
    return 0;
}
