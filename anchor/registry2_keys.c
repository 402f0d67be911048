/* anchor/registry2_keys.c — see registry2.h: the rule of docs/registry-v2.md §2,
 * the key history rebuilt from the events, and NotaryRegistry2's custom errors
 * in words. Calls down into registry2.c (decoding), never back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/abi.h"
#include "anchor/registry2.h"

bool registry2_key_counts(const struct registry2_key_status *st, uint64_t block,
                          enum registry2_reason *reason)
{
    enum registry2_reason r = REGISTRY2_COUNTS;
    if (!(st->authorized_from <= block))
        r = REGISTRY2_NOT_AUTHORIZED;
    else if (!(block < st->identity_compromised_since))
        r = REGISTRY2_IDENTITY_COMPROMISED;
    else if (!(block < st->compromised_since))
        r = REGISTRY2_KEY_COMPROMISED;
    else if (!(block < st->retired_at))
        r = REGISTRY2_RETIRED;
    if (reason)
        *reason = r;
    return r == REGISTRY2_COUNTS;
}

void registry2_reason_format(enum registry2_reason reason, const struct registry2_key_status *st,
                             const struct addr20 *identity, const struct addr20 *key,
                             uint64_t block, char *out, size_t max)
{
    char k[43], i[43];
    addr20_to_hex(key, k);
    addr20_to_hex(identity, i);
    unsigned long long b = (unsigned long long)block;
    switch (reason) {
    case REGISTRY2_COUNTS:
        snprintf(out, max, "key %s counts for identity %s at block %llu", k, i, b);
        break;
    case REGISTRY2_NOT_AUTHORIZED:
        if (st->authorized_from == REGISTRY2_NEVER)
            snprintf(out, max, "key %s was never authorized by identity %s", k, i);
        else
            snprintf(out, max, "key %s was not authorized by identity %s at block %llu (only "
                     "from block %llu on)", k, i, b, (unsigned long long)st->authorized_from);
        break;
    case REGISTRY2_RETIRED:
        snprintf(out, max, "key %s was retired at block %llu (anchor at block %llu)", k,
                 (unsigned long long)st->retired_at, b);
        break;
    case REGISTRY2_KEY_COMPROMISED:
        snprintf(out, max, "key %s was declared compromised since block %llu (anchor at block "
                 "%llu)", k, (unsigned long long)st->compromised_since, b);
        break;
    case REGISTRY2_IDENTITY_COMPROMISED:
        snprintf(out, max, "the identity %s declared itself compromised since block %llu (anchor "
                 "at block %llu)", i, (unsigned long long)st->identity_compromised_since, b);
        break;
    default:
        snprintf(out, max, "unknown reason");
    }
}

/* ---- history ---------------------------------------------------------------- */

struct hist {
    struct registry2_key_entry *k;
    size_t n, cap;
};

static struct registry2_key_entry *find(struct hist *h, const struct addr20 *key)
{
    for (size_t i = 0; i < h->n; i++)
        if (addr20_eq(&h->k[i].key, key))
            return &h->k[i];
    return NULL;
}

static err_code apply(struct hist *h, const struct registry2_key_event *ev, struct err *e)
{
    char kh[43];
    addr20_to_hex(&ev->key, kh);
    struct registry2_key_entry *k = find(h, &ev->key);
    unsigned long long blk = (unsigned long long)ev->block_number;
    if (ev->kind == REGISTRY2_AUTHORIZE) {
        if (k)
            return err_set(e, E_PROTOCOL, "key %s is authorized twice in the events (block %llu)",
                           kh, blk);
        if (ev->value != ev->block_number || ev->index != h->n)
            return err_set(e, E_PROTOCOL, "KeyAuthorized of %s in block %llu says block %llu, "
                           "index %u (expected %zu)", kh, blk, (unsigned long long)ev->value,
                           ev->index, h->n);
        if (h->n >= REGISTRY2_MAX_KEYS)
            return err_set(e, E_LIMIT, "the identity has more than %d keys", REGISTRY2_MAX_KEYS);
        if (h->n == h->cap) {
            size_t cap = h->cap * 2;
            struct registry2_key_entry *p = realloc(h->k, cap * sizeof *p);
            if (!p)
                return err_set(e, E_NOMEM, "out of memory");
            h->k = p, h->cap = cap;
        }
        k = &h->k[h->n++];
        *k = (struct registry2_key_entry){
            .key = ev->key, .index = ev->index,
            .status = {ev->value, REGISTRY2_NEVER, REGISTRY2_NEVER,
                       h->k[0].status.identity_compromised_since},
            .authorized_block = ev->block_number, .retired_block = REGISTRY2_NEVER,
            .compromised_block = REGISTRY2_NEVER};
        return E_OK;
    }
    if (!k)
        return err_set(e, E_PROTOCOL, "%s of key %s in block %llu, which the identity never "
                       "authorized", ev->kind == REGISTRY2_RETIRE ? "KeyRetired" : "KeyCompromised",
                       kh, blk);
    if (ev->kind == REGISTRY2_RETIRE) {
        if (k->status.retired_at != REGISTRY2_NEVER || ev->value != ev->block_number + 1)
            return err_set(e, E_PROTOCOL, "KeyRetired of %s in block %llu is inconsistent", kh,
                           blk);
        k->status.retired_at = ev->value;
        k->retired_block = ev->block_number;
        return E_OK;
    }
    /* compromised: since ≤ its block, ≥ authorization, earlier than before */
    if (ev->value > ev->block_number || ev->value < k->status.authorized_from ||
        ev->value >= k->status.compromised_since)
        return err_set(e, E_PROTOCOL, "KeyCompromised of %s in block %llu names block %llu, "
                       "which the contract could not have accepted", kh, blk,
                       (unsigned long long)ev->value);
    k->status.compromised_since = ev->value;
    k->compromised_block = ev->block_number;
    if (k == &h->k[0])
        for (size_t i = 0; i < h->n; i++)
            h->k[i].status.identity_compromised_since = ev->value;
    return E_OK;
}

/* The key events of one window [from, to] in log order. */
static err_code window(struct rpc_client *c, const struct addr20 *contract,
                       const struct addr20 *identity, uint64_t from, uint64_t to, struct hist *h,
                       struct err *e)
{
    struct hash32 itopic = {{0}};
    memcpy(itopic.b + 12, identity->b, 20);
    char qf[RPC_QTY_BUF], qt[RPC_QTY_BUF];
    struct rpc_log_filter f = {.address = contract, .topics = {NULL, &itopic}, .ntopics = 2,
                               .from_block = rpc_format_quantity(from, qf),
                               .to_block = rpc_format_quantity(to, qt)};
    struct rpc_log *logs = NULL;
    size_t n = 0;
    err_code rc = rpc_get_logs(c, &f, &logs, &n, e);
    if (rc)
        return rc;
    struct hash32 anchored;
    registry2_anchored_topic(&anchored);
    for (size_t i = 0; i < n && !rc; i++) {
        if (logs[i].removed || hash32_eq(&logs[i].topics[0], &anchored))
            continue;
        struct registry2_key_event ev;
        if ((rc = registry2_parse_key_event(&logs[i], &ev, e))) {
            rc = E_PROTOCOL;
            if (e)
                e->code = rc;
            err_prefix(e, "a log of the registry in block %llu",
                       (unsigned long long)logs[i].block_number);
            break;
        }
        if (!addr20_eq(&ev.identity, identity))
            rc = err_set(e, E_PROTOCOL, "eth_getLogs answered a key event of another identity");
        else
            rc = apply(h, &ev, e);
    }
    rpc_logs_free(logs, n);
    return rc;
}

err_code registry2_key_history(struct rpc_client *c, const struct addr20 *contract,
                               const struct addr20 *identity, uint64_t from_block,
                               uint64_t to_block, uint64_t win,
                               struct registry2_key_entry **keys, size_t *n, struct err *e)
{
    *keys = NULL;
    *n = 0;
    err_code rc;
    if (to_block == REGISTRY2_NEVER && (rc = rpc_block_number(c, &to_block, e)))
        return rc;
    if (!win)
        win = REGISTRY2_LOG_WINDOW;
    struct hist h = {calloc(8, sizeof *h.k), 1, 8};
    if (!h.k)
        return err_set(e, E_NOMEM, "out of memory");
    h.k[0] = (struct registry2_key_entry){
        .key = *identity, .index = 0,
        .status = {0, REGISTRY2_NEVER, REGISTRY2_NEVER, REGISTRY2_NEVER},
        .authorized_block = REGISTRY2_NEVER, .retired_block = REGISTRY2_NEVER,
        .compromised_block = REGISTRY2_NEVER};
    /* The identity's own retirement is a KeyRetired with key == identity:
     * apply() finds it as entry 0. */
    rc = E_OK;
    for (uint64_t from = from_block; from <= to_block && !rc;) {
        uint64_t to = to_block - from < win - 1 ? to_block : from + win - 1;
        rc = window(c, contract, identity, from, to, &h, e);
        if (rc == E_LIMIT && win > 1 && to > from) {
            /* too many logs for one answer: a smaller window, same start. A
             * window may have applied some events before failing: start over. */
            win /= 2;
            err_clear(e);
            h.n = 1;
            h.k[0].status = (struct registry2_key_status){0, REGISTRY2_NEVER, REGISTRY2_NEVER,
                                                         REGISTRY2_NEVER};
            h.k[0].retired_block = h.k[0].compromised_block = REGISTRY2_NEVER;
            from = from_block;
            rc = E_OK;
            continue;
        }
        if (to == UINT64_MAX)
            break;
        from = to + 1;
    }
    if (rc) {
        free(h.k);
        return rc;
    }
    *keys = h.k;
    *n = h.n;
    return E_OK;
}

/* ---- custom errors ------------------------------------------------------------- */

/* Argument kinds: 'a' address, 'u' uint (≤ 64 bits shown in decimal), 'U'
 * uint256 (decimal), 'b' bytes32. `fmt` uses %s once per argument, in order. */
struct custom_error {
    const char *sig;
    const char *args;
    const char *fmt;
};

static const struct custom_error ERRORS[] = {
    {"BadSequence(uint64,uint64)", "uu", "BadSequence: the registry expects seq %s next, not %s"},
    {"AlreadyAnchored(bytes32)", "b", "AlreadyAnchored: the identity already anchored root %s"},
    {"BadKind(uint8)", "u", "BadKind: kind %s does not exist (0 batch, 1 checkpoint)"},
    {"ZeroSize()", "", "ZeroSize: a tree of zero leaves is never anchored"},
    {"ZeroRoot()", "", "ZeroRoot: the all-zero root is reserved"},
    {"NotAuthorized(address,address)", "aa",
     "NotAuthorized: identity %s has not authorized key %s (never, or not for this change)"},
    {"KeyIsRetired(address,address,uint64)", "aau",
     "KeyIsRetired: identity %s retired key %s at block %s"},
    {"KeyIsCompromised(address,address,uint64)", "aau",
     "KeyIsCompromised: identity %s declared key %s compromised since block %s"},
    {"IdentityIsCompromised(address,uint64)", "au",
     "IdentityIsCompromised: identity %s declared itself compromised since block %s"},
    {"ZeroKey()", "", "ZeroKey: the zero address is no key"},
    {"KeyAlreadyAuthorized(address,address)", "aa",
     "KeyAlreadyAuthorized: identity %s already authorized key %s once (or it is the identity): use a fresh key"},
    {"TooManyKeys(address)", "a", "TooManyKeys: identity %s has authorized 2^24-1 keys"},
    {"SinceInFuture(uint64,uint64)", "uu",
     "SinceInFuture: block %s is after the current block %s"},
    {"SinceBeforeAuthorization(uint64,uint64)", "uu",
     "SinceBeforeAuthorization: block %s is before the key's authorization at block %s"},
    {"AlreadyCompromised(address,address,uint64)", "aau",
     "AlreadyCompromised: identity %s already declared key %s compromised since block %s; only an earlier block can be declared"},
    {"BadNonce(address,uint256,uint256)", "aUU",
     "BadNonce: identity %s expects nonce %s, the signature has %s (another key change came first: sign again)"},
    {"BadSignatureV(uint8)", "u", "BadSignatureV: v %s is not 27 or 28"},
    {"MalleableSignature(bytes32)", "b", "MalleableSignature: s %s is above secp256k1n/2"},
    {"WrongSigner(address,address)", "aa",
     "WrongSigner: the signature is not identity %s's (it recovers to %s): wrong identity key, chain or contract"},
};

bool registry2_revert_text(const uint8_t *data, size_t len, char *out, size_t max)
{
    if (max)
        out[0] = '\0';
    if (len < 4)
        return false;
    for (size_t i = 0; i < sizeof ERRORS / sizeof ERRORS[0]; i++) {
        uint8_t sel[4];
        abi_selector(ERRORS[i].sig, sel);
        size_t na = strlen(ERRORS[i].args);
        if (memcmp(sel, data, 4) != 0 || len != 4 + 32 * na)
            continue;
        char v[3][80] = {{0}};
        for (size_t j = 0; j < na; j++) {
            const uint8_t *p = data + 4;
            size_t n = len - 4;
            uint64_t u;
            struct addr20 a;
            struct hash32 h;
            struct u256 w;
            switch (ERRORS[i].args[j]) {
            case 'a':
                if (abi_get_address(p, n, j, &a, NULL))
                    return false;
                addr20_to_hex(&a, v[j]);
                break;
            case 'u':
                if (abi_get_uint(p, n, j, 64, &u, NULL))
                    return false;
                snprintf(v[j], sizeof v[j], "%llu", (unsigned long long)u);
                break;
            case 'U':
                if (abi_get_u256(p, n, j, &w, NULL))
                    return false;
                u256_to_dec(&w, v[j]);
                break;
            default:
                if (abi_get_bytes32(p, n, j, &h, NULL))
                    return false;
                hash32_to_hex0x(&h, v[j]);
            }
        }
        snprintf(out, max, ERRORS[i].fmt, v[0], v[1], v[2]);
        return true;
    }
    return false;
}
