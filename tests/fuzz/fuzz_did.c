/*
 * tests/fuzz/fuzz_did.c — libFuzzer target: did:web DIDs and DID documents
 * (anchor/did.c). A verifier fetches an issuer's DID document from the
 * issuer's web server, so both the document and a DID read from a
 * trusted-issuers file or a credential are hostile input.
 *
 * Input: an optional first line "did:..." (a DID to derive the URL of, and
 * the id the document must carry; without it "did:web:uni.example"), then
 * the document. Properties:
 *   - did_web_url(): an accepted DID gives "https://" + a URL ending in
 *     "/did.json" of letters, digits and ".-_:/" only (nothing that could
 *     change its host, add a query or user info); a refused one leaves the
 *     URL empty and says why;
 *   - did_doc_parse(): an accepted document has at most DID_MAX_METHODS
 *     accounts, each with a chain id in 1..2^53 and a printable method id
 *     that did_doc_find() finds; a refused one leaves no account and says
 *     why.
 * Violations abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/did.h"
#include "core/jfield.h"

static void check_url(const char *did)
{
    char url[DID_URL_MAX];
    struct err e = {0};
    if (did_web_url(did, url, &e) != E_OK) {
        REQUIRE(url[0] == '\0' && e.msg[0] != '\0');
        return;
    }
    size_t n = strlen(url);
    REQUIRE(strncmp(url, "https://", 8) == 0);
    REQUIRE(n > 17 && strcmp(url + n - 9, "/did.json") == 0);
    for (size_t i = 8; i < n; i++)
        REQUIRE((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
                (url[i] >= '0' && url[i] <= '9') || strchr(".-_:/", url[i]));
    REQUIRE(!strstr(url + 8, "//") && !strstr(url, "/../") && !strstr(url, "/./"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char did[DID_MAX_LEN + 8] = "did:web:uni.example";
    const char *doc;
    size_t len;
    int line = fuzz_did_line(data, size, did, sizeof did, &doc, &len);
    if (line < 0)
        return 0;
    if (line)
        check_url(did);
    static struct did_doc d;
    struct err e = {0};
    if (did_doc_parse(doc, len, did, &d, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0' && d.n_accounts == 0);
        return 0;
    }
    REQUIRE(d.n_accounts <= DID_MAX_METHODS);
    REQUIRE(memchr(d.also_known_as, '\0', sizeof d.also_known_as));
    REQUIRE(memchr(d.name, '\0', sizeof d.name));
    for (size_t i = 0; i < d.n_accounts; i++) {
        const struct did_account *a = &d.accounts[i];
        REQUIRE(a->chain_id >= 1 && a->chain_id <= JFIELD_MAX_UINT);
        REQUIRE(memchr(a->vm_id, '\0', sizeof a->vm_id));
        for (const char *p = a->vm_id; *p; p++)
            REQUIRE(*p >= 0x20 && *p < 0x7f);
        int k = did_doc_find(&d, a->chain_id, &a->addr);
        REQUIRE(k >= 0 && (size_t)k <= i);
    }
    return 0;
}
