/* notary/anchoring/anchoring_ebsi.c — see anchoring_ebsi.h. */
#include "notary/anchoring/anchoring_ebsi.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anchor/ebsi.h"
#include "anchor/eth.h"
#include "anchor/tx.h"

struct run {
    struct store *s;
    const struct anchoring_cfg *cfg;
    struct addr20 issuer;
    time_t deadline;
    uint64_t alg;
    struct ebsi_api *api; /* created when first needed (needs the token) */
};

#define say(r, ...) anchoring_say((r)->cfg, __VA_ARGS__)
#define fault_point anchoring_fault_point
#define kind_name anchoring_kind_name
#define note(r, b, why) anchoring_note((r)->s, (r)->cfg, (b), (why))
#define set_failed(r, b, why) anchoring_set_failed((r)->s, (r)->cfg, (b), (why))

static struct ebsi_data batch_data(const struct store_batch *b)
{
    return (struct ebsi_data){.kind = (enum ebsi_kind)b->kind, .seq = b->seq, .size = b->size};
}

static bool data_eq(const struct ebsi_data *a, const struct ebsi_data *b)
{
    return a->kind == b->kind && a->seq == b->seq && a->size == b->size;
}

/* The meta key under which the unsigned transaction of `txh` is kept. */
static void unsigned_key(const struct hash32 *txh, char out[96])
{
    char hex[67];
    hash32_to_hex0x(txh, hex);
    snprintf(out, 96, "ebsi_unsigned:%s", hex);
}

/* Connect to the Timestamp API with the token (env, else the token file). */
static err_code api_open(struct run *r, struct err *e)
{
    if (r->api)
        return E_OK;
    char *url = NULL, *file = NULL, *token = NULL;
    err_code rc = store_meta_get(r->s, "timestamp_api", &url, e);
    if (rc)
        return rc == E_NOT_FOUND ? err_set(e, E_STATE, "this notary has no Timestamp API URL "
                                                       "(setting timestamp_api)")
                                 : rc;
    const char *env = getenv(ANCHORING_EBSI_TOKEN_ENV);
    if (env && *env) {
        token = strdup(env);
        if (!token)
            rc = err_set(e, E_NOMEM, "out of memory");
    } else if (store_meta_get(r->s, "token_file", &file, NULL) == E_OK) {
        rc = ebsi_token_read(file, &token, e);
        if (rc == E_NOT_FOUND)
            rc = err_set(e, E_STATE, "no EBSI access token: the token file %s is missing; put a "
                                     "token with the timestamp_write scope there or set %s",
                         file, ANCHORING_EBSI_TOKEN_ENV);
    } else {
        rc = err_set(e, E_STATE, "no EBSI access token: set %s or configure a token file "
                                 "(notary init --token-file); it needs the timestamp_write scope",
                     ANCHORING_EBSI_TOKEN_ENV);
    }
    if (!rc) {
        struct rpc_options o = {.url = url, .bearer_token = token, .max_attempts = 3};
        rc = ebsi_api_new(&o, &r->api, e);
    }
    ebsi_token_free(token);
    free(url);
    free(file);
    return rc;
}

/* Does the receipt carry our HashTimestamped event for exactly this batch? */
bool anchoring_ebsi_receipt_ok(const struct anchoring_cfg *cfg, const struct addr20 *issuer,
                               const struct store_batch *b, const struct rpc_receipt *rc,
                               struct err *e)
{
    struct ebsi_data want = batch_data(b);
    for (size_t i = 0; i < rc->nlogs; i++) {
        struct ebsi_event ev;
        if (!addr20_eq(&rc->logs[i].address, &cfg->contract) ||
            ebsi_parse_event(&rc->logs[i], &ev, NULL) != E_OK)
            continue;
        if (addr20_eq(&ev.from, issuer) && hash32_eq(&ev.root, &b->root) &&
            data_eq(&ev.data, &want))
            return true;
    }
    err_set(e, E_STATE, "the mined transaction carries no HashTimestamped event for %s %llu",
            kind_name(b->kind), (unsigned long long)b->seq);
    return false;
}

static bool receipt_has_event(const struct run *r, const struct store_batch *b,
                              const struct rpc_receipt *rc, struct err *e)
{
    return anchoring_ebsi_receipt_ok(r->cfg, &r->issuer, b, rc, e);
}

/*
 * What does the ledger say about our root? Returns E_OK with *ours true when
 * it is timestamped by us with this batch's record (adopted: the batch is
 * SENT with that transaction), *ours false when it is not timestamped; a
 * record by someone else, or with other data, FAILS the batch (E_STATE).
 */
static err_code look_on_ledger(const struct run *r, struct store_batch *b, bool *ours,
                               struct err *e)
{
    *ours = false;
    struct ebsi_record rec;
    err_code rc = ebsi_get_timestamp(r->cfg->ledger->rpc, &r->cfg->contract, &b->root, NULL, &rec,
                                     e);
    if (rc || !ebsi_record_exists(&rec))
        return rc;
    struct ebsi_data want = batch_data(b);
    char who[43], why[256];
    addr20_to_hex(&rec.from, who);
    if (!addr20_eq(&rec.from, &r->issuer)) {
        snprintf(why, sizeof why, "the root was already timestamped by %s in block %llu (first "
                                  "write wins): this issuer cannot anchor it in this contract",
                 who, (unsigned long long)rec.block_number);
        set_failed(r, b, why);
        return err_set(e, E_STATE, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq,
                       why);
    }
    if (!rec.has_data || !data_eq(&rec.data, &want)) {
        snprintf(why, sizeof why, "the root is timestamped by this issuer in block %llu, but with "
                                  "other record data than %s %llu of size %llu",
                 (unsigned long long)rec.block_number, ebsi_kind_name(want.kind),
                 (unsigned long long)want.seq, (unsigned long long)want.size);
        set_failed(r, b, why);
        return err_set(e, E_STATE, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq,
                       why);
    }
    /* Ours: find the event in that block to learn the transaction. */
    struct hash32 topic, from_topic = {{0}};
    ebsi_event_topic(&topic);
    memcpy(from_topic.b + 12, r->issuer.b, 20);
    char q[RPC_QTY_BUF];
    rpc_format_quantity(rec.block_number, q);
    struct rpc_log_filter f = {.address = &r->cfg->contract,
                               .topics = {&topic, &from_topic},
                               .ntopics = 2,
                               .from_block = q,
                               .to_block = q};
    struct rpc_log *logs;
    size_t n;
    if ((rc = rpc_get_logs(r->cfg->ledger->rpc, &f, &logs, &n, e)))
        return rc;
    struct hash32 txh;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        struct ebsi_event ev;
        if (!logs[i].removed && ebsi_parse_event(&logs[i], &ev, NULL) == E_OK &&
            hash32_eq(&ev.root, &b->root) && data_eq(&ev.data, &want)) {
            txh = logs[i].tx_hash;
            found = true;
        }
    }
    rpc_logs_free(logs, n);
    if (!found)
        return err_set(e, E_STATE, "the Timestamp contract says %s %llu's root was timestamped "
                                   "in block %llu, but no matching event is there",
                       kind_name(b->kind), (unsigned long long)b->seq,
                       (unsigned long long)rec.block_number);
    char hex[67];
    hash32_to_hex0x(&txh, hex);
    say(r, "%s %llu: already timestamped on the ledger by %s; adopting it", kind_name(b->kind),
        (unsigned long long)b->seq, hex);
    if ((rc = store_tx_record(r->s, b->kind, b->seq, 0, &txh, NULL, 0, e)))
        return rc;
    *ours = true;
    return store_batch_get(r->s, b->kind, b->seq, b, e);
}

/* CLOSED → SENT: look on the ledger, ask the API, check, sign, record. */
static err_code sign_and_record(struct run *r, struct store_batch *b, struct err *e)
{
    bool ours;
    err_code rc = look_on_ledger(r, b, &ours, e);
    if (rc || ours)
        return rc;
    if ((rc = api_open(r, e))) {
        note(r, b, e->msg);
        return rc;
    }
    struct ebsi_data d = batch_data(b);
    struct buf call = {0};
    if ((rc = ebsi_calldata(r->alg, &b->root, &d, &call, e)))
        return rc;
    struct ebsi_expect x = {.chain_id = r->cfg->ledger->chain_id,
                            .from = r->issuer,
                            .contract = r->cfg->contract,
                            .calldata = call.p,
                            .calldata_len = call.len};
    struct ebsi_prepared p;
    rc = ebsi_request_tx(r->api, &x, r->alg, &b->root, &d, &p, e);
    buf_free(&call);
    if (rc) {
        if (rc == E_NETWORK)
            note(r, b, "Timestamp API unreachable; nothing was signed");
        else
            note(r, b, e->msg);
        return rc;
    }
    struct buf raw = {0};
    struct hash32 txh;
    char key[96];
    rc = tx_sign(&p.tx, r->cfg->signer, &raw, &txh, NULL, e);
    /* Stored before it leaves this process: the unsigned JSON (to send the
     * same request again) and then the signed bytes, hash and nonce. */
    if (!rc) {
        unsigned_key(&txh, key);
        rc = store_meta_set(r->s, key, p.unsigned_json, e);
    }
    if (!rc)
        rc = store_tx_record(r->s, b->kind, b->seq, p.tx.nonce, &txh, raw.p, raw.len, e);
    buf_free(&raw);
    ebsi_prepared_free(&p);
    if (rc)
        return rc;
    fault_point("after-record");
    return store_batch_get(r->s, b->kind, b->seq, b, e);
}

/* The unsigned JSON of a stored transaction; rebuilt from the raw bytes if
 * its record is missing (the gateway re-serializes it: same bytes). */
static err_code stored_unsigned(const struct run *r, const struct hash32 *txh, const uint8_t *raw,
                                size_t len, char **out, struct err *e)
{
    char key[96];
    unsigned_key(txh, key);
    err_code rc = store_meta_get(r->s, key, out, e);
    if (rc != E_NOT_FOUND)
        return rc;
    struct tx t;
    struct eth_sig sig;
    struct addr20 from;
    if ((rc = tx_decode_signed(raw, len, r->cfg->ledger->chain_id, &t, &sig, e)))
        return rc;
    if ((rc = tx_recover_sender(&t, &sig, &from, e))) {
        tx_clear(&t);
        return rc;
    }
    json_t *j = ebsi_unsigned_json(&t, &from);
    tx_clear(&t);
    *out = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    return *out ? E_OK : err_set(e, E_NOMEM, "out of memory");
}

/* Send the stored transaction of a SENT batch (again) through the API.
 * *nothing: it was adopted from the ledger, there are no bytes to send. */
static err_code broadcast(struct run *r, struct store_batch *b, bool *nonce_used, bool *nothing,
                          struct err *e)
{
    *nonce_used = false;
    *nothing = false;
    uint8_t *raw;
    size_t len;
    err_code rc = store_tx_raw(r->s, &b->tx_hash, &raw, &len, e);
    if (rc)
        return rc;
    if (len == 0) { /* adopted from the ledger: nothing of ours to send */
        free(raw);
        *nothing = true;
        return E_OK;
    }
    char *uj = NULL;
    if ((rc = stored_unsigned(r, &b->tx_hash, raw, len, &uj, e)) || (rc = api_open(r, e))) {
        free(raw);
        free(uj);
        note(r, b, e->msg);
        return rc;
    }
    struct hash32 got;
    rc = ebsi_send(r->api, uj, raw, len, &got, e);
    free(raw);
    free(uj);
    if (rc == E_OK)
        fault_point("after-send");
    if (rc == E_PROTOCOL) {
        const struct rpc_error *re = ebsi_api_last_error(r->api);
        if (re->failure == RPC_FAIL_JSONRPC && re->reason == RPC_REASON_ALREADY_KNOWN) {
            err_clear(e);
            return E_OK;
        }
        if (re->failure == RPC_FAIL_JSONRPC && re->reason == RPC_REASON_NONCE_TOO_LOW) {
            err_clear(e);
            *nonce_used = true;
            return E_OK;
        }
        if (re->failure != RPC_FAIL_JSONRPC) {
            /* A garbled answer, or a hash that is not ours: the API may
             * have taken the transaction. Outcome unknown — look it up. */
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "%s", e->msg);
            note(r, b, "unusable answer from the Timestamp API; the signed transaction is "
                       "stored and will be looked up and resent");
            return err_set(e, E_NETWORK, "%s", msg);
        }
        char why[300];
        snprintf(why, sizeof why, "the Timestamp API rejected the signed transaction: %.200s",
                 e->msg);
        note(r, b, why);
        return err_set(e, E_PROTOCOL, "%s %llu: %s (it stays stored and is sent again by the "
                                      "next `notary anchor`)",
                       kind_name(b->kind), (unsigned long long)b->seq, why);
    }
    if (rc == E_NETWORK)
        note(r, b, "Timestamp API unreachable while sending; the signed transaction is stored "
                   "and will be looked up and resent");
    else if (rc)
        note(r, b, e->msg);
    return rc;
}

/* SENT: drive to ANCHORED, or back to CLOSED when our nonce went elsewhere. */
static err_code follow(struct run *r, struct store_batch *b, bool *done, struct err *e)
{
    *done = false;
    struct evm_tx_state st;
    err_code rc = evm_tx_state(r->cfg->ledger, &b->tx_hash, &st, e);
    if (rc)
        return rc;
    char hex[67];
    hash32_to_hex0x(&b->tx_hash, hex);
    switch (st.status) {
    case EVM_TX_UNKNOWN: {
        bool nonce_used, nothing;
        if ((rc = broadcast(r, b, &nonce_used, &nothing, e)))
            break;
        if (nothing || nonce_used) {
            /* nothing: the ledger no longer knows the transaction we adopted
             * (a reorg took it away) and we have no bytes of it. nonce_used:
             * someone used the nonce. Either way: is our timestamp there (by
             * some transaction)? Otherwise sign anew. */
            bool ours;
            if ((rc = look_on_ledger(r, b, &ours, e)))
                break;
            if (ours) {
                if (nonce_used)
                    say(r, "%s %llu: the nonce was used by the timestamp found on the ledger",
                        kind_name(b->kind), (unsigned long long)b->seq);
                break;
            }
            const char *why = nothing ? "the transaction adopted from the ledger is no longer "
                                        "there (reorg); re-signing"
                                      : "nonce taken by another transaction; re-signing";
            if (nothing)
                say(r, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq, why);
            else
                say(r, "%s %llu: nonce %llu was used by another transaction; asking the "
                       "Timestamp API for a new one",
                    kind_name(b->kind), (unsigned long long)b->seq, (unsigned long long)b->nonce);
            rc = store_batch_set_state(r->s, b->kind, b->seq, BATCH_CLOSED, why, e);
            b->state = BATCH_CLOSED;
            break;
        }
        note(r, b, "sent; waiting to be mined");
        break;
    }
    case EVM_TX_PENDING:
        note(r, b, "sent; waiting to be mined");
        break;
    case EVM_TX_REVERTED: {
        char why[256];
        snprintf(why, sizeof why, "transaction %s reverted in block %llu: the Timestamp "
                                  "contract refused it", hex, (unsigned long long)st.block_number);
        set_failed(r, b, why);
        rc = err_set(e, E_STATE, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq,
                     why);
        break;
    }
    case EVM_TX_MINED:
        if (!receipt_has_event(r, b, &st.receipt, e)) {
            set_failed(r, b, e->msg);
            rc = E_STATE;
            break;
        }
        rc = anchoring_settle_mined(r->s, r->cfg, b, &st, "timestamped", done, e);
        break;
    }
    evm_tx_state_free(&st);
    return rc;
}

static err_code ebsi_sign(void *ctx, struct store_batch *b, struct err *e)
{
    return sign_and_record(ctx, b, e);
}

static err_code ebsi_follow(void *ctx, struct store_batch *b, bool *done, struct err *e)
{
    return follow(ctx, b, done, e);
}

static const struct anchoring_flow EBSI_FLOW = {ebsi_sign, ebsi_follow, "signed"};

static err_code meta_alg(struct store *s, uint64_t *alg, struct err *e)
{
    *alg = EBSI_DEFAULT_HASH_ALG;
    char *v = NULL;
    err_code rc = store_meta_get(s, "hash_algorithm_id", &v, e);
    if (rc == E_NOT_FOUND) {
        err_clear(e);
        return E_OK;
    }
    if (rc)
        return rc;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    rc = (errno || *end || end == v)
             ? err_set(e, E_STATE, "setting hash_algorithm_id is not a number: %s", v)
             : E_OK;
    *alg = x;
    free(v);
    return rc;
}

err_code anchoring_ebsi_run(struct store *s, const struct anchoring_cfg *cfg, enum batch_kind kind,
                            struct anchoring_report *rep, struct err *e)
{
    memset(rep, 0, sizeof *rep);
    struct run r = {.s = s, .cfg = cfg};
    signer_address(cfg->signer, &r.issuer);
    r.deadline = time(NULL) + (cfg->timeout_s ? cfg->timeout_s : 300);
    err_code rc = store_lock_writer(s, e);
    if (rc)
        return rc;
    struct store_batch *list;
    size_t n;
    if ((rc = meta_alg(s, &r.alg, e)))
        return rc;
    struct err re = {0};
    err_code rrc = anchoring_recheck_soft(s, cfg, kind, &r.issuer, rep, &re);
    if ((rc = store_batch_list(s, kind, &list, &n, e))) {
        anchoring_count_waiting(s, kind, rep);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        struct store_batch *b = &list[i];
        if (b->state == BATCH_FAILED) {
            rc = err_set(e, E_STATE, "%s %llu failed earlier: %s (once the cause is fixed, "
                                     "`notary anchor --retry-failed` tries it again)",
                         kind_name(kind), (unsigned long long)b->seq, b->last_error);
            break; /* keep the issuer's history in order */
        }
        if (b->state != BATCH_CLOSED && b->state != BATCH_SENT)
            continue;
        if (!b->has_root) {
            rc = err_set(e, E_STATE, "%s %llu has no root yet", kind_name(kind),
                         (unsigned long long)b->seq);
            break;
        }
        bool done;
        rc = anchoring_drive(cfg, &EBSI_FLOW, &r, r.deadline, b, &done, e);
        enum rpc_failure lf = rpc_last_error(cfg->ledger->rpc)->failure;
        if (rc == E_PROTOCOL && (lf == RPC_FAIL_MALFORMED || lf == RPC_FAIL_RESULT)) {
            /* an unusable ledger answer says nothing about the batch (as in
             * notary/anchoring/anchoring.c): pending, run again */
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "%s", e->msg);
            rc = err_set(e, E_NETWORK, "%s", msg);
        }
        if (rc == E_NETWORK)
            note(&r, b, e->msg);
        /* A refused token or transaction leaves the batch pending; the
         * summary counts what the store says (anchoring_count_waiting). */
        if (rc || !done)
            break;
        rep->anchored++;
    }
    free(list);
    anchoring_count_waiting(s, kind, rep);
    if (!rc && rrc)
        rc = err_set(e, rrc, "%s", re.msg);
    ebsi_api_free(r.api);
    return rc;
}

err_code anchoring_ebsi_check_contract(struct evm_ledger *l, const struct addr20 *contract,
                                       bool *committed, struct err *e)
{
    *committed = false;
    uint8_t *code;
    size_t len;
    char ad[43];
    addr20_to_hex(contract, ad);
    err_code rc = rpc_get_code(l->rpc, contract, "latest", &code, &len, e);
    if (rc)
        return rc;
    free(code);
    if (len == 0)
        return err_set(e, E_STATE, "there is no contract at %s on this ledger: give the address "
                                   "of the Timestamp contract (--timestamp-contract)",
                       ad);
    return ebsi_code_matches(l->rpc, contract, committed, e);
}

err_code anchoring_ebsi_configure(struct store *s, const char *api_url, const char *token_file,
                                  const char *hash_alg, struct err *e)
{
    if (strncmp(api_url, "http://", 7) != 0 && strncmp(api_url, "https://", 8) != 0)
        return err_set(e, E_INVALID, "--timestamp-api must be an http:// or https:// URL");
    if (hash_alg) {
        char *end;
        errno = 0;
        unsigned long long x = strtoull(hash_alg, &end, 10);
        if (errno || *end || end == hash_alg || hash_alg[0] == '-' || x > 0xffffffffull)
            return err_set(e, E_INVALID, "--hash-algorithm-id %s: give a small number", hash_alg);
    }
    err_code rc;
    char *abs = NULL;
    if (token_file) {
        char *token;
        if ((rc = ebsi_token_read(token_file, &token, e)))
            return rc;
        ebsi_token_free(token);
        if (!(abs = realpath(token_file, NULL)))
            return err_set(e, E_IO, "%s: %s", token_file, strerror(errno));
    }
    rc = store_meta_set(s, "timestamp_api", api_url, e);
    if (!rc && abs)
        rc = store_meta_set(s, "token_file", abs, e);
    if (!rc && hash_alg)
        rc = store_meta_set(s, "hash_algorithm_id", hash_alg, e);
    free(abs);
    return rc;
}
