/*
 * tests/fuzz/fuzz_ebsi.c — libFuzzer target: the decoders of what an EBSI
 * ledger answers (anchor/ebsi.c), all untrusted: the first byte picks
 *   0  ebsi_parse_event        TimestampedHashes log data (the rest)
 *   1  ebsi_decode_record      getTimestamp's answer; the next 32 bytes
 *                              are the root asked about, then the answer
 *   2  ebsi_parse_calldata     a transaction's input (the rest)
 *   3  ebsi_revert_is_unknown  a revert's data (the rest)
 *
 * Checks: an accepted event, record or call is the one canonical encoding
 * of what was decoded (re-encoded here byte for byte: no other offsets,
 * lengths, padding or array sizes pass), its arrays hold exactly one hash
 * of 32 bytes, the event's timestampId is sha256 of it, the record is
 * about the root asked; only the exact "timestamp unknown" Error(string)
 * is "never timestamped". A refusal says why. Violations abort.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/abi.h"
#include "anchor/ebsi.h"
#include "anchor/eth.h"

static void put_word(uint8_t *w, uint64_t v)
{
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++)
        w[31 - i] = (uint8_t)(v >> (8 * i));
}

static void event(const uint8_t *p, size_t n)
{
    struct rpc_log log = {.ntopics = 1, .data = (uint8_t *)p, .data_len = n};
    ebsi_event_topic(&log.topics[0]);
    struct ebsi_event ev;
    struct err e = {0};
    if (ebsi_parse_event(&log, &ev, &e)) {
        REQUIRE(e.msg[0]);
        return;
    }
    struct hash32 id;
    ebsi_timestamp_id(ev.root.b, 32, &id);
    REQUIRE(hash32_eq(&id, &ev.timestamp_id));
    struct buf jd = {0}, c = {0};
    REQUIRE(ebsi_data_encode(&ev.data, &jd, &e) == E_OK);
    struct u256 ids[1], algs[1];
    memcpy(ids[0].b, id.b, 32);
    u256_from_u64(ev.alg, &algs[0]);
    struct abi_bytes hv[1] = {{ev.root.b, 32}}, dv[1] = {{jd.p, jd.len}};
    struct abi_arg args[4] = {abi_arg_uint_array(ids, 1), abi_arg_uint_array(algs, 1),
                              abi_arg_bytes_array(hv, 1), abi_arg_bytes_array(dv, 1)};
    REQUIRE(abi_encode_args(args, 4, &c, &e) == E_OK);
    REQUIRE(c.len == n && memcmp(c.p, p, n) == 0);
    buf_free(&jd);
    buf_free(&c);
}

static void record(const uint8_t *p, size_t n)
{
    if (n < 32)
        return;
    struct hash32 root;
    memcpy(root.b, p, 32);
    p += 32;
    n -= 32;
    struct ebsi_record r;
    struct err e = {0};
    if (ebsi_decode_record(p, n, &root, &r, &e)) {
        REQUIRE(e.msg[0]);
        REQUIRE(!ebsi_record_exists(&r));
        return;
    }
    REQUIRE(ebsi_record_exists(&r));
    /* head: tuple offset 128, timestampedBy, blockNumber, data offset;
     * tuple: algorithm, 64, 32, root; then the data */
    REQUIRE(n >= 32 * 9 && (n - 32 * 9) % 32 == 0);
    uint8_t w[32];
    put_word(w, 128);
    REQUIRE(memcmp(p, w, 32) == 0);
    REQUIRE(memcmp(p + 32, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) == 0);
    REQUIRE(memcmp(p + 44, r.from.b, 20) == 0);
    put_word(w, r.block_number);
    REQUIRE(memcmp(p + 64, w, 32) == 0);
    put_word(w, 256);
    REQUIRE(memcmp(p + 96, w, 32) == 0);
    put_word(w, r.alg);
    REQUIRE(memcmp(p + 128, w, 32) == 0);
    put_word(w, 32);
    REQUIRE(memcmp(p + 192, w, 32) == 0);
    REQUIRE(memcmp(p + 224, root.b, 32) == 0);
    uint64_t dl = 0;
    for (int i = 24; i < 32; i++)
        dl = dl << 8 | p[256 + i];
    REQUIRE(n == 288 + (dl + 31) / 32 * 32);
    for (size_t i = 288 + dl; i < n; i++)
        REQUIRE(p[i] == 0);
    struct ebsi_data d;
    REQUIRE(r.has_data == (dl > 0 && ebsi_data_parse(p + 288, dl, &d, NULL) == E_OK));
}

static void call(const uint8_t *p, size_t n)
{
    uint64_t alg;
    struct hash32 root;
    struct ebsi_data d;
    struct err e = {0};
    if (ebsi_parse_calldata(p, n, &alg, &root, &d, &e)) {
        REQUIRE(e.msg[0]);
        return;
    }
    struct buf c = {0};
    REQUIRE(ebsi_calldata(alg, &root, &d, &c, &e) == E_OK);
    REQUIRE(c.len == n && memcmp(c.p, p, n) == 0);
    buf_free(&c);
}

static void revert(const uint8_t *p, size_t n)
{
    static const char reason[] = EBSI_UNKNOWN_REASON;
    uint8_t want[100] = {0x08, 0xc3, 0x79, 0xa0};
    put_word(want + 4, 32);
    put_word(want + 36, sizeof reason - 1);
    memcpy(want + 68, reason, sizeof reason - 1);
    bool unknown = ebsi_revert_is_unknown(p, n);
    /* padding is not checked by the decoder: compare up to the reason */
    REQUIRE(unknown == (n == 100 && memcmp(p, want, 68 + sizeof reason - 1) == 0));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 4) {
    case 0:
        event(data + 1, size - 1);
        break;
    case 1:
        record(data + 1, size - 1);
        break;
    case 2:
        call(data + 1, size - 1);
        break;
    default:
        revert(data + 1, size - 1);
    }
    return 0;
}
