/*
 * core/credential.c — the credential hash; see credential.h and docs/design.md
 * "Hashing and proofs".
 *
 * The notary and the verifier both call credential_hash(), so the rule that
 * decides between JCS and raw hashing lives in exactly one place. The rule
 * looks only at the first significant byte: '{' or '[' means the document is
 * a JSON credential and must be strict JSON (core/json.h); anything else is
 * hashed as bytes. Falling back to raw hashing for broken JSON would let a
 * credential with a duplicate key be notarized under one meaning and read
 * under another, so that is an error instead.
 */
#include "core/credential.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/fileio.h"
#include "core/hash.h"
#include "core/jcs.h"
#include "core/json.h"

static const char *const g_names[] = {
    [CRED_HASH_JCS_SHA256] = "jcs-sha256",
    [CRED_HASH_SHA256] = "sha256",
    [CRED_HASH_GIVEN] = "given",
};
#define N_NAMES (sizeof g_names / sizeof g_names[0])

const char *credential_hashing_name(enum credential_hashing h)
{
    return (unsigned)h < N_NAMES ? g_names[h] : "unknown";
}

err_code credential_hashing_parse(const char *name, enum credential_hashing *out, struct err *e)
{
    for (size_t i = 0; name && i < N_NAMES; i++) {
        if (strcmp(name, g_names[i]) == 0) {
            *out = (enum credential_hashing)i;
            return E_OK;
        }
    }
    return err_set(e, E_INVALID,
                   "unknown credential hashing \"%.64s\": expected jcs-sha256, sha256 or given",
                   name ? name : "(none)");
}

/* JSON insignificant whitespace (RFC 8259 §2). */
static bool is_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

err_code credential_hash(const uint8_t *data, size_t len, enum credential_hashing *how,
                         struct hash32 *out, struct err *e)
{
    if (len > CREDENTIAL_MAX_BYTES)
        return err_set(e, E_LIMIT, "credential of %zu bytes exceeds the limit of %u bytes", len,
                       CREDENTIAL_MAX_BYTES);
    if (!data && len)
        return err_set(e, E_INVALID, "credential_hash: no data");
    /* The notary's CLI and API and the verifier refuse the same thing: an
     * empty document is no credential (and its hash, e3b0c442…, would be
     * everyone's empty file). */
    if (len == 0)
        return err_set(e, E_INVALID, "empty credential (0 bytes): there is nothing to notarize; "
                                     "give the credential document (or submit its hash)");
    size_t i = 0;
    bool bom = len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0;
    if (bom)
        i = 3;
    while (i < len && is_ws(data[i]))
        i++;
    bool json = i < len && (data[i] == '{' || data[i] == '[');
    if (json && bom)
        /* RFC 8259 §8.1: a JSON text must not begin with a BOM. Hashing it
         * raw would silently give a different hash than the same credential
         * saved without one, so make the issuer choose. */
        return err_set(e, E_INVALID,
                       "credential looks like JSON but starts with a UTF-8 byte order mark, "
                       "which JSON forbids (RFC 8259 §8.1): remove the BOM, or submit the "
                       "hash directly");
    if (!json) {
        if (sha256(data, len, out))
            return err_set(e, E_CRYPTO, "SHA-256 unavailable (OpenSSL default provider)");
        *how = CRED_HASH_SHA256;
        return E_OK;
    }
    struct buf canon = {0};
    err_code rc = jcs_canonicalize((const char *)data, len, CREDENTIAL_MAX_BYTES, &canon, e);
    if (rc) {
        buf_free(&canon);
        return err_wrap(e, rc, "credential starts like JSON but is not strict JSON, so it cannot be "
                               "canonicalized (RFC 8785)");
    }
    /* Two credentials that differ only in digits a double cannot hold would
     * get the same hash: refuse them here, where notary and verifier meet. */
    if ((rc = jcs_check_numbers((const char *)data, len, e))) {
        buf_free(&canon);
        return rc;
    }
    rc = sha256(canon.p, canon.len, out);
    buf_free(&canon);
    if (rc)
        return err_set(e, E_CRYPTO, "SHA-256 unavailable (OpenSSL default provider)");
    *how = CRED_HASH_JCS_SHA256;
    return E_OK;
}

err_code credential_hash_file(const char *path, enum credential_hashing *how, struct hash32 *out,
                              struct err *e)
{
    struct buf b;
    err_code rc = file_read_all(path, CREDENTIAL_MAX_BYTES, &b, e);
    if (rc)
        return rc; /* the message already names the file */
    rc = credential_hash(b.p, b.len, how, out, e);
    buf_free(&b);
    if (rc)
        err_prefix(e, "%s", strcmp(path, "-") == 0 ? "<stdin>" : path);
    return rc;
}

void credential_issuer_read(const uint8_t *data, size_t len, struct credential_issuer *out)
{
    memset(out, 0, sizeof *out);
    size_t i = 0;
    while (i < len && is_ws(data[i]))
        i++;
    if (i >= len || data[i] != '{')
        return; /* not a JSON object: a raw file or an array names no issuer */
    json_t *top = NULL;
    struct err e = {0};
    if (jstrict_parse((const char *)data, len, CREDENTIAL_MAX_BYTES, 0, &top, &e))
        return;
    json_t *iss = json_object_get(top, "issuer");
    if (!iss) {
        json_decref(top);
        return; /* no issuer named */
    }
    if (json_is_object(iss))
        iss = json_object_get(iss, "id");
    const char *id = iss && json_is_string(iss) ? json_string_value(iss) : NULL;
    size_t n = id ? json_string_length(iss) : 0;
    if (!id) {
        out->kind = CRED_ISSUER_UNUSABLE;
        snprintf(out->why, sizeof out->why,
                 "its \"issuer\" is neither a string nor an object with a string \"id\"");
    } else if (n == 0 || n >= CREDENTIAL_ISSUER_MAX || strlen(id) != n) {
        out->kind = CRED_ISSUER_UNUSABLE;
        snprintf(out->why, sizeof out->why, "its issuer id is empty or longer than %d bytes",
                 CREDENTIAL_ISSUER_MAX - 1);
    } else {
        bool printable = true;
        for (size_t k = 0; k < n; k++)
            printable = printable && (unsigned char)id[k] >= 0x20 && id[k] != 0x7f;
        if (printable) {
            out->kind = CRED_ISSUER_ID;
            memcpy(out->id, id, n + 1);
        } else {
            out->kind = CRED_ISSUER_UNUSABLE;
            snprintf(out->why, sizeof out->why, "its issuer id contains a control character");
        }
    }
    json_decref(top);
}
