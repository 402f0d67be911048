/*
 * tests/unit/test_registry2.c — the NotaryRegistry2 interface in C against the
 * values of docs/registry-v2.md (selectors, topics, typehashes and the EIP-712
 * test vector, which tests/js/registry2.test.js checks against the compiled
 * contract and ethers), strict decoding of its events, its custom errors in
 * words, and the rule of §2 against its expression for every ordering of the
 * four block numbers around the anchor's block.
 */
#include <stdlib.h>

#include "anchor/abi.h"
#include "anchor/eth.h"
#include "anchor/registry2.h"
#include "anchor/signer.h"
#include "core/hash.h"
#include "tests/harness.h"

static void hex0x(const uint8_t *p, size_t n, char *out)
{
    out[0] = '0', out[1] = 'x';
    hex_encode(p, n, out + 2);
}

static void check_selector(const char *sig, const char *want)
{
    uint8_t sel[4];
    char hex[11];
    abi_selector(sig, sel);
    hex0x(sel, 4, hex);
    CHECKF(strcmp(hex, want) == 0, "%s: %s, expected %s", sig, hex, want);
}

TEST(selectors_are_those_of_the_spec)
{
    check_selector("anchor(address,bytes32,uint64,uint64,uint8)", "0x355a20fd");
    check_selector("authorizeKey(address)", "0x6f51cabd");
    check_selector("retireKey(address)", "0x25324a42");
    check_selector("declareCompromised(address,uint64)", "0x4e3cd7e3");
    check_selector("authorizeKeyBySig(address,address,uint256,uint8,bytes32,bytes32)",
                   "0xa69a0053");
    check_selector("retireKeyBySig(address,address,uint256,uint8,bytes32,bytes32)", "0x453952ad");
    check_selector("declareCompromisedBySig(address,address,uint64,uint256,uint8,bytes32,bytes32)",
                   "0x144c8aa6");
    check_selector("anchoredAt(address,bytes32)", "0xf8c2919d");
    check_selector("nextSeq(address,uint8)", "0x7c4ccc0a");
    check_selector("keyStatus(address,address)", "0x8d3a2db0");
    check_selector("keyCount(address)", "0x739687d9");
    check_selector("keyAt(address,uint256)", "0x4056e244");
    check_selector("nonces(address)", "0x7ecebe00");
    check_selector("authorizeKeyDigest(address,address,uint256)", "0x7fee3cbd");
    check_selector("retireKeyDigest(address,address,uint256)", "0x2f6b9603");
    check_selector("declareCompromisedDigest(address,address,uint64,uint256)", "0x7354678f");
    check_selector("NotAuthorized(address,address)", "0xc55ddc97");
    check_selector("SinceBeforeAuthorization(uint64,uint64)", "0x3027cc86");
    check_selector("AlreadyCompromised(address,address,uint64)", "0x16793e83");
    check_selector("WrongSigner(address,address)", "0x366d29f7");
}

TEST(calldata_uses_the_selectors_the_functions_have)
{
    struct err e = {0};
    struct registry2_change ch = {.kind = REGISTRY2_COMPROMISED, .since = 41, .nonce = 3};
    memset(ch.identity.b, 0x11, 20);
    memset(ch.key.b, 0x22, 20);
    struct registry2_sig sig = {.v = 28};
    memset(sig.r.b, 0x33, 32);
    memset(sig.s.b, 0x44, 32);
    struct buf b = {0};
    CHECK_OK(registry2_change_bysig_calldata(&ch, &sig, &b, &e), &e);
    CHECK(b.len == 4 + 7 * 32 && b.p[0] == 0x14 && b.p[1] == 0x4c && b.p[2] == 0x8a &&
          b.p[3] == 0xa6);
    CHECK(b.p[4 + 2 * 32 + 31] == 41 && b.p[4 + 3 * 32 + 31] == 3 && b.p[4 + 4 * 32 + 31] == 28);
    buf_free(&b);
    ch.kind = REGISTRY2_AUTHORIZE;
    CHECK_OK(registry2_change_bysig_calldata(&ch, &sig, &b, &e), &e);
    CHECK(b.len == 4 + 6 * 32 && b.p[0] == 0xa6 && b.p[3] == 0x53);
    buf_free(&b);
    ch.kind = REGISTRY2_RETIRE;
    CHECK_OK(registry2_change_calldata(&ch, &b, &e), &e);
    CHECK(b.len == 36 && b.p[0] == 0x25 && b.p[3] == 0x42);
    buf_free(&b);
    ch.kind = REGISTRY2_COMPROMISED;
    CHECK_OK(registry2_change_calldata(&ch, &b, &e), &e);
    CHECK(b.len == 68 && b.p[0] == 0x4e && b.p[3] == 0xe3 && b.p[67] == 41);
    buf_free(&b);
    ch.kind = (enum registry2_change_kind)7;
    CHECK_ERR(registry2_change_calldata(&ch, &b, &e), &e, E_INVALID, "unknown key change");
    buf_free(&b);
}

TEST(anchor_calldata_round_trips_and_is_strict)
{
    struct err e = {0};
    struct addr20 id, id2;
    memset(id.b, 0x90, 20);
    struct hash32 root, r2;
    memset(root.b, 0x11, 32);
    struct buf b = {0};
    CHECK_OK(registry2_anchor_calldata(&id, &root, 1000, 17, REGISTRY_KIND_CHECKPOINT, &b, &e), &e);
    CHECK(b.len == REGISTRY2_ANCHOR_CALLDATA_LEN);
    CHECK(b.p[0] == 0x35 && b.p[1] == 0x5a && b.p[2] == 0x20 && b.p[3] == 0xfd);
    uint64_t size, seq;
    enum registry_kind kind;
    CHECK_OK(registry2_parse_anchor_calldata(b.p, b.len, &id2, &r2, &size, &seq, &kind, &e), &e);
    CHECK(addr20_eq(&id, &id2) && hash32_eq(&root, &r2) && size == 1000 && seq == 17 &&
          kind == REGISTRY_KIND_CHECKPOINT);
    b.p[4 + 31 - 20] = 1; /* a byte above the address in its word */
    CHECK_ERR(registry2_parse_anchor_calldata(b.p, b.len, &id2, &r2, &size, &seq, &kind, &e), &e,
              E_INVALID, "");
    b.p[4 + 31 - 20] = 0;
    b.p[b.len - 1] = 2; /* kind 2 */
    CHECK_ERR(registry2_parse_anchor_calldata(b.p, b.len, &id2, &r2, &size, &seq, &kind, &e), &e,
              E_INVALID, "kind 2");
    CHECK_ERR(registry2_parse_anchor_calldata(b.p, b.len - 1, &id2, &r2, &size, &seq, &kind, &e),
              &e, E_INVALID, "not an anchor");
    buf_free(&b);
    CHECK_ERR(registry2_anchor_calldata(&id, &root, 1, 0, (enum registry_kind)2, &b, &e), &e,
              E_INVALID, "kind 2");
    buf_free(&b);
}

static void check_topic(const struct hash32 *t, const char *want)
{
    char hex[67];
    hash32_to_hex0x(t, hex);
    CHECKF(strcmp(hex, want) == 0, "topic %s, expected %s", hex, want);
}

TEST(event_topics_are_those_of_the_spec)
{
    struct hash32 t;
    registry2_anchored_topic(&t);
    check_topic(&t, "0x7ccfcd4bbb9e52eda71d56d8c0e375949cf89661b317ad04fc744ad8a01557b3");
    registry2_key_topic(REGISTRY2_AUTHORIZE, &t);
    check_topic(&t, "0xca16646298fa7464d2c56227007e6e146711889d7f6e8575859c655cf41d6fdf");
    registry2_key_topic(REGISTRY2_RETIRE, &t);
    check_topic(&t, "0xa14f5b671885cb8db7ea14901d6a0a9d3df2662303345a5dd207e2c29431c7ac");
    registry2_key_topic(REGISTRY2_COMPROMISED, &t);
    check_topic(&t, "0x4b84f61e4991e4c270df2e975943989c6ae7e8464b7cce69b354868afcf0e57e");
}

/* docs/registry-v2.md §4: domain, hashStruct, digest and ganache key 0's
 * signature, as the contract and ethers compute them. */
TEST(eip712_vector_of_the_spec)
{
    struct err e = {0};
    struct addr20 contract;
    CHECK_OK(addr20_from_hex("0xe78A0F7E598Cc8b0Bb87894B0F60dD2a88d6a8Ab", &contract, &e), &e);
    struct registry2_change ch = {.kind = REGISTRY2_AUTHORIZE, .nonce = 0};
    CHECK_OK(addr20_from_hex("0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1", &ch.identity, &e), &e);
    CHECK_OK(addr20_from_hex("0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0", &ch.key, &e), &e);
    struct hash32 h;
    registry2_domain_separator(1337, &contract, &h);
    check_topic(&h, "0x32b7655c49f9ec8305dfcd773ad4da1f71e811807fce9900046fae2a4377b1fa");
    registry2_change_hash_struct(&ch, &h);
    check_topic(&h, "0xfa6d86e8f39c976400d178a3aff1753a37c1a129b269906269b3e573535c172d");
    registry2_change_digest(1337, &contract, &ch, &h);
    check_topic(&h, "0x572f3db9da8a68396ecd651aee2ba0ce7e2c65fcd2109c75ac10010beaf9c244");

    uint8_t k0[32];
    CHECK_OK(hex_decode_exact("4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d",
                              64, false, k0, 32, &e), &e);
    struct signer *sg = NULL;
    CHECK_OK(signer_from_privkey(k0, &sg, &e), &e);
    struct registry2_sig sig;
    CHECK_OK(registry2_sign_change(sg, 1337, &contract, &ch, &sig, &e), &e);
    check_topic(&sig.r, "0x0e35373066e92a2ea7477ee1e89ffcdf0d9a2687af86844b55530d273a1baa49");
    check_topic(&sig.s, "0x7aaa90e612680b299f8acd0a2841a2e01de71471ad48afcbab5d5cf3853dc4c7");
    CHECK(sig.v == 27);
    /* the key of another address is refused before signing */
    struct registry2_change other = ch;
    other.identity = ch.key;
    CHECK_ERR(registry2_sign_change(sg, 1337, &contract, &other, &sig, &e), &e, E_INVALID,
              "not the identity");
    signer_free(sg);
}

/* The type strings hash to the typehashes of the spec: a change of kind
 * RETIRE / COMPROMISED differs from AUTHORIZE and includes `since`. */
TEST(typehashes_and_since_enter_the_struct_hash)
{
    struct registry2_change a = {.kind = REGISTRY2_AUTHORIZE}, r = a, c = a;
    r.kind = REGISTRY2_RETIRE;
    c.kind = REGISTRY2_COMPROMISED;
    struct hash32 ha, hr, hc, hc2;
    registry2_change_hash_struct(&a, &ha);
    registry2_change_hash_struct(&r, &hr);
    registry2_change_hash_struct(&c, &hc);
    c.since = 1;
    registry2_change_hash_struct(&c, &hc2);
    CHECK(!hash32_eq(&ha, &hr) && !hash32_eq(&ha, &hc) && !hash32_eq(&hc, &hc2));
    struct hash32 t;
    static const char RK[] = "RetireKey(address identity,address key,uint256 nonce)";
    keccak256(RK, strlen(RK), &t);
    check_topic(&t, "0x0357b5643a76c2d2f949f72447caacd9e4d4c521a219574b683a99bfcc7e284b");
    static const char DC[] =
        "DeclareCompromised(address identity,address key,uint64 since,uint256 nonce)";
    keccak256(DC, strlen(DC), &t);
    check_topic(&t, "0x2fc81ea72d55a96602ff23e66ba665310c43409950de2ec8857b01a4abeddabd");
}

static uint8_t g_data[128];
static void key_log(struct rpc_log *l, enum registry2_change_kind kind, uint64_t value,
                    uint32_t index)
{
    memset(l, 0, sizeof *l);
    registry2_key_topic(kind, &l->topics[0]);
    memset(l->topics[1].b + 12, 0xaa, 20);
    memset(l->topics[2].b + 12, 0xbb, 20);
    l->ntopics = 3;
    memset(g_data, 0, sizeof g_data);
    for (int i = 0; i < 8; i++)
        g_data[31 - i] = (uint8_t)(value >> (8 * i));
    for (int i = 0; i < 4; i++)
        g_data[63 - i] = (uint8_t)(index >> (8 * i));
    l->data = g_data;
    l->data_len = kind == REGISTRY2_AUTHORIZE ? 64 : 32;
    l->block_number = value;
}

TEST(key_events_decode_strictly)
{
    struct err e = {0};
    struct rpc_log l;
    struct registry2_key_event ev;
    key_log(&l, REGISTRY2_AUTHORIZE, 12, 1);
    CHECK_OK(registry2_parse_key_event(&l, &ev, &e), &e);
    CHECK(ev.kind == REGISTRY2_AUTHORIZE && ev.value == 12 && ev.index == 1 &&
          ev.identity.b[0] == 0xaa && ev.key.b[19] == 0xbb);
    l.data_len = 32;
    CHECK_ERR(registry2_parse_key_event(&l, &ev, &e), &e, E_INVALID, "expected 64");
    key_log(&l, REGISTRY2_AUTHORIZE, 12, 0);
    CHECK_ERR(registry2_parse_key_event(&l, &ev, &e), &e, E_INVALID, "index 0");
    key_log(&l, REGISTRY2_AUTHORIZE, 12, 1);
    g_data[32 + 27] = 1; /* above uint32 */
    CHECK_ERR(registry2_parse_key_event(&l, &ev, &e), &e, E_INVALID, "");
    key_log(&l, REGISTRY2_RETIRE, 13, 0);
    CHECK_OK(registry2_parse_key_event(&l, &ev, &e), &e);
    CHECK(ev.kind == REGISTRY2_RETIRE && ev.value == 13);
    l.topics[2].b[0] = 1; /* not an address word */
    CHECK_ERR(registry2_parse_key_event(&l, &ev, &e), &e, E_INVALID, "");
    key_log(&l, REGISTRY2_COMPROMISED, 9, 0);
    CHECK_OK(registry2_parse_key_event(&l, &ev, &e), &e);
    CHECK(ev.kind == REGISTRY2_COMPROMISED && ev.value == 9);
    l.ntopics = 2;
    CHECK_ERR(registry2_parse_key_event(&l, &ev, &e), &e, E_INVALID, "2 topics");
    l.ntopics = 3;
    registry2_anchored_topic(&l.topics[0]);
    CHECK_ERR(registry2_parse_key_event(&l, &ev, &e), &e, E_INVALID, "topic0");
}

TEST(anchored_event_decodes_strictly_and_refuses_v1)
{
    struct err e = {0};
    struct rpc_log l = {0};
    registry2_anchored_topic(&l.topics[0]);
    memset(l.topics[1].b + 12, 0xaa, 20);
    memset(l.topics[2].b, 0xcd, 32);
    l.ntopics = 3;
    memset(g_data, 0, sizeof g_data);
    g_data[31] = 5, g_data[63] = 2, g_data[95] = 1;
    memset(g_data + 96 + 12, 0xbb, 20);
    l.data = g_data;
    l.data_len = 128;
    struct registry2_anchored ev;
    CHECK_OK(registry2_parse_anchored(&l, &ev, &e), &e);
    CHECK(ev.size == 5 && ev.seq == 2 && ev.kind == REGISTRY_KIND_CHECKPOINT &&
          ev.key.b[0] == 0xbb && ev.identity.b[19] == 0xaa && ev.root.b[0] == 0xcd);
    g_data[95] = 2;
    CHECK_ERR(registry2_parse_anchored(&l, &ev, &e), &e, E_INVALID, "kind 2");
    g_data[95] = 1;
    g_data[96] = 1;
    CHECK_ERR(registry2_parse_anchored(&l, &ev, &e), &e, E_INVALID, "");
    g_data[96] = 0;
    l.data_len = 96;
    CHECK_ERR(registry2_parse_anchored(&l, &ev, &e), &e, E_INVALID, "expected 128");
    l.data_len = 128;
    registry_anchored_topic(&l.topics[0]); /* NotaryRegistry v1's Anchored */
    CHECK_ERR(registry2_parse_anchored(&l, &ev, &e), &e, E_INVALID, "topics differ");
}

/* The rule against its expression, for every placement of each of the four
 * numbers (NEVER, before, at, after the anchor's block, 0). */
TEST(rule_is_the_expression_of_the_spec)
{
    const uint64_t B = 100;
    const uint64_t vals[] = {0, B - 1, B, B + 1, REGISTRY2_NEVER};
    size_t nv = sizeof vals / sizeof vals[0], cases = 0;
    for (size_t a = 0; a < nv; a++)
        for (size_t r = 0; r < nv; r++)
            for (size_t c = 0; c < nv; c++)
                for (size_t i = 0; i < nv; i++) {
                    struct registry2_key_status st = {vals[a], vals[r], vals[c], vals[i]};
                    bool want = st.authorized_from <= B && B < st.retired_at &&
                                B < st.compromised_since && B < st.identity_compromised_since;
                    enum registry2_reason why;
                    bool got = registry2_key_counts(&st, B, &why);
                    CHECKF(got == want && (why == REGISTRY2_COUNTS) == want,
                           "status %zu/%zu/%zu/%zu", a, r, c, i);
                    if (!want && why == REGISTRY2_NOT_AUTHORIZED)
                        CHECK(st.authorized_from > B);
                    if (why == REGISTRY2_RETIRED)
                        CHECK(st.retired_at <= B && st.compromised_since > B);
                    cases++;
                }
    CHECK(cases == 625);
    /* the identity itself, never changed: every block counts */
    struct registry2_key_status id = {0, REGISTRY2_NEVER, REGISTRY2_NEVER, REGISTRY2_NEVER};
    CHECK(registry2_key_counts(&id, 0, NULL) && registry2_key_counts(&id, UINT64_MAX - 1, NULL));
    /* a key never authorized: no block counts, and the words say so */
    struct registry2_key_status never = {REGISTRY2_NEVER, REGISTRY2_NEVER, REGISTRY2_NEVER,
                                         REGISTRY2_NEVER};
    enum registry2_reason why;
    CHECK(!registry2_key_counts(&never, 5, &why) && why == REGISTRY2_NOT_AUTHORIZED);
    char text[200];
    struct addr20 i = {{0}}, k = {{0}};
    registry2_reason_format(why, &never, &i, &k, 5, text, sizeof text);
    CHECK(strstr(text, "never authorized") != NULL);
    struct registry2_key_status comp = {10, REGISTRY2_NEVER, 41, REGISTRY2_NEVER};
    CHECK(!registry2_key_counts(&comp, 41, &why) && why == REGISTRY2_KEY_COMPROMISED);
    registry2_reason_format(why, &comp, &i, &k, 41, text, sizeof text);
    CHECK(strstr(text, "compromised since block 41") != NULL);
    CHECK(registry2_key_counts(&comp, 40, &why));
}

TEST(custom_errors_in_words)
{
    uint8_t d[4 + 3 * 32] = {0};
    char text[300];
    abi_selector("SinceBeforeAuthorization(uint64,uint64)", d);
    d[4 + 31] = 7, d[4 + 63] = 12;
    CHECK(registry2_revert_text(d, 4 + 64, text, sizeof text));
    CHECK(strstr(text, "block 7 is before the key's authorization at block 12") != NULL);
    CHECK(!registry2_revert_text(d, 4 + 96, text, sizeof text)); /* wrong length */
    d[4 + 20] = 1;                                                 /* above uint64 */
    CHECK(!registry2_revert_text(d, 4 + 64, text, sizeof text));
    memset(d, 0, sizeof d);
    abi_selector("NotAuthorized(address,address)", d);
    memset(d + 4 + 12, 0xaa, 20);
    memset(d + 36 + 12, 0xbb, 20);
    CHECK(registry2_revert_text(d, 4 + 64, text, sizeof text));
    CHECK(strstr(text, "NotAuthorized") && strstr(text, "0xaaaaaaaa") && strstr(text, "0xbbbbbbbb"));
    abi_selector("ZeroKey()", d);
    CHECK(registry2_revert_text(d, 4, text, sizeof text) && strstr(text, "ZeroKey"));
    d[0] ^= 1;
    CHECK(!registry2_revert_text(d, 4, text, sizeof text));
    CHECK(!registry2_revert_text(d, 3, text, sizeof text));
}

