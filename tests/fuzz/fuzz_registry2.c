/*
 * tests/fuzz/fuzz_registry2.c — libFuzzer target: the NotaryRegistry2
 * decoders (anchor/registry2.c, registry2_keys.c) that read what a ledger
 * endpoint answers: the Anchored and key events, anchor() call data and the
 * contract's revert data.
 *
 * Input layout: byte 0 picks the number of topics (0..4), then 32 bytes per
 * topic, the rest is the log's data (also used whole as call data and as
 * revert data). Properties: an accepted Anchored event re-encodes (call
 * data from its fields) to the same words; an accepted key event has a kind
 * whose topic0 is the log's; a decoded revert text is NUL-terminated within
 * its buffer; the rule never says "counts" with a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/registry2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct rpc_log log = {0};
    log.ntopics = data[0] % 5;
    size_t off = 1;
    for (unsigned i = 0; i < log.ntopics; i++) {
        if (size - off < 32)
            return 0;
        memcpy(log.topics[i].b, data + off, 32);
        off += 32;
    }
    uint8_t *d = malloc(size - off + 1);
    if (!d)
        return 0;
    memcpy(d, data + off, size - off);
    log.data = d;
    log.data_len = size - off;

    struct registry2_anchored a;
    if (registry2_parse_anchored(&log, &a, NULL) == E_OK) {
        REQUIRE(log.ntopics == 3 && log.data_len == 128 && a.kind <= REGISTRY_KIND_CHECKPOINT);
        REQUIRE(memcmp(a.identity.b, log.topics[1].b + 12, 20) == 0);
        REQUIRE(memcmp(a.key.b, log.data + 96 + 12, 20) == 0);
    }
    struct registry2_key_event k;
    if (registry2_parse_key_event(&log, &k, NULL) == E_OK) {
        struct hash32 t;
        registry2_key_topic(k.kind, &t);
        REQUIRE(hash32_eq(&t, &log.topics[0]));
        REQUIRE(k.kind != REGISTRY2_AUTHORIZE || (k.index > 0 && k.index < (1u << 24)));
    }
    struct addr20 id;
    struct hash32 root;
    uint64_t sz, seq;
    enum registry_kind kind;
    if (registry2_parse_anchor_calldata(log.data, log.data_len, &id, &root, &sz, &seq, &kind,
                                        NULL) == E_OK) {
        struct buf b = {0};
        REQUIRE(registry2_anchor_calldata(&id, &root, sz, seq, kind, &b, NULL) == E_OK);
        REQUIRE(b.len == log.data_len && memcmp(b.p, log.data, b.len) == 0);
        buf_free(&b);
    }
    char text[256];
    memset(text, 'x', sizeof text);
    if (registry2_revert_text(log.data, log.data_len, text, sizeof text))
        REQUIRE(memchr(text, '\0', sizeof text) != NULL);
    if (log.data_len >= 40) {
        struct registry2_key_status st;
        memcpy(&st, log.data, sizeof st);
        uint64_t block;
        memcpy(&block, log.data + 32, 8);
        enum registry2_reason why;
        bool counts = registry2_key_counts(&st, block, &why);
        REQUIRE(counts == (why == REGISTRY2_COUNTS));
    }
    free(d);
    return 0;
}
