/* anchor/registry2.c — see registry2.h: encoding, EIP-712, events, views. The
 * rule, the key history and the revert words are in registry2_keys.c. */
#include "anchor/registry2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/abi.h"
#include "core/hash.h"

#define SIG_ANCHOR "anchor(address,bytes32,uint64,uint64,uint8)"
#define SIG_ANCHORED "Anchored(address,bytes32,uint64,uint64,uint8,address)"

static const char *const SIG_DIRECT[] = {"authorizeKey(address)", "retireKey(address)",
                                         "declareCompromised(address,uint64)"};
static const char *const SIG_BYSIG[] = {
    "authorizeKeyBySig(address,address,uint256,uint8,bytes32,bytes32)",
    "retireKeyBySig(address,address,uint256,uint8,bytes32,bytes32)",
    "declareCompromisedBySig(address,address,uint64,uint256,uint8,bytes32,bytes32)"};
static const char *const SIG_DIGEST[] = {"authorizeKeyDigest(address,address,uint256)",
                                         "retireKeyDigest(address,address,uint256)",
                                         "declareCompromisedDigest(address,address,uint64,uint256)"};
static const char *const SIG_TYPE[] = {
    "AuthorizeKey(address identity,address key,uint256 nonce)",
    "RetireKey(address identity,address key,uint256 nonce)",
    "DeclareCompromised(address identity,address key,uint64 since,uint256 nonce)"};
static const char *const SIG_EVENT[] = {"KeyAuthorized(address,address,uint64,uint32)",
                                        "KeyRetired(address,address,uint64)",
                                        "KeyCompromised(address,address,uint64)"};

static bool kind_ok(enum registry2_change_kind k)
{
    return k == REGISTRY2_AUTHORIZE || k == REGISTRY2_RETIRE || k == REGISTRY2_COMPROMISED;
}

/* The arguments the signed call and the digest view share: identity, key,
 * since (a compromise only), nonce. Returns how many (3 or 4). */
static size_t change_args(const struct registry2_change *ch, struct abi_arg args[4])
{
    size_t n = 0;
    args[n++] = abi_arg_address(&ch->identity);
    args[n++] = abi_arg_address(&ch->key);
    if (ch->kind == REGISTRY2_COMPROMISED)
        args[n++] = abi_arg_uint(ch->since);
    args[n++] = abi_arg_uint(ch->nonce);
    return n;
}

err_code registry2_code_matches(struct rpc_client *c, const struct addr20 *contract, bool *match,
                                struct err *e)
{
    return rpc_code_matches(c, contract, registry2_runtime_hex,
                            "embedded NotaryRegistry2 runtime code", match, e);
}

err_code registry2_anchor_calldata(const struct addr20 *identity, const struct hash32 *root,
                                   uint64_t size, uint64_t seq, enum registry_kind kind,
                                   struct buf *out, struct err *e)
{
    if (kind != REGISTRY_KIND_BATCH && kind != REGISTRY_KIND_CHECKPOINT)
        return err_set(e, E_INVALID, "anchor kind %d is neither 0 nor 1", (int)kind);
    struct abi_arg args[] = {abi_arg_address(identity), abi_arg_bytes32(root), abi_arg_uint(size),
                             abi_arg_uint(seq), abi_arg_uint((uint64_t)kind)};
    return abi_encode_call(SIG_ANCHOR, args, 5, out, e);
}

err_code registry2_parse_anchor_calldata(const uint8_t *data, size_t len, struct addr20 *identity,
                                         struct hash32 *root, uint64_t *size, uint64_t *seq,
                                         enum registry_kind *kind, struct err *e)
{
    err_code rc = registry_check_call(data, len, REGISTRY2_ANCHOR_CALLDATA_LEN, SIG_ANCHOR, e);
    if (rc)
        return rc;
    uint64_t k = 0;
    const uint8_t *a = data + 4;
    size_t n = len - 4;
    if ((rc = abi_get_address(a, n, 0, identity, e)) || (rc = abi_get_bytes32(a, n, 1, root, e)) ||
        (rc = abi_get_uint(a, n, 2, 64, size, e)) || (rc = abi_get_uint(a, n, 3, 64, seq, e)) ||
        (rc = abi_get_uint(a, n, 4, 8, &k, e)))
        return rc;
    if (k > 1)
        return err_set(e, E_INVALID, "anchor kind %llu is neither 0 nor 1", (unsigned long long)k);
    *kind = (enum registry_kind)k;
    return E_OK;
}

err_code registry2_change_calldata(const struct registry2_change *ch, struct buf *out,
                                   struct err *e)
{
    if (!kind_ok(ch->kind))
        return err_set(e, E_INVALID, "unknown key change %d", (int)ch->kind);
    struct abi_arg args[] = {abi_arg_address(&ch->key), abi_arg_uint(ch->since)};
    return abi_encode_call(SIG_DIRECT[ch->kind], args, ch->kind == REGISTRY2_COMPROMISED ? 2 : 1,
                           out, e);
}

err_code registry2_change_bysig_calldata(const struct registry2_change *ch,
                                         const struct registry2_sig *sig, struct buf *out,
                                         struct err *e)
{
    if (!kind_ok(ch->kind))
        return err_set(e, E_INVALID, "unknown key change %d", (int)ch->kind);
    struct abi_arg args[7];
    size_t n = change_args(ch, args);
    args[n++] = abi_arg_uint(sig->v);
    args[n++] = abi_arg_bytes32(&sig->r);
    args[n++] = abi_arg_bytes32(&sig->s);
    return abi_encode_call(SIG_BYSIG[ch->kind], args, n, out, e);
}

/* ---- EIP-712 ---------------------------------------------------------------- */

static void word_u64(uint8_t w[32], uint64_t v)
{
    memset(w, 0, 32);
    for (int i = 0; i < 8; i++)
        w[31 - i] = (uint8_t)(v >> (8 * i));
}

static void word_addr(uint8_t w[32], const struct addr20 *a)
{
    memset(w, 0, 12);
    memcpy(w + 12, a->b, 20);
}

void registry2_domain_separator(uint64_t chain_id, const struct addr20 *contract,
                                struct hash32 *out)
{
    static const char T[] =
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
    uint8_t m[5 * 32];
    struct hash32 h;
    keccak256(T, strlen(T), &h);
    memcpy(m, h.b, 32);
    keccak256("NotaryRegistry", 14, &h);
    memcpy(m + 32, h.b, 32);
    keccak256("2", 1, &h);
    memcpy(m + 64, h.b, 32);
    word_u64(m + 96, chain_id);
    word_addr(m + 128, contract);
    keccak256(m, sizeof m, out);
}

void registry2_change_hash_struct(const struct registry2_change *ch, struct hash32 *out)
{
    uint8_t m[5 * 32];
    size_t n = 0;
    struct hash32 th;
    enum registry2_change_kind k = kind_ok(ch->kind) ? ch->kind : REGISTRY2_AUTHORIZE;
    keccak256(SIG_TYPE[k], strlen(SIG_TYPE[k]), &th);
    memcpy(m, th.b, 32), n += 32;
    word_addr(m + n, &ch->identity), n += 32;
    word_addr(m + n, &ch->key), n += 32;
    if (k == REGISTRY2_COMPROMISED)
        word_u64(m + n, ch->since), n += 32;
    word_u64(m + n, ch->nonce), n += 32;
    keccak256(m, n, out);
}

void registry2_change_digest(uint64_t chain_id, const struct addr20 *contract,
                             const struct registry2_change *ch, struct hash32 *out)
{
    uint8_t m[2 + 64];
    struct hash32 d, s;
    registry2_domain_separator(chain_id, contract, &d);
    registry2_change_hash_struct(ch, &s);
    m[0] = 0x19;
    m[1] = 0x01;
    memcpy(m + 2, d.b, 32);
    memcpy(m + 34, s.b, 32);
    keccak256(m, sizeof m, out);
}

err_code registry2_sign_change(const struct signer *identity, uint64_t chain_id,
                               const struct addr20 *contract, const struct registry2_change *ch,
                               struct registry2_sig *out, struct err *e)
{
    struct addr20 who, back;
    signer_address(identity, &who);
    if (!addr20_eq(&who, &ch->identity))
        return err_set(e, E_INVALID, "the identity key given is not the identity of this change");
    struct hash32 digest;
    registry2_change_digest(chain_id, contract, ch, &digest);
    struct eth_sig sig;
    err_code rc = signer_sign_digest(identity, &digest, &sig, e);
    if (rc)
        return rc;
    if ((rc = eth_recover_address(&digest, &sig, &back, e)))
        return rc;
    if (!addr20_eq(&back, &who))
        return err_set(e, E_CRYPTO, "the identity signature does not recover to the identity");
    out->v = (uint8_t)(27 + sig.y_parity);
    memcpy(out->r.b, sig.r, 32);
    memcpy(out->s.b, sig.s, 32);
    return E_OK;
}

/* ---- views ------------------------------------------------------------------ */

#define V2 "NotaryRegistry2"

/* eth_call of `sig`(args) whose answer must be exactly `want` bytes. */
static err_code call_view(struct rpc_client *c, const struct addr20 *contract, const char *sig,
                          const struct abi_arg *args, size_t nargs, const char *block, size_t want,
                          uint8_t **ret, struct err *e)
{
    return registry_call_view(c, contract, V2, sig, args, nargs, block, want, ret, e);
}

err_code registry2_change_digest_view(struct rpc_client *c, const struct addr20 *contract,
                                      const struct registry2_change *ch, struct hash32 *out,
                                      struct err *e)
{
    if (!kind_ok(ch->kind))
        return err_set(e, E_INVALID, "unknown key change %d", (int)ch->kind);
    struct abi_arg args[4];
    size_t n = change_args(ch, args);
    uint8_t *ret;
    err_code rc = call_view(c, contract, SIG_DIGEST[ch->kind], args, n, NULL, 32, &ret, e);
    if (rc)
        return rc;
    memcpy(out->b, ret, 32);
    free(ret);
    return E_OK;
}

err_code registry2_anchored_at(struct rpc_client *c, const struct addr20 *contract,
                               const struct addr20 *identity, const struct hash32 *root,
                               const char *block, struct registry2_record *out, struct err *e)
{
    struct registry_record r = {0};
    struct addr20 key = {0};
    err_code rc =
        registry_view_anchored_at(c, contract, V2, identity, root, block, &r, &key, e);
    if (rc == E_OK && r.kind > 1)
        rc = registry_answer_range(err_set(e, E_INVALID, "kind %llu", (unsigned long long)r.kind),
                                   "anchoredAt", e);
    *out = (struct registry2_record){.block_number = r.block_number, .timestamp = r.timestamp,
                                     .size = r.size, .seq = r.seq, .kind = r.kind, .key = key};
    return rc;
}

err_code registry2_next_seq(struct rpc_client *c, const struct addr20 *contract,
                            const struct addr20 *identity, enum registry_kind kind,
                            const char *block, uint64_t *out, struct err *e)
{
    struct abi_arg args[] = {abi_arg_address(identity), abi_arg_uint((uint64_t)kind)};
    return registry_view_uint(c, contract, V2, "nextSeq(address,uint8)", args, 2, block, 64, out,
                              e);
}

err_code registry2_key_status(struct rpc_client *c, const struct addr20 *contract,
                              const struct addr20 *identity, const struct addr20 *key,
                              const char *block, struct registry2_key_status *out, struct err *e)
{
    static const char SIG[] = "keyStatus(address,address)";
    struct abi_arg args[] = {abi_arg_address(identity), abi_arg_address(key)};
    uint8_t *ret;
    err_code rc = call_view(c, contract, SIG, args, 2, block, 128, &ret, e);
    if (rc)
        return rc;
    if (!(rc = abi_get_uint(ret, 128, 0, 64, &out->authorized_from, e)) &&
        !(rc = abi_get_uint(ret, 128, 1, 64, &out->retired_at, e)) &&
        !(rc = abi_get_uint(ret, 128, 2, 64, &out->compromised_since, e)))
        rc = abi_get_uint(ret, 128, 3, 64, &out->identity_compromised_since, e);
    free(ret);
    return registry_answer_range(rc, SIG, e);
}

err_code registry2_key_count(struct rpc_client *c, const struct addr20 *contract,
                             const struct addr20 *identity, const char *block, uint32_t *out,
                             struct err *e)
{
    struct abi_arg args[] = {abi_arg_address(identity)};
    uint64_t v = 0;
    err_code rc =
        registry_view_uint(c, contract, V2, "keyCount(address)", args, 1, block, 32, &v, e);
    *out = (uint32_t)v;
    return rc;
}

err_code registry2_key_at(struct rpc_client *c, const struct addr20 *contract,
                          const struct addr20 *identity, uint32_t index, const char *block,
                          struct addr20 *out, struct err *e)
{
    static const char SIG[] = "keyAt(address,uint256)";
    struct abi_arg args[] = {abi_arg_address(identity), abi_arg_uint(index)};
    uint8_t *ret;
    err_code rc = call_view(c, contract, SIG, args, 2, block, 32, &ret, e);
    if (rc)
        return rc;
    rc = abi_get_address(ret, 32, 0, out, e);
    free(ret);
    return registry_answer_range(rc, SIG, e);
}

err_code registry2_nonce(struct rpc_client *c, const struct addr20 *contract,
                         const struct addr20 *identity, const char *block, uint64_t *out,
                         struct err *e)
{
    struct abi_arg args[] = {abi_arg_address(identity)};
    return registry_view_uint(c, contract, V2, "nonces(address)", args, 1, block, 64, out, e);
}

/* ---- events ------------------------------------------------------------------ */

void registry2_anchored_topic(struct hash32 *out) { abi_event_topic(SIG_ANCHORED, out); }

void registry2_key_topic(enum registry2_change_kind kind, struct hash32 *out)
{
    abi_event_topic(SIG_EVENT[kind_ok(kind) ? kind : REGISTRY2_AUTHORIZE], out);
}

err_code registry2_parse_anchored(const struct rpc_log *log, struct registry2_anchored *out,
                                  struct err *e)
{
    struct registry_event ev;
    struct addr20 key;
    memset(out, 0, sizeof *out);
    err_code rc = registry_decode_anchored(log, SIG_ANCHORED, 128,
                                           "a NotaryRegistry2 Anchored event", &ev, e);
    if (rc || (rc = abi_get_address(log->data, 128, 3, &key, e)))
        return rc;
    if (ev.kind > 1)
        return err_set(e, E_INVALID, "Anchored event kind %llu is neither 0 nor 1",
                       (unsigned long long)ev.kind);
    *out = (struct registry2_anchored){.contract = ev.contract, .identity = ev.issuer,
                                       .root = ev.root, .size = ev.size, .seq = ev.seq,
                                       .kind = ev.kind, .key = key,
                                       .block_number = ev.block_number,
                                       .block_hash = ev.block_hash, .tx_hash = ev.tx_hash,
                                       .log_index = ev.log_index};
    return E_OK;
}

err_code registry2_parse_key_event(const struct rpc_log *log, struct registry2_key_event *out,
                                   struct err *e)
{
    if (log->ntopics != 3)
        return err_set(e, E_INVALID, "log has %u topics; a key event has 3", log->ntopics);
    memset(out, 0, sizeof *out);
    struct hash32 t;
    int kind = -1;
    for (int k = REGISTRY2_AUTHORIZE; k <= REGISTRY2_COMPROMISED; k++) {
        registry2_key_topic((enum registry2_change_kind)k, &t);
        if (hash32_eq(&t, &log->topics[0]))
            kind = k;
    }
    if (kind < 0)
        return err_set(e, E_INVALID, "log is not a KeyAuthorized, KeyRetired or KeyCompromised "
                                     "event (topic0 differs)");
    size_t want = kind == REGISTRY2_AUTHORIZE ? 64 : 32;
    if (log->data_len != want)
        return err_set(e, E_INVALID, "%s event data has %zu bytes, expected %zu",
                       SIG_EVENT[kind], log->data_len, want);
    err_code rc;
    uint64_t idx = 0;
    if ((rc = abi_get_address(log->topics[1].b, 32, 0, &out->identity, e)) ||
        (rc = abi_get_address(log->topics[2].b, 32, 0, &out->key, e)) ||
        (rc = abi_get_uint(log->data, want, 0, 64, &out->value, e)) ||
        (kind == REGISTRY2_AUTHORIZE && (rc = abi_get_uint(log->data, want, 1, 32, &idx, e))))
        return rc;
    if (kind == REGISTRY2_AUTHORIZE && (idx == 0 || idx >= (1u << 24)))
        return err_set(e, E_INVALID, "KeyAuthorized index %llu is outside 1..2^24-2",
                       (unsigned long long)idx);
    out->kind = (enum registry2_change_kind)kind;
    out->index = (uint32_t)idx;
    out->contract = log->address;
    out->block_number = log->block_number;
    out->tx_hash = log->tx_hash;
    out->log_index = log->log_index;
    return E_OK;
}
