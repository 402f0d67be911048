/*
 * core/bundle.c — proof bundle version 1: strict parser and writer; see
 * bundle.h and docs/proof-format.md.
 *
 * The parser reads the JSON once (core/json.h: size, duplicate keys, depth),
 * then walks a fixed schema with core/jfield.h (the field-reading rules and
 * messages it shares with the revocation log): the type string first (is
 * this a bundle at all?), the version second (so a version 2 bundle gets
 * "unsupported", not a confusing complaint about a field we do not know),
 * then every object's member names against the closed version 1 list, then
 * each field with a message naming it. Numbers are JSON integers only: a "17" or 17.0 in a
 * proof is a sign of a producer that does not follow the format, and a
 * verifier that tolerates it invites two readings of one file.
 *
 * The writer prints the documented member order itself (write_json below:
 * the shape is fixed, so no JSON tree is built); it validates first, so it never writes what the parser
 * would reject.
 */
#include "core/bundle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/fileio.h"
#include "core/jfield.h"

/* ---- names ---------------------------------------------------------------- */

const char *bundle_kind_name(enum bundle_kind k)
{
    return k == BUNDLE_KIND_ISSUANCE ? "issuance" : "unknown";
}

const char *bundle_ledger_name(enum bundle_ledger l)
{
    switch (l) {
    case BUNDLE_LEDGER_EVM:
        return "evm";
    case BUNDLE_LEDGER_EBSI:
        return "ebsi";
    }
    return "unknown";
}

bool bundle_ledger_parse(const char *s, enum bundle_ledger *out)
{
    static const enum bundle_ledger all[] = {BUNDLE_LEDGER_EVM, BUNDLE_LEDGER_EBSI};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(s, bundle_ledger_name(all[i])) == 0) {
            *out = all[i];
            return true;
        }
    return false;
}

/* ---- RFC 3339 timestamps ------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so no dependence on the process time zone or timegm. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* First second of year 10000: the end of what four year digits can say. */
#define TIME_MAX_EXCL ((int64_t)253402300800)

err_code bundle_time_parse(const char *s, int64_t *out, struct err *e)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!s)
        return err_set(e, E_INVALID, "missing timestamp");
    size_t n = strlen(s);
    bool ok = n == sizeof shape - 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = shape[i] == 'd' ? (s[i] >= '0' && s[i] <= '9') : s[i] == shape[i];
    if (!ok)
        return err_set(e, E_INVALID,
                       "timestamp \"%.40s\" is not RFC 3339 UTC in the form "
                       "YYYY-MM-DDTHH:MM:SSZ",
                       s);
    int v[6];
    static const int off[6] = {0, 5, 8, 11, 14, 17}, len[6] = {4, 2, 2, 2, 2, 2};
    for (int i = 0; i < 6; i++) {
        v[i] = 0;
        for (int j = 0; j < len[i]; j++)
            v[i] = v[i] * 10 + (s[off[i] + j] - '0');
    }
    static const unsigned mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (v[0] < 1970)
        return err_set(e, E_INVALID, "timestamp \"%s\" is before 1970", s);
    if (v[1] < 1 || v[1] > 12)
        return err_set(e, E_INVALID, "timestamp \"%s\" has month %02d", s, v[1]);
    unsigned dim = mdays[v[1] - 1] + (v[1] == 2 && is_leap(v[0]));
    if (v[2] < 1 || (unsigned)v[2] > dim)
        return err_set(e, E_INVALID, "timestamp \"%s\" has day %02d, but that month has %u days",
                       s, v[2], dim);
    if (v[3] > 23 || v[4] > 59 || v[5] > 59)
        return err_set(e, E_INVALID,
                       "timestamp \"%s\" has a time outside 00:00:00..23:59:59 "
                       "(leap seconds are not used)",
                       s);
    *out = days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) * 86400 + v[3] * 3600 +
           v[4] * 60 + v[5];
    return E_OK;
}

err_code bundle_time_format(int64_t t, char out[21], struct err *e)
{
    if (t < 0 || t >= TIME_MAX_EXCL) {
        snprintf(out, 21, "(time out of range)");
        return err_set(e, E_INVALID, "time %" PRId64 " is outside the years 1970..9999", t);
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(t / 86400, &y, &m, &d);
    int64_t s = t % 86400;
    char tmp[64]; /* the compiler cannot see that every field fits in 20 chars */
    snprintf(tmp, sizeof tmp, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d, (int)(s / 3600),
             (int)(s / 60 % 60), (int)(s % 60));
    memcpy(out, tmp, 20);
    out[20] = '\0';
    return E_OK;
}

/* ---- validation ----------------------------------------------------------- */

err_code bundle_validate(const struct bundle *b, struct err *e)
{
    if (b->credential.hashing != CRED_HASH_JCS_SHA256 && b->credential.hashing != CRED_HASH_SHA256 &&
        b->credential.hashing != CRED_HASH_GIVEN)
        return err_set(e, E_INVALID, "credential.hashing has an unknown value %d",
                       (int)b->credential.hashing);
    if (b->batch.kind != BUNDLE_KIND_ISSUANCE)
        return err_set(e, E_INVALID, "batch.kind has an unknown value %d", (int)b->batch.kind);
    if (b->batch.seq > BUNDLE_MAX_UINT)
        return err_set(e, E_INVALID, "batch.seq %" PRIu64 " is above 2^53", b->batch.seq);
    if (b->batch.size < 1 || b->batch.size > BUNDLE_MAX_UINT)
        return err_set(e, E_INVALID, "batch.size %" PRIu64 " is outside 1..2^53", b->batch.size);
    if (b->batch.closed_at < 0 || b->batch.closed_at >= TIME_MAX_EXCL)
        return err_set(e, E_INVALID, "batch.closedAt %" PRId64 " is outside the years 1970..9999",
                       b->batch.closed_at);
    if (b->inclusion.leaf_index >= b->batch.size)
        return err_set(e, E_INVALID,
                       "inclusion.leafIndex %" PRIu64 " is not below batch.size %" PRIu64,
                       b->inclusion.leaf_index, b->batch.size);
    int need = merkle_path_length(b->inclusion.leaf_index, b->batch.size);
    if (need < 0 || b->inclusion.path_len != (size_t)need)
        return err_set(e, E_INVALID,
                       "inclusion.path has %zu hashes but index %" PRIu64
                       " in a tree of %" PRIu64 " needs %d",
                       b->inclusion.path_len, b->inclusion.leaf_index, b->batch.size, need);
    if (!b->anchored)
        return E_OK;
    const struct bundle_anchor *a = &b->anchor;
    if (a->ledger != BUNDLE_LEDGER_EVM && a->ledger != BUNDLE_LEDGER_EBSI)
        return err_set(e, E_INVALID, "anchor.ledger has an unknown value %d", (int)a->ledger);
    if (a->chain_id < 1 || a->chain_id > BUNDLE_MAX_UINT)
        return err_set(e, E_INVALID, "anchor.chainId %" PRIu64 " is outside 1..2^53", a->chain_id);
    if (a->block_number > BUNDLE_MAX_UINT)
        return err_set(e, E_INVALID, "anchor.blockNumber %" PRIu64 " is above 2^53",
                       a->block_number);
    if (a->block_time > BUNDLE_MAX_UINT)
        return err_set(e, E_INVALID, "anchor.blockTime %" PRIu64 " is above 2^53", a->block_time);
    return E_OK;
}

/* ---- parsing -------------------------------------------------------------- */

_Static_assert(BUNDLE_MAX_UINT == JFIELD_MAX_UINT, "bundle numbers are jfield_uint's range");

/* One bundle being read: core/jfield.h in its full wording ("..., got a
 * string"; unknown members listed with the allowed ones). */
#define BUNDLE_JFIELD(name, e) {(name), "version 1 is closed", false, (e)}

static err_code parse_credential(const struct jfield *c, json_t *top,
                                 struct bundle_credential *out)
{
    static const char *const known[] = {"hash", "hashing", NULL};
    json_t *o;
    const char *s;
    err_code rc;
    if ((rc = jfield_get(c, top, "", "credential", JSON_OBJECT, &o)) ||
        (rc = jfield_only_known(c, o, "credential", known)) ||
        (rc = jfield_hex(c, o, "credential", "hash", false, out->hash.b, 32)) ||
        (rc = jfield_string(c, o, "credential", "hashing", &s)))
        return rc;
    struct err he = {0};
    if (credential_hashing_parse(s, &out->hashing, &he))
        return jfield_fail(c, E_INVALID, "credential.hashing: %s", he.msg);
    return E_OK;
}

static err_code parse_batch(const struct jfield *c, json_t *top, struct bundle_batch *out)
{
    static const char *const known[] = {"kind", "seq", "size", "root", "closedAt", NULL};
    json_t *o;
    const char *kind, *closed;
    err_code rc;
    if ((rc = jfield_get(c, top, "", "batch", JSON_OBJECT, &o)) ||
        (rc = jfield_only_known(c, o, "batch", known)) ||
        (rc = jfield_string(c, o, "batch", "kind", &kind)))
        return rc;
    char p[48];
    if (strcmp(kind, "issuance") != 0)
        return jfield_fail(c, E_INVALID,
                           "batch.kind is \"%s\"; a credential proof must come from an "
                           "\"issuance\" batch",
                           jfield_printable(kind, p, sizeof p));
    out->kind = BUNDLE_KIND_ISSUANCE;
    if ((rc = jfield_uint(c, o, "batch", "seq", 0, &out->seq)) ||
        (rc = jfield_uint(c, o, "batch", "size", 1, &out->size)) ||
        (rc = jfield_hex(c, o, "batch", "root", false, out->root.b, 32)) ||
        (rc = jfield_string(c, o, "batch", "closedAt", &closed)))
        return rc;
    struct err te = {0};
    if (bundle_time_parse(closed, &out->closed_at, &te))
        return jfield_fail(c, E_INVALID, "batch.closedAt: %s", te.msg);
    return E_OK;
}

static err_code parse_inclusion(const struct jfield *c, json_t *top, uint64_t size,
                                struct bundle_inclusion *out)
{
    static const char *const known[] = {"leafIndex", "path", NULL};
    json_t *o, *path;
    err_code rc;
    if ((rc = jfield_get(c, top, "", "inclusion", JSON_OBJECT, &o)) ||
        (rc = jfield_only_known(c, o, "inclusion", known)) ||
        (rc = jfield_uint(c, o, "inclusion", "leafIndex", 0, &out->leaf_index)) ||
        (rc = jfield_get(c, o, "inclusion", "path", JSON_ARRAY, &path)))
        return rc;
    if (out->leaf_index >= size)
        return jfield_fail(c, E_INVALID,
                           "inclusion.leafIndex %" PRIu64 " is not below batch.size %" PRIu64
                           " (leaves are numbered from 0)",
                           out->leaf_index, size);
    /* The length is fixed by (index, size) (RFC 9162 §2.1.3.1): check it
     * before decoding anything, so a path of a million entries costs nothing. */
    int need = merkle_path_length(out->leaf_index, size);
    size_t have = json_array_size(path);
    if (need < 0 || have != (size_t)need || have > MERKLE_MAX_PATH)
        return jfield_fail(c, E_INVALID,
                           "inclusion.path has %zu hash%s but index %" PRIu64
                           " in a tree of %" PRIu64 " needs %d",
                           have, have == 1 ? "" : "es", out->leaf_index, size, need);
    for (size_t i = 0; i < have; i++) {
        char field[40];
        snprintf(field, sizeof field, "inclusion.path[%zu]", i);
        if ((rc = jfield_hex_value(c, json_array_get(path, i), field, false, out->path[i].b, 32)))
            return rc;
    }
    out->path_len = have;
    return E_OK;
}

static err_code parse_anchor(const struct jfield *c, json_t *a, struct bundle_anchor *out)
{
    static const char *const known[] = {"ledger",  "chainId",     "contract",  "issuer", "txHash",
                                        "blockNumber", "blockHash", "blockTime", NULL};
    const char *ledger;
    err_code rc;
    if ((rc = jfield_only_known(c, a, "anchor", known)) ||
        (rc = jfield_string(c, a, "anchor", "ledger", &ledger)))
        return rc;
    char p[48];
    if (!bundle_ledger_parse(ledger, &out->ledger))
        return jfield_fail(c, E_INVALID, "anchor.ledger is \"%s\"; expected \"evm\" or \"ebsi\"",
                           jfield_printable(ledger, p, sizeof p));
    if ((rc = jfield_uint(c, a, "anchor", "chainId", 1, &out->chain_id)) ||
        (rc = jfield_hex(c, a, "anchor", "contract", true, out->contract.b, 20)) ||
        (rc = jfield_hex(c, a, "anchor", "issuer", true, out->issuer.b, 20)) ||
        (rc = jfield_hex(c, a, "anchor", "txHash", true, out->tx_hash.b, 32)) ||
        (rc = jfield_uint(c, a, "anchor", "blockNumber", 0, &out->block_number)) ||
        (rc = jfield_hex(c, a, "anchor", "blockHash", true, out->block_hash.b, 32)) ||
        (rc = jfield_uint(c, a, "anchor", "blockTime", 0, &out->block_time)))
        return rc;
    return E_OK;
}

static err_code parse_doc(const struct jfield *c, json_t *top, struct bundle *out)
{
    static const char *const known[] = {"type",      "version", "credential", "batch",
                                        "inclusion", "anchor",  NULL};
    char p[48];
    if (!json_is_object(top))
        return jfield_fail(c, E_INVALID, "a proof bundle is a JSON object, got %s",
                           jfield_type_words(top));
    /* Identify the document before judging its contents. */
    json_t *t = json_object_get(top, "type");
    if (!t)
        return jfield_fail(c, E_INVALID, "type is missing: not a %s bundle", BUNDLE_TYPE);
    if (!json_is_string(t))
        return jfield_fail(c, E_INVALID, "type must be a string, got %s", jfield_type_words(t));
    if (strcmp(json_string_value(t), BUNDLE_TYPE) != 0)
        return jfield_fail(c, E_INVALID, "type is \"%s\", expected \"%s\"",
                           jfield_printable(json_string_value(t), p, sizeof p), BUNDLE_TYPE);
    json_t *v = json_object_get(top, "version");
    if (!v)
        return jfield_fail(c, E_INVALID, "version is missing");
    if (!json_is_integer(v))
        return jfield_fail(c, E_INVALID, "version must be a JSON integer, got %s",
                           jfield_type_words(v));
    if (json_integer_value(v) != BUNDLE_VERSION)
        return jfield_fail(c, E_UNSUPPORTED,
                           "bundle version %" JSON_INTEGER_FORMAT
                           " is not supported (this verifier reads version %d); use a newer "
                           "verifier",
                           json_integer_value(v), BUNDLE_VERSION);
    err_code rc;
    if ((rc = jfield_only_known(c, top, "", known)) ||
        (rc = parse_credential(c, top, &out->credential)) ||
        (rc = parse_batch(c, top, &out->batch)) ||
        (rc = parse_inclusion(c, top, out->batch.size, &out->inclusion)))
        return rc;
    json_t *a = json_object_get(top, "anchor");
    if (a) {
        if (!json_is_object(a))
            return jfield_fail(c, E_INVALID,
                               "anchor must be an object (omit it in a pending bundle), got %s",
                               jfield_type_words(a));
        if ((rc = parse_anchor(c, a, &out->anchor)))
            return rc;
        out->anchored = true;
    }
    /* Belt and braces: the same rules the writer applies. */
    struct err ve = {0};
    if (bundle_validate(out, &ve))
        return jfield_fail(c, E_INVALID, "%s", ve.msg);
    return E_OK;
}

err_code bundle_parse(const char *text, size_t len, const char *name, struct bundle *out,
                      struct err *e)
{
    struct jfield c = BUNDLE_JFIELD(name ? name : "bundle", e);
    memset(out, 0, sizeof *out);
    if (!text && len)
        return jfield_fail(&c, E_INVALID, "no data");
    if (len > BUNDLE_MAX_BYTES)
        return jfield_fail(&c, E_LIMIT, "%zu bytes is larger than the bundle limit of %u bytes",
                           len, BUNDLE_MAX_BYTES);
    /* Every number of this format is unsigned with one spelling: jfield_load
     * refuses "-0" (which jansson reads as 0) by its path. */
    json_t *top = NULL;
    err_code rc = jfield_load(&c, text, len, BUNDLE_MAX_BYTES, &top);
    if (!rc)
        rc = parse_doc(&c, top, out);
    json_decref(top);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

err_code bundle_read_file(const char *path, struct bundle *out, struct err *e)
{
    struct buf text = {0};
    memset(out, 0, sizeof *out);
    err_code rc = file_read_all(path, BUNDLE_MAX_BYTES, &text, e);
    if (rc) {
        if (rc == E_LIMIT)
            return err_set(e, E_LIMIT, "%s: larger than the bundle limit of %u bytes", path,
                           BUNDLE_MAX_BYTES);
        return rc;
    }
    rc = bundle_parse((const char *)text.p, text.len, strcmp(path, "-") ? path : "<stdin>", out,
                      e);
    buf_free(&text);
    return rc;
}

/* ---- writing -------------------------------------------------------------- */

/* A small JSON emitter for the one shape we write: every string is a fixed
 * name or hex (nothing to escape), every number ≤ 2^53 (bundle_validate).
 * Pretty output is byte for byte what jansson's JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER printed before (tests/unit/test_bundle.c compares the
 * two); compact output has no whitespace. About 20x faster than building a
 * jansson tree per bundle, which is what a 1M-bundle export does. */
struct jw {
    struct buf *o;
    err_code rc;
    bool pretty, first;
    int depth;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
    if (!w->rc)
        w->rc = buf_append(w->o, s, n);
}

static void jw_sep(struct jw *w)
{
    if (!w->first)
        jw_raw(w, ",", 1);
    w->first = false;
    if (w->pretty) {
        static const char nl[] = "\n                ";
        jw_raw(w, nl, 1 + (size_t)(2 * w->depth));
    }
}

static void jw_open(struct jw *w, char c)
{
    jw_raw(w, &c, 1);
    w->depth++;
    w->first = true;
}

static void jw_close(struct jw *w, char c)
{
    w->depth--;
    if (!w->first && w->pretty) {
        static const char nl[] = "\n                ";
        jw_raw(w, nl, 1 + (size_t)(2 * w->depth));
    }
    jw_raw(w, &c, 1);
    w->first = false;
}

static void jw_key(struct jw *w, const char *k)
{
    jw_sep(w);
    jw_raw(w, "\"", 1);
    jw_raw(w, k, strlen(k));
    jw_raw(w, w->pretty ? "\": " : "\":", w->pretty ? 3 : 2);
}

static void jw_strv(struct jw *w, const char *v)
{
    jw_raw(w, "\"", 1);
    jw_raw(w, v, strlen(v));
    jw_raw(w, "\"", 1);
}

static void jw_str(struct jw *w, const char *k, const char *v)
{
    jw_key(w, k);
    jw_strv(w, v);
}

static void jw_uint(struct jw *w, const char *k, uint64_t v)
{
    char n[24];
    int len = snprintf(n, sizeof n, "%" PRIu64, v);
    jw_key(w, k);
    jw_raw(w, n, (size_t)len);
}

static err_code write_json(const struct bundle *b, bool pretty, struct buf *out, struct err *e)
{
    err_code rc = bundle_validate(b, e);
    if (rc)
        return rc;
    char hex[67], closed[21];
    if ((rc = bundle_time_format(b->batch.closed_at, closed, e)))
        return rc;
    size_t old = out->len;
    struct jw w = {.o = out, .pretty = pretty};
    /* Member order is the documented one (docs/proof-format.md). */
    jw_open(&w, '{');
    jw_str(&w, "type", BUNDLE_TYPE);
    jw_uint(&w, "version", BUNDLE_VERSION);
    jw_key(&w, "credential");
    jw_open(&w, '{');
    hash32_to_hex(&b->credential.hash, hex);
    jw_str(&w, "hash", hex);
    jw_str(&w, "hashing", credential_hashing_name(b->credential.hashing));
    jw_close(&w, '}');
    jw_key(&w, "batch");
    jw_open(&w, '{');
    jw_str(&w, "kind", bundle_kind_name(b->batch.kind));
    jw_uint(&w, "seq", b->batch.seq);
    jw_uint(&w, "size", b->batch.size);
    hash32_to_hex(&b->batch.root, hex);
    jw_str(&w, "root", hex);
    jw_str(&w, "closedAt", closed);
    jw_close(&w, '}');
    jw_key(&w, "inclusion");
    jw_open(&w, '{');
    jw_uint(&w, "leafIndex", b->inclusion.leaf_index);
    jw_key(&w, "path");
    jw_open(&w, '[');
    for (size_t i = 0; i < b->inclusion.path_len; i++) {
        jw_sep(&w);
        hash32_to_hex(&b->inclusion.path[i], hex);
        jw_strv(&w, hex);
    }
    jw_close(&w, ']');
    jw_close(&w, '}');
    if (b->anchored) {
        const struct bundle_anchor *a = &b->anchor;
        jw_key(&w, "anchor");
        jw_open(&w, '{');
        jw_str(&w, "ledger", bundle_ledger_name(a->ledger));
        jw_uint(&w, "chainId", a->chain_id);
        addr20_to_hex(&a->contract, hex);
        jw_str(&w, "contract", hex);
        addr20_to_hex(&a->issuer, hex);
        jw_str(&w, "issuer", hex);
        hash32_to_hex0x(&a->tx_hash, hex);
        jw_str(&w, "txHash", hex);
        jw_uint(&w, "blockNumber", a->block_number);
        hash32_to_hex0x(&a->block_hash, hex);
        jw_str(&w, "blockHash", hex);
        jw_uint(&w, "blockTime", a->block_time);
        jw_close(&w, '}');
    }
    jw_close(&w, '}');
    jw_raw(&w, "\n", 1);
    if (w.rc) {
        out->len = old;
        return err_set(e, E_NOMEM, "out of memory writing a bundle");
    }
    return E_OK;
}

err_code bundle_write(const struct bundle *b, struct buf *out, struct err *e)
{
    return write_json(b, true, out, e);
}

err_code bundle_write_line(const struct bundle *b, struct buf *out, struct err *e)
{
    return write_json(b, false, out, e);
}

err_code bundle_write_file(const struct bundle *b, const char *path, struct err *e)
{
    struct buf text = {0};
    err_code rc = bundle_write(b, &text, e);
    if (!rc)
        rc = file_write_atomic(path, text.p, text.len, 0644, e);
    buf_free(&text);
    return rc;
}
