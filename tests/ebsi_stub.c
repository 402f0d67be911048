/* tests/ebsi_stub.c — see ebsi_stub.h. */
#define _GNU_SOURCE
#include "tests/ebsi_stub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/abi.h"
#include "anchor/ebsi.h"

char *ebsi_stub_hex0x(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 3);
    if (!s)
        return NULL;
    s[0] = '0';
    s[1] = 'x';
    hex_encode(p, n, s + 2);
    return s;
}

char *ebsi_stub_record_reply(const struct addr20 *by, uint64_t block, const uint8_t *value,
                             size_t len, const char *text)
{
    struct buf out = {0}, tail = {0};
    char *hx = NULL, *r = NULL;
    /* The tuple (uint256 algorithm, bytes value) takes 2 head words plus
     * its bytes (length word and padded value): data starts after it. */
    size_t tuple_len = 32 * (2 + 1 + (len + 31) / 32);
    struct abi_arg head[4] = {abi_arg_uint(128), abi_arg_address(by), abi_arg_uint(block),
                              abi_arg_uint(128 + tuple_len)},
                   tuple[2] = {abi_arg_uint(0), abi_arg_bytes(value, len)},
                   data[1] = {abi_arg_bytes((const uint8_t *)text, strlen(text))};
    if (abi_encode_args(head, 4, &out, NULL) == E_OK &&
        abi_encode_args(tuple, 2, &out, NULL) == E_OK &&
        abi_encode_args(data, 1, &tail, NULL) == E_OK && tail.len >= 32 &&
        buf_append(&out, tail.p + 32, tail.len - 32) == E_OK && /* without its offset word */
        (hx = ebsi_stub_hex0x(out.p, out.len)) &&
        asprintf(&r, "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"result\":\"%s\"}", hx) < 0)
        r = NULL;
    free(hx);
    buf_free(&out);
    buf_free(&tail);
    return r;
}

char *ebsi_stub_revert_reply(const char *reason)
{
    uint8_t sel[4];
    abi_selector("Error(string)", sel); /* a string is encoded as bytes are */
    struct abi_arg a = abi_arg_bytes((const uint8_t *)reason, strlen(reason));
    struct buf out = {0};
    char *hx = NULL, *r = NULL;
    if (buf_append(&out, sel, 4) == E_OK && abi_encode_args(&a, 1, &out, NULL) == E_OK &&
        (hx = ebsi_stub_hex0x(out.p, out.len)) &&
        asprintf(&r,
                 "{\"jsonrpc\":\"2.0\",\"id\":{{id}},\"error\":{\"code\":3,\"message\":"
                 "\"execution reverted: %s\",\"data\":\"%s\"}}",
                 reason, hx) < 0)
        r = NULL;
    free(hx);
    buf_free(&out);
    return r;
}

bool ebsi_stub_event_data(const uint8_t *value, size_t len, uint64_t alg, const char *text,
                          struct buf *out)
{
    struct hash32 id;
    ebsi_timestamp_id(value, len, &id);
    struct u256 ids[1], algs[1];
    memcpy(ids[0].b, id.b, 32); /* a bytes32 item is one word */
    u256_from_u64(alg, &algs[0]);
    struct abi_bytes hv[1] = {{value, len}}, dv[1] = {{(const uint8_t *)text, strlen(text)}};
    struct abi_arg args[4] = {abi_arg_uint_array(ids, 1), abi_arg_uint_array(algs, 1),
                              abi_arg_bytes_array(hv, 1), abi_arg_bytes_array(dv, 1)};
    return abi_encode_args(args, 4, out, NULL) == E_OK;
}
