/*
 * tests/fuzz/fuzz_rlp.c — libFuzzer target: strict RLP decoding
 * (anchor/rlp.c), the first parser a gateway's or a ledger's transaction
 * bytes meet.
 *
 * rlp_decode() accepts only canonical encodings, and canonical encodings are
 * unique, so an accepted item re-encoded with the encoder must give back
 * exactly the input bytes. The target rebuilds every accepted item from its
 * decoded tree (recursively, through rlp_list_items and the iterator) and
 * aborts on any difference. It also reads every string item as an integer
 * (rlp_item_uint / rlp_item_u256) and checks the two readers agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "anchor/rlp.h"

#define MAX_ITEMS 64

/* Re-encode `it` (already validated by rlp_decode) into `out`. */
static void reencode(const struct rlp_item *it, struct buf *out, int depth)
{
    struct err e = {0};
    if (!it->is_list) {
        REQUIRE(rlp_put_bytes(out, it->p, it->len) == E_OK);
        uint64_t v;
        struct u256 w;
        err_code r64 = rlp_item_uint(it, "fuzz", &v, &e);
        err_code r256 = rlp_item_u256(it, "fuzz", &w, &e);
        if (r64 == E_OK) { /* a canonical uint64 is a canonical u256 of the same value */
            struct u256 v256;
            u256_from_u64(v, &v256);
            REQUIRE(r256 == E_OK && u256_eq(&v256, &w));
        }
        if (r256 == E_OK) {
            uint64_t back;
            if (u256_to_u64(&w, &back, &e) == E_OK)
                REQUIRE(r64 == E_OK && back == v);
        }
        return;
    }
    size_t mark;
    rlp_list_begin(out, &mark);
    /* The array view and the iterator must see the same items. */
    struct rlp_item items[MAX_ITEMS], one;
    size_t count = 0;
    err_code rc = rlp_list_items(it, items, MAX_ITEMS, &count, &e);
    REQUIRE(rc == E_OK || rc == E_LIMIT);
    struct rlp_iter iter;
    rlp_iter_init(&iter, it);
    size_t seen = 0;
    while (rlp_iter_next(&iter, &one)) {
        if (rc == E_OK) {
            REQUIRE(seen < count);
            REQUIRE(one.raw == items[seen].raw && one.raw_len == items[seen].raw_len);
        }
        seen++;
        reencode(&one, out, depth + 1);
    }
    REQUIRE(iter.left == 0); /* a validated list is consumed exactly */
    if (rc == E_OK)
        REQUIRE(seen == count);
    else
        REQUIRE(seen > MAX_ITEMS);
    REQUIRE(rlp_list_end(out, mark) == E_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rlp_item top;
    struct err e = {0};
    if (rlp_decode(data, size, &top, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0');
        return 0;
    }
    REQUIRE(top.raw == data && top.raw_len == size);
    struct buf out = {0};
    reencode(&top, &out, 0);
    REQUIRE(out.len == size && memcmp(out.p, data, size) == 0);
    buf_free(&out);
    return 0;
}
