/*
 * core/embed.c — a credential with its proof bundle embedded, and the
 * verifier link; see embed.h and docs/proof-format.md §7–8.
 *
 * The notary (embedding, with a self-check) and the verifier (reading) both
 * go through locate() and embed_split(), so the rule that says which entry
 * is ours and what the document looks like without it exists once.
 */
#define _GNU_SOURCE /* memmem */
#include "core/embed.h"

#include <string.h>

#include "core/b64url.h"
#include "core/fileio.h"
#include "core/hash.h"
#include "core/jcs.h"
#include "core/json.h"

/* 1: `v` is our entry; 0: it is not; E_INVALID (as -1): it names our type in
 * a way we refuse to guess about (a `type` array that contains it). */
static int is_ours(const json_t *v)
{
    if (!json_is_object(v))
        return 0;
    const json_t *t = json_object_get(v, "type");
    if (json_is_string(t))
        return strcmp(json_string_value(t), BUNDLE_TYPE) == 0;
    if (json_is_array(t)) {
        size_t i;
        const json_t *x;
        json_array_foreach(t, i, x) if (json_is_string(x) &&
                                        strcmp(json_string_value(x), BUNDLE_TYPE) == 0) return -1;
    }
    return 0;
}

/* Where our entry is in `doc` (an object). *entry NULL: none. *index is its
 * position when `proof` is an array, (size_t)-1 when `proof` is the entry. */
static err_code locate(json_t *doc, json_t **entry, size_t *index, struct err *e)
{
    *entry = NULL;
    *index = (size_t)-1;
    json_t *p = json_object_get(doc, "proof");
    int o;
    if (json_is_object(p)) {
        if ((o = is_ours(p)) < 0)
            goto bad_type;
        if (o)
            *entry = p;
        return E_OK;
    }
    if (!json_is_array(p))
        return E_OK;
    size_t i;
    json_t *x;
    json_array_foreach(p, i, x)
    {
        if ((o = is_ours(x)) < 0)
            goto bad_type;
        if (!o)
            continue;
        if (*entry)
            return err_set(e, E_INVALID,
                           "proof has more than one \"%s\" entry (entries %zu and %zu): a "
                           "credential carries at most one embedded bundle",
                           BUNDLE_TYPE, *index, i);
        *entry = x;
        *index = i;
    }
    return E_OK;
bad_type:
    return err_set(e, E_INVALID,
                   "a proof entry names \"%s\" in a type array: an embedded bundle's type must "
                   "be exactly the string \"%s\"",
                   BUNDLE_TYPE, BUNDLE_TYPE);
}

/* Remove the entry located at `index` (locate()) from doc's `proof`: an
 * array left empty goes, an array left with one entry becomes that entry. */
static err_code strip(json_t *doc, size_t index, struct err *e)
{
    if (index == (size_t)-1)
        return json_object_del(doc, "proof") ? err_set(e, E_NOMEM, "out of memory") : E_OK;
    json_t *p = json_object_get(doc, "proof");
    if (json_array_remove(p, index))
        return err_set(e, E_NOMEM, "out of memory");
    if (json_array_size(p) == 0)
        return json_object_del(doc, "proof") ? err_set(e, E_NOMEM, "out of memory") : E_OK;
    if (json_array_size(p) == 1 &&
        json_object_set(doc, "proof", json_array_get(p, 0))) /* set takes its own reference */
        return err_set(e, E_NOMEM, "out of memory");
    return E_OK;
}

static err_code hash_value(const json_t *doc, struct hash32 *out, struct err *e)
{
    struct buf canon = {0};
    err_code rc = jcs_serialize(doc, &canon, e);
    if (!rc && sha256(canon.p, canon.len, out))
        rc = err_set(e, E_CRYPTO, "SHA-256 unavailable (OpenSSL default provider)");
    buf_free(&canon);
    return rc;
}

err_code embed_split(const uint8_t *data, size_t len, const char *name, struct embed_split *out,
                     struct err *e)
{
    memset(out, 0, sizeof *out);
    /* Every rule of the plain credential hash applies to the whole file
     * first (strict JSON, no BOM, exact numbers, size). */
    err_code rc = credential_hash(data, len, &out->hashing, &out->hash, e);
    if (rc || out->hashing != CRED_HASH_JCS_SHA256)
        goto done;
    json_t *doc = NULL;
    if ((rc = jstrict_parse((const char *)data, len, CREDENTIAL_MAX_BYTES, JSTRICT_INTS_AS_REALS,
                            &doc, e)))
        goto done;
    json_t *entry = NULL;
    size_t index;
    struct buf text = {0};
    if (!json_is_object(doc) || (rc = locate(doc, &entry, &index, e)) || !entry)
        goto out_doc;
    json_incref(entry);
    if ((rc = jcs_serialize(entry, &text, e)))
        goto out_entry;
    if (text.len > BUNDLE_MAX_BYTES) {
        rc = err_set(e, E_LIMIT, "the embedded bundle has %zu bytes, more than the bundle limit of %u",
                     text.len, BUNDLE_MAX_BYTES);
        goto out_entry;
    }
    char nm[300];
    snprintf(nm, sizeof nm, "%s: embedded proof", name ? name : "credential");
    if ((rc = bundle_parse((const char *)text.p, text.len, nm, &out->bundle, e)) ||
        (rc = strip(doc, index, e)) || (rc = hash_value(doc, &out->hash, e)))
        goto out_entry;
    out->found = true;
out_entry:
    json_decref(entry);
out_doc:
    buf_free(&text);
    json_decref(doc);
done:
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

err_code embed_split_file(const char *path, struct embed_split *out, struct err *e)
{
    struct buf b;
    memset(out, 0, sizeof *out);
    err_code rc = file_read_all(path, CREDENTIAL_MAX_BYTES, &b, e);
    if (rc)
        return rc; /* the message already names the file */
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    rc = embed_split(b.p, b.len, name, out, e);
    if (!rc)
        credential_issuer_read(b.p, b.len, &out->issuer);
    buf_free(&b);
    if (rc && !strstr(e->msg, name))
        err_prefix(e, "%s", name);
    return rc;
}

/* Indent a canonical (whitespace-free) JSON text: two spaces, "key": value,
 * empty containers kept on one line, a final newline. */
static err_code indent(const char *s, size_t n, struct buf *out)
{
    err_code rc = E_OK;
    int depth = 0;
    bool in_str = false;
#define NL()                                                                                       \
    do {                                                                                           \
        rc = rc ? rc : buf_append_byte(out, '\n');                                                 \
        for (int k_ = 0; k_ < depth && !rc; k_++)                                                  \
            rc = buf_append(out, "  ", 2);                                                         \
    } while (0)
    for (size_t i = 0; i < n && !rc; i++) {
        char c = s[i];
        if (in_str) {
            rc = buf_append_byte(out, (uint8_t)c);
            if (c == '\\' && i + 1 < n)
                rc = rc ? rc : buf_append_byte(out, (uint8_t)s[++i]);
            else if (c == '"')
                in_str = false;
            continue;
        }
        switch (c) {
        case '"': in_str = true; rc = buf_append_byte(out, '"'); break;
        case '{':
        case '[':
            rc = buf_append_byte(out, (uint8_t)c);
            if (i + 1 < n && (s[i + 1] == '}' || s[i + 1] == ']'))
                rc = rc ? rc : buf_append_byte(out, (uint8_t)s[++i]);
            else {
                depth++;
                NL();
            }
            break;
        case '}':
        case ']':
            depth--;
            NL();
            rc = rc ? rc : buf_append_byte(out, (uint8_t)c);
            break;
        case ',': rc = buf_append_byte(out, ','); NL(); break;
        case ':': rc = buf_append(out, ": ", 2); break;
        default: rc = buf_append_byte(out, (uint8_t)c);
        }
    }
#undef NL
    return rc ? rc : buf_append_byte(out, '\n');
}

/* Put `entry` (a reference we give away) into doc's `proof` by the table of
 * embed.h, or say why not. */
static err_code insert(json_t *doc, json_t *entry, struct err *e)
{
    json_t *p = json_object_get(doc, "proof");
    err_code rc = E_OK;
    if (!p) {
        if (json_object_set_new(doc, "proof", entry))
            return err_set(e, E_NOMEM, "out of memory");
        return E_OK;
    }
    if (json_is_object(p)) {
        json_t *arr = json_array();
        if (!arr || json_array_append(arr, p) || json_array_append_new(arr, entry) ||
            json_object_set_new(doc, "proof", arr))
            return err_set(e, E_NOMEM, "out of memory");
        return E_OK;
    }
    if (json_is_array(p) && json_array_size(p) >= 2) {
        if (json_array_append_new(p, entry))
            return err_set(e, E_NOMEM, "out of memory");
        return E_OK;
    }
    if (json_is_array(p))
        rc = err_set(e, E_INVALID,
                     "the credential's proof is an array of %zu entr%s: with the bundle embedded "
                     "and stripped again it would read as %s, which hashes differently, so it "
                     "cannot be embedded; give the holder the bundle as a separate file",
                     json_array_size(p), json_array_size(p) == 1 ? "y" : "ies",
                     json_array_size(p) == 1 ? "a single proof object" : "no proof member");
    else
        rc = err_set(e, E_INVALID,
                     "the credential's proof is %s, not an object or an array of proofs: the "
                     "bundle cannot be embedded; give it to the holder as a separate file",
                     json_is_string(p) ? "a string" : "a scalar");
    json_decref(entry);
    return rc;
}

static err_code same_bundle(const struct bundle *a, const struct bundle *b, bool *same,
                            struct err *e)
{
    struct buf x = {0}, y = {0};
    err_code rc = bundle_write(a, &x, e);
    if (!rc)
        rc = bundle_write(b, &y, e);
    *same = !rc && x.len == y.len && memcmp(x.p, y.p, x.len) == 0;
    buf_free(&x);
    buf_free(&y);
    return rc;
}

err_code embed_insert(const uint8_t *data, size_t len, const struct bundle *b, struct buf *out,
                      struct err *e)
{
    enum credential_hashing how;
    struct hash32 h;
    err_code rc = credential_hash(data, len, &how, &h, e);
    if (rc)
        return rc;
    if (how != CRED_HASH_JCS_SHA256)
        return err_set(e, E_INVALID, "only a JSON credential (an object) can carry its proof: "
                                     "give the holder the bundle as a separate file");
    if (!hash32_eq(&h, &b->credential.hash))
        return err_set(e, E_INVALID, "the bundle is for another credential (its credential.hash "
                                     "differs from this document's hash)");
    json_t *doc = NULL, *entry = NULL, *found = NULL;
    struct buf btext = {0}, canon = {0}, pretty = {0};
    size_t index;
    if ((rc = jstrict_parse((const char *)data, len, CREDENTIAL_MAX_BYTES, JSTRICT_INTS_AS_REALS,
                            &doc, e)))
        goto out;
    if (!json_is_object(doc)) {
        rc = err_set(e, E_INVALID, "the credential is a JSON array, not an object: it has no "
                                   "proof member to carry the bundle; give the bundle separately");
        goto out;
    }
    if ((rc = locate(doc, &found, &index, e)))
        goto out;
    if (found) {
        rc = err_set(e, E_INVALID, "the credential already carries an embedded \"%s\" entry "
                                   "(it was submitted with one?): embed into the plain credential",
                     BUNDLE_TYPE);
        goto out;
    }
    if ((rc = bundle_write(b, &btext, e)) ||
        (rc = jstrict_parse((const char *)btext.p, btext.len, BUNDLE_MAX_BYTES,
                            JSTRICT_INTS_AS_REALS, &entry, e)))
        goto out;
    rc = insert(doc, entry, e);
    entry = NULL; /* insert() took it */
    if (rc || (rc = jcs_serialize(doc, &canon, e)) ||
        (rc = indent((const char *)canon.p, canon.len, &pretty)))
        goto out;
    if (pretty.len > CREDENTIAL_MAX_BYTES) {
        rc = err_set(e, E_LIMIT, "the credential with its bundle would have %zu bytes, more than "
                                 "the credential limit of %u",
                     pretty.len, CREDENTIAL_MAX_BYTES);
        goto out;
    }
    /* Self-check: what a verifier will read back is this bundle and the hash
     * that was anchored. */
    static struct embed_split back; /* ~2.6 KB; not re-entrant, like the CLI */
    bool same = false;
    if ((rc = embed_split(pretty.p, pretty.len, "embedded credential", &back, e)) ||
        (back.found && (rc = same_bundle(&back.bundle, b, &same, e))))
        goto out;
    if (!back.found || !same || !hash32_eq(&back.hash, &h)) {
        rc = err_set(e, E_INVALID, "internal: the embedded credential does not read back as this "
                                   "credential and bundle; nothing written");
        goto out;
    }
    rc = buf_append(out, pretty.p, pretty.len);
out:
    json_decref(entry);
    json_decref(doc);
    buf_free(&btext);
    buf_free(&canon);
    buf_free(&pretty);
    return rc;
}

err_code embed_link(const char *base, const struct bundle *b, struct buf *out, struct err *e)
{
    size_t n = base ? strlen(base) : 0;
    if (n == 0 || n > EMBED_LINK_MAX_BASE)
        return err_set(e, E_INVALID, "the verifier page URL must have 1 to %u characters",
                       EMBED_LINK_MAX_BASE);
    if (strncmp(base, "https://", 8) != 0 && strncmp(base, "http://", 7) != 0)
        return err_set(e, E_INVALID, "the verifier page URL must start with https:// (or http://)");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)base[i];
        if (c <= ' ' || c >= 0x7f)
            return err_set(e, E_INVALID, "the verifier page URL must be printable ASCII without "
                                         "spaces (percent-encode other characters)");
        if (c == '#')
            return err_set(e, E_INVALID, "the verifier page URL already has a fragment ('#'): "
                                         "give it without one, the link puts the bundle there");
    }
    struct buf text = {0}, canon = {0};
    size_t start = out->len;
    err_code rc = bundle_write(b, &text, e);
    if (!rc)
        rc = jcs_canonicalize((const char *)text.p, text.len, BUNDLE_MAX_BYTES, &canon, e);
    if (!rc && (buf_append(out, base, n) || buf_append_str(out, "#" EMBED_LINK_KEY)))
        rc = err_set(e, E_NOMEM, "out of memory");
    if (!rc)
        rc = b64url_encode(canon.p, canon.len, out, e);
    if (rc && out->p) {
        out->len = start;
        out->p[start] = 0;
    }
    buf_free(&text);
    buf_free(&canon);
    return rc;
}

err_code embed_notarize_hash(const uint8_t *data, size_t len, enum credential_hashing *how,
                             struct hash32 *out, bool *embedded, struct err *e)
{
    if (embedded)
        *embedded = false;
    err_code rc = credential_hash(data, len, how, out, e);
    if (rc || *how != CRED_HASH_JCS_SHA256)
        return rc;
    /* The type can only be spelled literally or with a \u escape: without
     * either, there is no entry and no second parse. */
    if (!memmem(data, len, BUNDLE_TYPE, strlen(BUNDLE_TYPE)) && !memmem(data, len, "\\u", 2))
        return E_OK;
    json_t *doc = NULL, *entry = NULL;
    size_t index;
    struct err le = {0};
    if ((rc = jstrict_parse((const char *)data, len, CREDENTIAL_MAX_BYTES, JSTRICT_INTS_AS_REALS,
                            &doc, e)))
        return rc;
    bool found = json_is_object(doc) && (locate(doc, &entry, &index, &le) != E_OK || entry);
    json_decref(doc);
    if (!found)
        return E_OK;
    if (embedded)
        *embedded = true;
    memset(out, 0, sizeof *out);
    return err_set(e, E_INVALID,
                   "the credential already carries an embedded notary proof (a \"proof\" entry "
                   "of type \"%s\"): submit the credential as it was before `notary proof "
                   "--embed` (verifiers remove that entry before hashing, so this document "
                   "could never verify)",
                   BUNDLE_TYPE);
}

err_code embed_notarize_hash_file(const char *path, enum credential_hashing *how,
                                  struct hash32 *out, struct err *e)
{
    struct buf b;
    err_code rc = file_read_all(path, CREDENTIAL_MAX_BYTES, &b, e);
    if (rc)
        return rc; /* the message already names the file */
    rc = embed_notarize_hash(b.p, b.len, how, out, NULL, e);
    buf_free(&b);
    if (rc)
        err_prefix(e, "%s", strcmp(path, "-") == 0 ? "<stdin>" : path);
    return rc;
}
