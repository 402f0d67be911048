/*
 * tests/unit/test_revlog.c — the revocation log (core/revlog.h): the entry
 * encoding and leaf against the worked example of docs/revocation-format.md
 * (computed independently with Python's hashlib), that every kind of
 * tampering changes the root, the writer/parser round trip, and the strict
 * parser's refusals (one named case each; they outnumber the happy paths).
 */
#include <stdlib.h>

#include "core/hash.h"
#include "core/merkle.h"
#include "core/revlog.h"
#include "tests/harness.h"

/* docs/revocation-format.md §4, worked example. */
#define EX_C0 "266b1a7a758e7f3658d8b26cfb022640945722ed46f7b610b0d30149c7f27c25"
#define EX_E0                                                                                      \
    "01266b1a7a758e7f3658d8b26cfb022640945722ed46f7b610b0d30149c7f27c2503000000006920fd00000f65" \
    "78616d206d6973636f6e64756374"
#define EX_D0 "43bcb5ee0085317c27afe6bb2fa83ba816a8e2c114d0cf18a89ca65c6a669dbd"
#define EX_L0 "dd82353a3043b2528b90965255765bcc0fb4d246786f81e9473e44d6e7cb0a48"
#define EX_C1 "817d172a02a1be2100ab88c9b80234a1c2a571e4d138afc893f82031b0114142"
#define EX_D1 "052856e3cd0743067ed70a52a392e9dc2b8776980d0f3d9fcb845e68cc612fda"
#define EX_ROOT2 "f06b54230e1428d1e8713b27a3f4d11e76040c028d57b81ac59626ba3c388e98"

static void example_log(struct revlog *l)
{
    struct err e = {0};
    memset(l, 0, sizeof *l);
    struct revlog_entry en = {.reason = REVLOG_FRAUD, .time = 1763769600,
                              .note = "exam misconduct"};
    if (hash32_from_hex(EX_C0, &en.credential, &e) || revlog_add_entry(l, &en, &e))
        abort();
    struct revlog_entry en1 = {.reason = REVLOG_WITHDRAWN, .time = 1763773200};
    if (hash32_from_hex(EX_C1, &en1.credential, &e) || revlog_add_entry(l, &en1, &e))
        abort();
    l->chain_id = 1337;
    l->exported_at = 1763780000;
    memset(l->issuer.b, 0x11, 20);
    memset(l->contract.b, 0x22, 20);
}

TEST(reason_names_and_codes)
{
    struct err e = {0};
    enum revlog_reason r;
    static const char *const names[] = {"unspecified", "superseded",     "issued-in-error",
                                        "fraud",       "holder-request", "withdrawn"};
    for (unsigned i = 0; i <= REVLOG_REASON_MAX; i++) {
        char code[4];
        snprintf(code, sizeof code, "%u", i);
        CHECK_OK(revlog_reason_parse(code, &r, &e), &e);
        CHECK(r == i);
        CHECK_OK(revlog_reason_parse(names[i], &r, &e), &e);
        CHECK(r == i);
        CHECK_STREQ(revlog_reason_name(i), names[i]);
    }
    static const char *const bad[] = {"6", "Fraud", "", "03", "33", "-1", "fraud ", NULL};
    for (int i = 0; bad[i]; i++)
        t_case(revlog_reason_parse(bad[i], &r, &e) == E_INVALID && strstr(e.msg, "withdrawn"),
               bad[i], "accepted or unclear: %s", e.msg);
    CHECK_STREQ(revlog_reason_name(6), "invalid");
}

TEST(entry_encoding_matches_the_document)
{
    struct revlog l;
    example_log(&l);
    struct err e = {0};
    uint8_t buf[REVLOG_ENTRY_MAX_BYTES];
    size_t n;
    char hex[2 * REVLOG_ENTRY_MAX_BYTES + 1];
    CHECK_OK(revlog_entry_encode(&l.entries[0], buf, &n, &e), &e);
    hex_encode(buf, n, hex);
    CHECK_STREQ(hex, EX_E0);
    struct hash32 d, leaf, root;
    char h[65];
    CHECK_OK(revlog_entry_digest(&l.entries[0], &d, &e), &e);
    hash32_to_hex(&d, h);
    CHECK_STREQ(h, EX_D0);
    merkle_leaf_hash(&d, &leaf);
    hash32_to_hex(&leaf, h);
    CHECK_STREQ(h, EX_L0);
    CHECK_OK(revlog_entry_digest(&l.entries[1], &d, &e), &e);
    hash32_to_hex(&d, h);
    CHECK_STREQ(h, EX_D1);
    CHECK_OK(revlog_root(&l, 2, &root, &e), &e);
    hash32_to_hex(&root, h);
    CHECK_STREQ(h, EX_ROOT2);
    CHECK_OK(revlog_root(&l, 0, &root, &e), &e);
    struct hash32 empty;
    merkle_empty_root(&empty);
    CHECK(hash32_eq(&root, &empty));
    revlog_free(&l);
}

TEST(entry_encoding_refusals)
{
    struct err e = {0};
    uint8_t buf[REVLOG_ENTRY_MAX_BYTES];
    size_t n;
    char long_note[REVLOG_MAX_NOTE + 2];
    memset(long_note, 'x', sizeof long_note - 1);
    long_note[sizeof long_note - 1] = '\0';
    struct revlog_entry en = {.reason = 6};
    CHECK_ERR(revlog_entry_encode(&en, buf, &n, &e), &e, E_INVALID, "reason code 6");
    en.reason = 0;
    en.time = -1;
    CHECK_ERR(revlog_entry_encode(&en, buf, &n, &e), &e, E_INVALID, "before 1970");
    en.time = 0;
    en.note = long_note;
    CHECK_ERR(revlog_entry_encode(&en, buf, &n, &e), &e, E_INVALID, "longer than 200");
    long_note[REVLOG_MAX_NOTE] = '\0';
    CHECK_OK(revlog_entry_encode(&en, buf, &n, &e), &e);
    CHECK(n == REVLOG_ENTRY_MAX_BYTES);
    struct revlog l = {0};
    static const char *const bad_notes[] = {"tab\there", "nl\n", "bell\a", "del\x7f",
                                            "\xc3(", "\xed\xa0\x80", "\xc0\xaf", "\xc2\x85",
                                            NULL};
    for (int i = 0; bad_notes[i]; i++) {
        en.note = (char *)bad_notes[i];
        t_case(revlog_add_entry(&l, &en, &e) == E_INVALID, "bad note", "note %d accepted", i);
    }
    en.note = "Prüfungsbetrug — 不正";
    CHECK_OK(revlog_add_entry(&l, &en, &e), &e);
    CHECK(l.n_entries == 1);
    revlog_free(&l);
}

/* Every change to an entry or to their order changes every root that covers it. */
TEST(tampering_changes_the_root)
{
    struct err e = {0};
    struct revlog l = {0};
    for (int i = 0; i < 7; i++) {
        struct revlog_entry en = {.reason = (uint8_t)(i % 6), .time = 1763769600 + i * 60};
        CHECK(sha256(&i, sizeof i, &en.credential) == E_OK);
        CHECK_OK(revlog_add_entry(&l, &en, &e), &e);
    }
    struct hash32 root, r2;
    CHECK_OK(revlog_root(&l, 7, &root, &e), &e);
    /* swap two */
    struct revlog_entry t = l.entries[2];
    l.entries[2] = l.entries[4];
    l.entries[4] = t;
    CHECK_OK(revlog_root(&l, 7, &r2, &e), &e);
    t_case(!hash32_eq(&root, &r2), "swap", "same root");
    l.entries[4] = l.entries[2];
    l.entries[2] = t;
    CHECK_OK(revlog_root(&l, 7, &r2, &e), &e);
    CHECK(hash32_eq(&root, &r2));
    /* time, reason, note, credential */
    l.entries[3].time--;
    CHECK_OK(revlog_root(&l, 7, &r2, &e), &e);
    t_case(!hash32_eq(&root, &r2), "time", "same root");
    l.entries[3].time++;
    l.entries[3].reason ^= 1;
    CHECK_OK(revlog_root(&l, 7, &r2, &e), &e);
    t_case(!hash32_eq(&root, &r2), "reason", "same root");
    l.entries[3].reason ^= 1;
    l.entries[3].note = strdup("a note");
    CHECK_OK(revlog_root(&l, 7, &r2, &e), &e);
    t_case(!hash32_eq(&root, &r2), "note", "same root");
    free(l.entries[3].note);
    l.entries[3].note = NULL;
    l.entries[3].credential.b[31] ^= 1;
    CHECK_OK(revlog_root(&l, 7, &r2, &e), &e);
    t_case(!hash32_eq(&root, &r2), "credential", "same root");
    l.entries[3].credential.b[31] ^= 1;
    /* removal: drop entry 1 */
    memmove(&l.entries[1], &l.entries[2], 5 * sizeof l.entries[0]);
    l.n_entries = 6;
    struct hash32 r6;
    CHECK_OK(revlog_root(&l, 6, &r6, &e), &e);
    CHECK(!hash32_eq(&root, &r6));
    CHECK(revlog_find(&l, &l.entries[5].credential) == 5);
    struct hash32 none = {{0}};
    CHECK(revlog_find(&l, &none) == -1);
    revlog_free(&l);
}

TEST(write_parse_round_trip_with_consistency_proofs)
{
    struct err e = {0};
    struct revlog l = {0};
    for (int i = 0; i < 11; i++) {
        struct revlog_entry en = {.reason = 2, .time = 1763769600 + i};
        CHECK(sha256(&i, sizeof i, &en.credential) == E_OK);
        if (i == 4)
            en.note = "quoted \"text\" and \\ backslash, ünïcödé";
        CHECK_OK(revlog_add_entry(&l, &en, &e), &e);
    }
    l.chain_id = 1337;
    l.exported_at = 1763780000;
    memset(l.issuer.b, 0xab, 20);
    memset(l.contract.b, 0xcd, 20);
    struct merkle_tree *t;
    CHECK_OK(revlog_tree(&l, 11, &t, &e), &e);
    static const uint64_t sizes[] = {3, 7, 11};
    for (size_t i = 0; i < 3; i++) {
        struct revlog_checkpoint cp = {.seq = i, .size = sizes[i], .block_number = 10 + i,
                                       .block_time = 1763770000 + i};
        CHECK_OK(merkle_tree_root_at(t, sizes[i], &cp.root, &e), &e);
        memset(cp.tx_hash.b, (int)i + 1, 32);
        memset(cp.block_hash.b, (int)i + 7, 32);
        struct hash32 proof[MERKLE_MAX_PATH];
        size_t plen = 0;
        if (i)
            CHECK_OK(merkle_tree_consistency_proof(t, sizes[i - 1], sizes[i], proof, &plen, &e),
                     &e);
        CHECK_OK(revlog_add_checkpoint(&l, &cp, proof, plen, &e), &e);
    }
    merkle_tree_free(t);
    struct buf out = {0};
    CHECK_OK(revlog_write(&l, &out, &e), &e);
    struct revlog p;
    CHECK_OK(revlog_parse((const char *)out.p, out.len, "log.json", &p, &e), &e);
    CHECK(p.n_entries == 11 && p.n_checkpoints == 3 && p.chain_id == 1337);
    CHECK(addr20_eq(&p.issuer, &l.issuer) && addr20_eq(&p.contract, &l.contract));
    CHECK(p.exported_at == l.exported_at);
    CHECK_STREQ(p.entries[4].note, l.entries[4].note);
    CHECK(p.entries[3].note == NULL);
    struct hash32 a, b;
    CHECK_OK(revlog_root(&l, 11, &a, &e), &e);
    CHECK_OK(revlog_root(&p, 11, &b, &e), &e);
    CHECK(hash32_eq(&a, &b));
    for (size_t i = 1; i < 3; i++) {
        const struct revlog_checkpoint *c0 = &p.checkpoints[i - 1], *c1 = &p.checkpoints[i];
        CHECK(c1->proof_len > 0);
        CHECK_OK(merkle_verify_consistency(c0->size, c1->size, &c0->root, &c1->root,
                                           &p.proofs[c1->proof_off], c1->proof_len, &e),
                 &e);
    }
    /* writing the parsed copy gives the same bytes */
    struct buf again = {0};
    CHECK_OK(revlog_write(&p, &again, &e), &e);
    CHECK(again.len == out.len && memcmp(again.p, out.p, out.len) == 0);
    buf_free(&again);
    buf_free(&out);
    revlog_free(&p);
    revlog_free(&l);
}

/* A valid file with one substitution applied; returns a malloc'd string. */
static char *mutate(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    if (!at)
        return NULL;
    size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    return s;
}

TEST(parser_refusals)
{
    struct revlog l;
    example_log(&l);
    struct revlog_checkpoint cp = {.seq = 4, .size = 2, .block_number = 9, .block_time = 5};
    struct err e = {0};
    CHECK_OK(revlog_root(&l, 2, &cp.root, &e), &e);
    CHECK_OK(revlog_add_checkpoint(&l, &cp, NULL, 0, &e), &e);
    cp.seq = 5;
    struct hash32 p1 = {{1}};
    CHECK_OK(revlog_add_checkpoint(&l, &cp, &p1, 1, &e), &e);
    struct buf out = {0};
    CHECK_OK(revlog_write(&l, &out, &e), &e);
    revlog_free(&l);
    const char *base = (const char *)out.p;
    struct revlog p;
    CHECK_OK(revlog_parse(base, out.len, "x", &p, &e), &e);
    revlog_free(&p);
    static const struct {
        const char *name, *from, *to;
        err_code code;
        const char *msg;
    } cases[] = {
        {"duplicate key", "\"version\": 1,", "\"version\": 1, \"version\": 1,", E_INVALID,
         "duplicate"},
        {"version 2", "\"version\": 1", "\"version\": 2", E_UNSUPPORTED, "version 2"},
        {"wrong type", REVLOG_TYPE, "CredentialNotaryProof", E_INVALID, "type"},
        {"unknown top field", "\"version\": 1,", "\"version\": 1, \"extra\": 0,", E_INVALID,
         "unknown field"},
        {"uppercase issuer", "0x1111", "0x1A11", E_INVALID, "lowercase"},
        {"issuer without 0x", "\"0x1111", "\"001111", E_INVALID, "issuer"},
        {"ledger btc", "\"evm\"", "\"btc\"", E_INVALID, "ledger"},
        {"chainId 0", "\"chainId\": 1337", "\"chainId\": 0", E_INVALID, "chainId"},
        {"chainId string", "\"chainId\": 1337", "\"chainId\": \"1337\"", E_INVALID, "chainId"},
        {"chainId real", "\"chainId\": 1337", "\"chainId\": 1337.0", E_INVALID, "chainId"},
        {"33-byte credential", EX_C0, EX_C0 "00", E_INVALID, "entries[0].credential"},
        {"31-byte credential", EX_C0, EX_C0 + 2, E_INVALID, "entries[0].credential"},
        {"odd-length credential", EX_C0, EX_C0 "0", E_INVALID, "entries[0].credential"},
        {"non-hex credential", "266b1a7a", "266b1a7g", E_INVALID, "entries[0].credential"},
        {"reason 6", "\"reason\": 3", "\"reason\": 6", E_INVALID, "documented code"},
        {"reason string", "\"reason\": 3", "\"reason\": \"fraud\"", E_INVALID, "reason"},
        {"reason negative", "\"reason\": 3", "\"reason\": -3", E_INVALID, "reason"},
        {"reason -0", "\"reason\": 3", "\"reason\": -0", E_INVALID,
         "entries[0].reason must be an unsigned integer written without a sign, got -0"},
        {"checkpoint blockNumber -0", "\"blockNumber\": 9", "\"blockNumber\": -0", E_INVALID,
         "blockNumber must be an unsigned integer written without a sign, got -0"},
        {"time shape", "2025-11-22T00:00:00Z", "2025-11-22 00:00:00", E_INVALID, "revokedAt"},
        {"time as number", "\"revokedAt\": \"2025-11-22T00:00:00Z\"", "\"revokedAt\": 1763769600",
         E_INVALID, "revokedAt"},
        {"empty note", "\"exam misconduct\"", "\"\"", E_INVALID, "note"},
        {"note with a control char", "\"exam misconduct\"", "\"exam\\u0007misconduct\"",
         E_INVALID, "control"},
        {"note NUL", "\"exam misconduct\"", "\"exam\\u0000\"", E_INVALID, "NUL"},
        {"note not a string", "\"exam misconduct\"", "7", E_INVALID, "note"},
        {"unknown entry field", "\"reason\": 3,", "\"reason\": 3, \"why\": 1,", E_INVALID,
         "unknown field"},
        {"entries not an array", "\"entries\": [", "\"entries\": {\"a\": [", E_INVALID, ""},
        {"checkpoint size 0", "\"size\": 2", "\"size\": 0", E_INVALID, "size"},
        {"checkpoint seq repeats", "\"seq\": 5", "\"seq\": 4", E_INVALID, "increasing"},
        {"first checkpoint with a proof", "\"consistency\": []",
         "\"consistency\": [\"" EX_C0 "\"]", E_INVALID, "empty for the first"},
        {"proof hash 33 bytes", "\"consistency\": [\"01",
         "\"consistency\": [\"0101", E_INVALID, "consistency[0]"},
        {"txHash without 0x", "\"txHash\": \"0x", "\"txHash\": \"", E_INVALID, "txHash"},
        {"blockTime missing", "\"blockTime\": 5,", "", E_INVALID, "blockTime"},
        {"not an object", "{", "[{", E_INVALID, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *m = mutate(base, cases[i].from, cases[i].to);
        if (!m) {
            t_case(false, cases[i].name, "pattern '%s' not in the file", cases[i].from);
            continue;
        }
        err_code rc = revlog_parse(m, strlen(m), "x", &p, &e);
        t_case(rc == cases[i].code && strstr(e.msg, cases[i].msg), cases[i].name,
               "got %s: %s", err_name(rc), e.msg);
        if (rc == E_OK)
            revlog_free(&p);
        free(m);
    }
    /* size, depth and count limits */
    CHECK_ERR(revlog_parse(base, REVLOG_MAX_BYTES + 1, "x", &p, &e), &e, E_LIMIT, "limit");
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    CHECK_ERR(revlog_parse(deep, sizeof deep, "x", &p, &e), &e, E_LIMIT, "deep");
    struct buf many = {0};
    CHECK_OK(buf_append_str(&many, "{\"type\": \"" REVLOG_TYPE "\", \"version\": 1, \"issuer\": "
                                   "\"0x1111111111111111111111111111111111111111\", \"ledger\": "
                                   "\"evm\", \"chainId\": 1, \"contract\": "
                                   "\"0x1111111111111111111111111111111111111111\", "
                                   "\"exportedAt\": \"2025-01-01T00:00:00Z\", \"entries\": [], "
                                   "\"checkpoints\": [{\"seq\": 0, \"size\": 1, \"root\": \"" EX_C0
                                   "\", \"txHash\": \"0x" EX_C0 "\", \"blockNumber\": 1, "
                                   "\"blockHash\": \"0x" EX_C0 "\", \"blockTime\": 1, "
                                   "\"consistency\": []}, {\"seq\": 1, \"size\": 1, \"root\": \""
                                   EX_C0 "\", \"txHash\": \"0x" EX_C0 "\", \"blockNumber\": 1, "
                                   "\"blockHash\": \"0x" EX_C0 "\", \"blockTime\": 1, "
                                   "\"consistency\": ["),
             &e);
    for (int i = 0; i < MERKLE_MAX_PATH + 1; i++)
        CHECK_OK(buf_printf(&many, "%s\"%s\"", i ? "," : "", EX_C0), &e);
    CHECK_OK(buf_append_str(&many, "]}]}"), &e);
    CHECK_ERR(revlog_parse((const char *)many.p, many.len, "x", &p, &e), &e, E_LIMIT,
              "at most 64");
    buf_free(&many);
    buf_free(&out);
}

TEST(writer_refuses_what_the_parser_would)
{
    struct revlog l;
    example_log(&l);
    struct err e = {0};
    struct buf out = {0};
    l.chain_id = 0;
    CHECK_ERR(revlog_write(&l, &out, &e), &e, E_INVALID, "chain id");
    l.chain_id = 1;
    l.entries[1].reason = 9;
    CHECK_ERR(revlog_write(&l, &out, &e), &e, E_INVALID, "reason code 9");
    CHECK(out.len == 0);
    l.entries[1].reason = 0;
    struct revlog_checkpoint cp = {.size = 1};
    struct hash32 p1 = {{1}};
    CHECK_OK(revlog_add_checkpoint(&l, &cp, &p1, 1, &e), &e);
    CHECK_ERR(revlog_write(&l, &out, &e), &e, E_INVALID, "first checkpoint");
    CHECK(out.len == 0);
    buf_free(&out);
    revlog_free(&l);
}
