/*
 * core/revlog.c — the revocation log: entry encoding, tree, strict file
 * parser and writer; see revlog.h and docs/revocation-format.md.
 *
 * The parser follows core/bundle.c: the document is read once through
 * core/json.h (size, duplicate keys, depth), type and version are checked
 * before anything else, every object is closed and every field is checked
 * through core/jfield.h (terse wording) with a message that names it
 * ("log.json: entries[12].credential: ...").
 * Counts are bounded before anything is allocated for them.
 */
#include "core/revlog.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/hash.h"
#include "core/jfield.h"

/* ---- reasons -------------------------------------------------------------- */

static const char *const REASONS[] = {"unspecified", "superseded",     "issued-in-error",
                                      "fraud",       "holder-request", "withdrawn"};

const char *revlog_reason_name(unsigned code)
{
    return code <= REVLOG_REASON_MAX ? REASONS[code] : "invalid";
}

err_code revlog_reason_parse(const char *s, enum revlog_reason *out, struct err *e)
{
    if (s && s[0] >= '0' && s[0] <= '9' && s[1] == '\0' && s[0] - '0' <= REVLOG_REASON_MAX) {
        *out = (enum revlog_reason)(s[0] - '0');
        return E_OK;
    }
    for (unsigned i = 0; s && i <= REVLOG_REASON_MAX; i++)
        if (strcmp(s, REASONS[i]) == 0) {
            *out = (enum revlog_reason)i;
            return E_OK;
        }
    return err_set(e, E_INVALID,
                   "unknown revocation reason \"%.40s\": give a code or name: 0 unspecified, "
                   "1 superseded, 2 issued-in-error, 3 fraud, 4 holder-request, 5 withdrawn",
                   s ? s : "");
}

/* ---- entries -------------------------------------------------------------- */

/* Well-formed UTF-8 (no overlong forms, no surrogates, ≤ U+10FFFF) without
 * control characters: a note is shown to people, in terminals and HTML. */
static bool note_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = p[i];
        if (c < 0x20 || c == 0x7f)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
        if (!len || c > 0xf4 || i + len > n)
            return false;
        uint32_t cp = c & (0x7f >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
            return false;
        i += len;
    }
    return true;
}

err_code revlog_entry_encode(const struct revlog_entry *en, uint8_t *out, size_t *len,
                             struct err *e)
{
    size_t nl = en->note ? strlen(en->note) : 0;
    if (en->reason > REVLOG_REASON_MAX)
        return err_set(e, E_INVALID, "reason code %u is not one of 0..%d", en->reason,
                       REVLOG_REASON_MAX);
    if (en->time < 0)
        return err_set(e, E_INVALID, "revocation time %" PRId64 " is before 1970", en->time);
    if (nl > REVLOG_MAX_NOTE)
        return err_set(e, E_INVALID, "note of %zu bytes is longer than %u bytes", nl,
                       REVLOG_MAX_NOTE);
    size_t o = 0;
    out[o++] = REVLOG_ENTRY_ENCODING;
    memcpy(out + o, en->credential.b, 32);
    o += 32;
    out[o++] = en->reason;
    for (int i = 7; i >= 0; i--)
        out[o++] = (uint8_t)((uint64_t)en->time >> (8 * i));
    out[o++] = (uint8_t)(nl >> 8);
    out[o++] = (uint8_t)nl;
    memcpy(out + o, en->note ? en->note : "", nl);
    *len = o + nl;
    return E_OK;
}

err_code revlog_entry_digest(const struct revlog_entry *en, struct hash32 *out, struct err *e)
{
    uint8_t buf[REVLOG_ENTRY_MAX_BYTES];
    size_t n;
    err_code rc = revlog_entry_encode(en, buf, &n, e);
    if (rc)
        return rc;
    if (sha256(buf, n, out))
        return err_set(e, E_CRYPTO, "SHA-256 is unavailable (OpenSSL provider)");
    return E_OK;
}

void revlog_free(struct revlog *l)
{
    if (!l)
        return;
    for (uint64_t i = 0; i < l->n_entries; i++)
        free(l->entries[i].note);
    free(l->entries);
    free(l->checkpoints);
    free(l->proofs);
    memset(l, 0, sizeof *l);
}

/* Grow `*arr` (elements of `size` bytes, capacity *cap) to hold `need`. */
static err_code grow(void **arr, size_t *cap, size_t need, size_t size, struct err *e)
{
    if (need <= *cap)
        return E_OK;
    size_t c = *cap ? *cap : 16;
    while (c < need)
        c *= 2;
    void *p = realloc(*arr, c * size);
    if (!p)
        return err_set(e, E_NOMEM, "out of memory for the revocation log");
    *arr = p;
    *cap = c;
    return E_OK;
}

err_code revlog_add_entry(struct revlog *l, const struct revlog_entry *en, struct err *e)
{
    uint8_t tmp[REVLOG_ENTRY_MAX_BYTES];
    size_t n;
    err_code rc = revlog_entry_encode(en, tmp, &n, e);
    if (rc)
        return rc;
    if (en->note && !note_ok(en->note, strlen(en->note)))
        return err_set(e, E_INVALID, "a note must be UTF-8 text without control characters");
    if (l->n_entries >= REVLOG_MAX_ENTRIES)
        return err_set(e, E_LIMIT, "the revocation log holds at most %u entries",
                       REVLOG_MAX_ENTRIES);
    if ((rc = grow((void **)&l->entries, &l->cap_entries_, l->n_entries + 1, sizeof *l->entries,
                   e)))
        return rc;
    struct revlog_entry *d = &l->entries[l->n_entries];
    *d = *en;
    d->note = NULL;
    if (en->note && en->note[0] && !(d->note = strdup(en->note)))
        return err_set(e, E_NOMEM, "out of memory for the revocation log");
    l->n_entries++;
    return E_OK;
}

err_code revlog_add_checkpoint(struct revlog *l, const struct revlog_checkpoint *cp,
                               const struct hash32 *proof, size_t proof_len, struct err *e)
{
    err_code rc;
    if (l->n_checkpoints >= REVLOG_MAX_CHECKPOINTS)
        return err_set(e, E_LIMIT, "the revocation log lists at most %u checkpoints",
                       REVLOG_MAX_CHECKPOINTS);
    if (proof_len > MERKLE_MAX_PATH)
        return err_set(e, E_LIMIT, "a consistency proof has at most %d hashes", MERKLE_MAX_PATH);
    if ((rc = grow((void **)&l->checkpoints, &l->cap_checkpoints_, l->n_checkpoints + 1,
                   sizeof *l->checkpoints, e)) ||
        (rc = grow((void **)&l->proofs, &l->cap_proofs_, l->n_proofs + proof_len,
                   sizeof *l->proofs, e)))
        return rc;
    struct revlog_checkpoint *d = &l->checkpoints[l->n_checkpoints++];
    *d = *cp;
    d->proof_off = l->n_proofs;
    d->proof_len = proof_len;
    if (proof_len)
        memcpy(&l->proofs[l->n_proofs], proof, proof_len * sizeof *proof);
    l->n_proofs += proof_len;
    return E_OK;
}

err_code revlog_tree(const struct revlog *l, uint64_t n, struct merkle_tree **out, struct err *e)
{
    *out = NULL;
    if (n == 0 || n > l->n_entries)
        return err_set(e, E_INVALID, "a tree over %" PRIu64 " of %" PRIu64 " entries", n,
                       l->n_entries);
    struct hash32 *d = malloc(n * sizeof *d);
    if (!d)
        return err_set(e, E_NOMEM, "out of memory for %" PRIu64 " entry digests", n);
    err_code rc = E_OK;
    for (uint64_t i = 0; i < n && !rc; i++)
        if ((rc = revlog_entry_digest(&l->entries[i], &d[i], e)))
            err_prefix(e, "entry %" PRIu64, i);
    if (!rc)
        rc = merkle_tree_build(d, n, NULL, out, e);
    free(d);
    return rc;
}

err_code revlog_root(const struct revlog *l, uint64_t n, struct hash32 *out, struct err *e)
{
    if (n == 0) {
        merkle_empty_root(out);
        return E_OK;
    }
    struct merkle_tree *t;
    err_code rc = revlog_tree(l, n, &t, e);
    if (rc)
        return rc;
    merkle_tree_root(t, out);
    merkle_tree_free(t);
    return E_OK;
}

int64_t revlog_find(const struct revlog *l, const struct hash32 *credential)
{
    for (uint64_t i = 0; i < l->n_entries; i++)
        if (hash32_eq(&l->entries[i].credential, credential))
            return (int64_t)i;
    return -1;
}

/* ---- parsing -------------------------------------------------------------- */

/* One log being read: core/jfield.h in its terse wording. */
#define REVLOG_JFIELD(name, e) {(name), "version 1 is closed", true, (e)}

/* The required member `key`: an RFC 3339 UTC time (bundle_time_parse). */
static err_code get_time(const struct jfield *c, json_t *obj, const char *where, const char *key,
                         int64_t *out)
{
    const char *s;
    err_code rc = jfield_string(c, obj, where, key, &s);
    if (rc)
        return rc;
    struct err te = {0};
    if (bundle_time_parse(s, out, &te))
        return jfield_fail(c, E_INVALID, "%s.%s: %s", where, key, te.msg);
    return E_OK;
}

static err_code parse_entry(const struct jfield *c, json_t *o, uint64_t i, struct revlog *l)
{
    static const char *const known[] = {"credential", "reason", "revokedAt", "note", NULL};
    char where[40];
    snprintf(where, sizeof where, "entries[%" PRIu64 "]", i);
    struct revlog_entry en = {0};
    uint64_t reason;
    err_code rc;
    if ((rc = jfield_is(c, o, where, JSON_OBJECT)) ||
        (rc = jfield_only_known(c, o, where, known)) ||
        (rc = jfield_hex(c, o, where, "credential", false, en.credential.b, 32)) ||
        (rc = jfield_uint(c, o, where, "reason", 0, &reason)) ||
        (rc = get_time(c, o, where, "revokedAt", &en.time)))
        return rc;
    if (reason > REVLOG_REASON_MAX)
        return jfield_fail(c, E_INVALID, "%s.reason %" PRIu64 " is not a documented code (0..%d)",
                           where, reason, REVLOG_REASON_MAX);
    en.reason = (uint8_t)reason;
    const char *note;
    size_t n;
    if ((rc = jfield_opt_string(c, o, where, "note", 1, REVLOG_MAX_NOTE, &note, &n)))
        return rc;
    if (note && !note_ok(note, n))
        return jfield_fail(c, E_INVALID, "%s.note holds a control character", where);
    en.note = (char *)note; /* copied by revlog_add_entry */
    struct err ae = {0};
    if (revlog_add_entry(l, &en, &ae))
        return jfield_fail(c, ae.code, "%s: %s", where, ae.msg);
    return E_OK;
}

static err_code parse_checkpoint(const struct jfield *c, json_t *o, size_t i, struct revlog *l)
{
    static const char *const known[] = {"seq",       "size",      "root",
                                        "txHash",    "blockNumber", "blockHash",
                                        "blockTime", "consistency", NULL};
    char where[40];
    snprintf(where, sizeof where, "checkpoints[%zu]", i);
    struct revlog_checkpoint cp = {0};
    json_t *proof;
    err_code rc;
    if ((rc = jfield_is(c, o, where, JSON_OBJECT)) ||
        (rc = jfield_only_known(c, o, where, known)) ||
        (rc = jfield_uint(c, o, where, "seq", 0, &cp.seq)) ||
        (rc = jfield_uint(c, o, where, "size", 1, &cp.size)) ||
        (rc = jfield_hex(c, o, where, "root", false, cp.root.b, 32)) ||
        (rc = jfield_hex(c, o, where, "txHash", true, cp.tx_hash.b, 32)) ||
        (rc = jfield_uint(c, o, where, "blockNumber", 0, &cp.block_number)) ||
        (rc = jfield_hex(c, o, where, "blockHash", true, cp.block_hash.b, 32)) ||
        (rc = jfield_uint(c, o, where, "blockTime", 0, &cp.block_time)) ||
        (rc = jfield_get(c, o, where, "consistency", JSON_ARRAY, &proof)))
        return rc;
    if (i > 0 && cp.seq <= l->checkpoints[i - 1].seq)
        return jfield_fail(c, E_INVALID, "%s.seq %" PRIu64 " does not follow seq %" PRIu64
                           " (checkpoints are listed in increasing seq order)",
                           where, cp.seq, l->checkpoints[i - 1].seq);
    size_t np = json_array_size(proof);
    if (i == 0 && np != 0)
        return jfield_fail(c, E_INVALID, "%s.consistency must be empty for the first checkpoint",
                           where);
    if (np > MERKLE_MAX_PATH)
        return jfield_fail(c, E_LIMIT, "%s.consistency has %zu hashes; at most %d", where, np,
                           MERKLE_MAX_PATH);
    struct hash32 p[MERKLE_MAX_PATH];
    for (size_t k = 0; k < np; k++) {
        char field[64];
        snprintf(field, sizeof field, "%s.consistency[%zu]", where, k);
        if ((rc = jfield_hex_value(c, json_array_get(proof, k), field, false, p[k].b, 32)))
            return rc;
    }
    struct err ae = {0};
    if (revlog_add_checkpoint(l, &cp, p, np, &ae))
        return jfield_fail(c, ae.code, "%s: %s", where, ae.msg);
    return E_OK;
}

static err_code parse_doc(const struct jfield *c, json_t *top, struct revlog *l)
{
    static const char *const known[] = {"type",       "version", "issuer",  "ledger",
                                        "chainId",    "contract", "exportedAt", "entries",
                                        "checkpoints", NULL};
    char p[48];
    if (!json_is_object(top))
        return jfield_fail(c, E_INVALID, "a revocation log is a JSON object");
    json_t *t = json_object_get(top, "type");
    if (!json_is_string(t) || strcmp(json_string_value(t), REVLOG_TYPE) != 0)
        return jfield_fail(c, E_INVALID, "type is %s%s%s, expected \"%s\"", t ? "\"" : "missing",
                           json_is_string(t) ? jfield_printable(json_string_value(t), p, sizeof p)
                                             : "",
                           t ? "\"" : "", REVLOG_TYPE);
    json_t *v = json_object_get(top, "version");
    if (!json_is_integer(v))
        return jfield_fail(c, E_INVALID, "version must be a JSON integer");
    if (json_integer_value(v) != REVLOG_VERSION)
        return jfield_fail(c, E_UNSUPPORTED,
                           "revocation log version %" JSON_INTEGER_FORMAT
                           " is not supported (this reads version %d)",
                           json_integer_value(v), REVLOG_VERSION);
    const char *ledger;
    json_t *entries, *cps;
    err_code rc;
    if ((rc = jfield_only_known(c, top, "the top level", known)) ||
        (rc = jfield_hex(c, top, "log", "issuer", true, l->issuer.b, 20)) ||
        (rc = jfield_string(c, top, "log", "ledger", &ledger)))
        return rc;
    if (!bundle_ledger_parse(ledger, &l->ledger))
        return jfield_fail(c, E_INVALID, "ledger is \"%s\"; expected \"evm\" or \"ebsi\"",
                           jfield_printable(ledger, p, sizeof p));
    if ((rc = jfield_uint(c, top, "log", "chainId", 1, &l->chain_id)) ||
        (rc = jfield_hex(c, top, "log", "contract", true, l->contract.b, 20)) ||
        (rc = get_time(c, top, "log", "exportedAt", &l->exported_at)) ||
        (rc = jfield_get(c, top, "log", "entries", JSON_ARRAY, &entries)) ||
        (rc = jfield_get(c, top, "log", "checkpoints", JSON_ARRAY, &cps)))
        return rc;
    /* Counts before contents. */
    if (json_array_size(entries) > REVLOG_MAX_ENTRIES)
        return jfield_fail(c, E_LIMIT, "%zu entries; at most %u", json_array_size(entries),
                           REVLOG_MAX_ENTRIES);
    if (json_array_size(cps) > REVLOG_MAX_CHECKPOINTS)
        return jfield_fail(c, E_LIMIT, "%zu checkpoints; at most %u", json_array_size(cps),
                           REVLOG_MAX_CHECKPOINTS);
    for (size_t i = 0; i < json_array_size(entries); i++)
        if ((rc = parse_entry(c, json_array_get(entries, i), i, l)))
            return rc;
    for (size_t i = 0; i < json_array_size(cps); i++)
        if ((rc = parse_checkpoint(c, json_array_get(cps, i), i, l)))
            return rc;
    return E_OK;
}

err_code revlog_parse(const char *text, size_t len, const char *name, struct revlog *out,
                      struct err *e)
{
    struct jfield c = REVLOG_JFIELD(name ? name : "revocation log", e);
    memset(out, 0, sizeof *out);
    if (len > REVLOG_MAX_BYTES)
        return jfield_fail(&c, E_LIMIT, "%zu bytes is larger than the limit of %u bytes", len,
                           REVLOG_MAX_BYTES);
    /* Every number of this format is unsigned with one spelling: jfield_load
     * refuses "-0" (which jansson reads as 0) by its path. */
    json_t *top = NULL;
    err_code rc = jfield_load(&c, text, len, REVLOG_MAX_BYTES, &top);
    if (!rc)
        rc = parse_doc(&c, top, out);
    json_decref(top);
    if (rc)
        revlog_free(out);
    return rc;
}

/* ---- writing -------------------------------------------------------------- */

err_code revlog_write(const struct revlog *l, struct buf *out, struct err *e)
{
    char issuer[43], contract[43], when[21], h[67], bh[67];
    if (l->chain_id < 1 || l->chain_id > BUNDLE_MAX_UINT)
        return err_set(e, E_INVALID, "chain id %" PRIu64 " is out of range", l->chain_id);
    if (bundle_time_format(l->exported_at, when, e))
        return E_INVALID;
    addr20_to_hex(&l->issuer, issuer);
    addr20_to_hex(&l->contract, contract);
    size_t old = out->len;
    err_code rc = E_OK;
#define P(...) buf_printf_rc(&rc, out, __VA_ARGS__)
    P("{\n  \"type\": \"%s\",\n  \"version\": %d,\n  \"issuer\": \"%s\",\n  \"ledger\": \"%s\",\n"
      "  \"chainId\": %" PRIu64 ",\n  \"contract\": \"%s\",\n  \"exportedAt\": \"%s\",\n"
      "  \"entries\": [",
      REVLOG_TYPE, REVLOG_VERSION, issuer, bundle_ledger_name(l->ledger), l->chain_id, contract,
      when);
    for (uint64_t i = 0; i < l->n_entries && !rc; i++) {
        const struct revlog_entry *en = &l->entries[i];
        char cred[65], t[21];
        uint8_t tmp[REVLOG_ENTRY_MAX_BYTES];
        size_t n;
        if ((rc = revlog_entry_encode(en, tmp, &n, e)) || (rc = bundle_time_format(en->time, t, e)))
            break;
        hash32_to_hex(&en->credential, cred);
        P("%s\n    {\"credential\": \"%s\", \"reason\": %u, \"revokedAt\": \"%s\"", i ? "," : "",
          cred, en->reason, t);
        if (en->note && en->note[0]) {
            if (!note_ok(en->note, strlen(en->note))) {
                rc = err_set(e, E_INVALID, "entry %" PRIu64 ": the note is not UTF-8 text", i);
                break;
            }
            json_t *s = json_string(en->note);
            char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
            json_decref(s);
            if (!q) {
                rc = err_set(e, E_INVALID, "entry %" PRIu64 ": the note is not UTF-8", i);
                break;
            }
            P(", \"note\": %s", q);
            free(q);
        }
        P("}");
    }
    P("%s],\n  \"checkpoints\": [", l->n_entries ? "\n  " : "");
    for (size_t i = 0; i < l->n_checkpoints && !rc; i++) {
        const struct revlog_checkpoint *cp = &l->checkpoints[i];
        if (i == 0 && cp->proof_len) {
            rc = err_set(e, E_INVALID, "the first checkpoint has no consistency proof");
            break;
        }
        hash32_to_hex(&cp->root, h);
        P("%s\n    {\"seq\": %" PRIu64 ", \"size\": %" PRIu64 ", \"root\": \"%s\",", i ? "," : "",
          cp->seq, cp->size, h);
        hash32_to_hex0x(&cp->tx_hash, h);
        hash32_to_hex0x(&cp->block_hash, bh);
        P("\n     \"txHash\": \"%s\", \"blockNumber\": %" PRIu64 ",\n     \"blockHash\": \"%s\", "
          "\"blockTime\": %" PRIu64 ",\n     \"consistency\": [",
          h, cp->block_number, bh, cp->block_time);
        for (size_t k = 0; k < cp->proof_len; k++) {
            hash32_to_hex(&l->proofs[cp->proof_off + k], h);
            P("%s\"%s\"", k ? ", " : "", h);
        }
        P("]}");
    }
    P("%s]\n}\n", l->n_checkpoints ? "\n  " : "");
#undef P
    if (rc) {
        out->len = old;
        if (rc == E_NOMEM)
            err_set(e, E_NOMEM, "out of memory writing the revocation log");
    }
    return rc;
}
