/*
 * tests/unit/test_registry.c — the NotaryRegistry interface in C against the
 * values the compiled contract has (selector and topic as reported by solc
 * and ethers in tests/cli/contracts.sh), and strict decoding of its event.
 */
#include <stdlib.h>

#include "anchor/eth.h"
#include "anchor/registry.h"
#include "tests/harness.h"

static void sample_log(struct rpc_log *l, uint64_t size, uint64_t seq, uint8_t kind)
{
    memset(l, 0, sizeof *l);
    registry_anchored_topic(&l->topics[0]);
    memset(l->topics[1].b + 12, 0xab, 20);
    memset(l->topics[2].b, 0xcd, 32);
    l->ntopics = 3;
    static uint8_t data[96];
    memset(data, 0, sizeof data);
    for (int i = 0; i < 8; i++) {
        data[31 - i] = (uint8_t)(size >> (8 * i));
        data[63 - i] = (uint8_t)(seq >> (8 * i));
    }
    data[95] = kind;
    l->data = data;
    l->data_len = 96;
    l->block_number = 7;
}

TEST(anchor_calldata_has_the_contract_selector_and_round_trips)
{
    struct err e = {0};
    struct hash32 root;
    memset(root.b, 0x11, 32);
    struct buf b = {0};
    CHECK_OK(registry_anchor_calldata(&root, 1000, 17, REGISTRY_KIND_CHECKPOINT, &b, &e), &e);
    CHECK(b.len == REGISTRY_ANCHOR_CALLDATA_LEN);
    CHECK(b.p[0] == 0x18 && b.p[1] == 0x52 && b.p[2] == 0x38 && b.p[3] == 0x23);
    struct hash32 r2;
    uint64_t size, seq;
    enum registry_kind kind;
    CHECK_OK(registry_parse_anchor_calldata(b.p, b.len, &r2, &size, &seq, &kind, &e), &e);
    CHECK(hash32_eq(&root, &r2) && size == 1000 && seq == 17 && kind == REGISTRY_KIND_CHECKPOINT);
    b.p[100] = 1; /* a bit above uint64 in the size word */
    CHECK_ERR(registry_parse_anchor_calldata(b.p, b.len, &r2, &size, &seq, &kind, &e), &e,
              E_INVALID, "");
    CHECK_ERR(registry_parse_anchor_calldata(b.p, b.len - 1, &r2, &size, &seq, &kind, &e), &e,
              E_INVALID, "not an anchor");
    buf_free(&b);
}

TEST(event_topic_is_the_compiled_one)
{
    struct hash32 t;
    registry_anchored_topic(&t);
    char hex[67];
    hash32_to_hex0x(&t, hex);
    CHECK_STREQ(hex, "0x44073773c3302df727dabefe604d8b96c27a2615d89d0f9f7a83f923285ed1f1");
}

TEST(event_decoding_is_strict)
{
    struct err e = {0};
    struct rpc_log l;
    struct registry_event ev;
    sample_log(&l, 5, 3, 0);
    CHECK_OK(registry_parse_event(&l, &ev, &e), &e);
    CHECK(ev.size == 5 && ev.seq == 3 && ev.kind == REGISTRY_KIND_BATCH && ev.issuer.b[0] == 0xab &&
          ev.root.b[31] == 0xcd && ev.block_number == 7);
    sample_log(&l, 5, 3, 0);
    l.topics[1].b[0] = 1; /* not a left-padded address */
    CHECK(registry_parse_event(&l, &ev, &e) == E_INVALID);
    sample_log(&l, 5, 3, 0);
    l.topics[0].b[0] ^= 1; /* another event */
    CHECK_ERR(registry_parse_event(&l, &ev, &e), &e, E_INVALID, "not an Anchored event");
    sample_log(&l, 5, 3, 0);
    l.ntopics = 2;
    CHECK_ERR(registry_parse_event(&l, &ev, &e), &e, E_INVALID, "not an Anchored event");
    sample_log(&l, 5, 3, 0);
    l.data_len = 64;
    CHECK_ERR(registry_parse_event(&l, &ev, &e), &e, E_INVALID, "expected 96");
    sample_log(&l, 5, 3, 0);
    ((uint8_t *)l.data)[64] = 1; /* kind word above uint8 */
    CHECK(registry_parse_event(&l, &ev, &e) == E_INVALID);
}

TEST(embedded_bytecode_is_present)
{
    CHECK(strlen(registry_creation_hex) > 1000);
    CHECK(strlen(registry_runtime_hex) > 1000);
    CHECK(strlen(registry_runtime_hex) < strlen(registry_creation_hex));
}
