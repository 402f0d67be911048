/*
 * tests/fuzz/fuzz_did_ebsi.c — libFuzzer target: did:ebsi DIDs and EBSI DID
 * Registry documents (anchor/did_ebsi.c). The verifier reads both from
 * places it does not control (a credential's "issuer", EBSI's API or
 * whatever answers at --ebsi-api).
 *
 * Input: an optional first line "did:..." (checked with did_ebsi_check(),
 * and the id the document must carry; without it a fixed valid DID), then
 * the document. Properties:
 *   - did_ebsi_check(): an accepted DID is "did:ebsi:z" + base58btc
 *     characters only; a refused one says why;
 *   - did_ebsi_doc_parse(): an accepted document has 1..DID_EBSI_MAX_CONTROLLERS
 *     controllers, each itself an accepted did:ebsi DID, at most
 *     DID_MAX_METHODS keys, each with chain id 0 (EBSI's own ledger), a
 *     printable method id, found by did_doc_find() on any chain; a refused
 *     one leaves nothing and says why.
 * Violations abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/did_ebsi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char did[DID_MAX_LEN + 8] = "did:ebsi:zbM8cCuoBMFNLeQyLiVFyxw";
    const char *doc;
    size_t len;
    struct err e = {0};
    int line = fuzz_did_line(data, size, did, sizeof did, &doc, &len);
    if (line < 0)
        return 0;
    if (line) {
        if (did_ebsi_check(did, &e) != E_OK) {
            REQUIRE(e.msg[0] != '\0');
        } else {
            REQUIRE(strncmp(did, "did:ebsi:z", 10) == 0);
            for (const char *p = did + 10; *p; p++)
                REQUIRE(strchr("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", *p));
        }
    }
    static struct did_ebsi_doc d;
    memset(&e, 0, sizeof e);
    if (did_ebsi_doc_parse(doc, len, did, &d, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0' && d.n_keys == 0 && d.n_controllers == 0);
        return 0;
    }
    REQUIRE(d.n_controllers >= 1 && d.n_controllers <= DID_EBSI_MAX_CONTROLLERS);
    for (size_t i = 0; i < d.n_controllers; i++) {
        struct err ce = {0};
        REQUIRE(did_ebsi_check(d.controllers[i], &ce) == E_OK);
    }
    REQUIRE(d.n_keys <= DID_MAX_METHODS);
    static struct did_doc dd;
    memset(&dd, 0, sizeof dd);
    for (size_t i = 0; i < d.n_keys; i++) {
        const struct did_account *a = &d.keys[i];
        REQUIRE(a->chain_id == 0);
        REQUIRE(memchr(a->vm_id, '\0', sizeof a->vm_id));
        for (const char *p = a->vm_id; *p; p++)
            REQUIRE(*p >= 0x20 && *p < 0x7f);
        dd.accounts[dd.n_accounts++] = *a;
        REQUIRE(did_doc_find(&dd, 1 + i, &a->addr) >= 0);
    }
    return 0;
}
