/*
 * notary/anchoring/anchoring_ebsi.c — the "ebsi" ledger flow (flow.h;
 * anchoring_ebsi.h says what it guarantees): EBSI's Timestamp API builds
 * the transaction and takes it back signed; the ledger API answers
 * receipts, logs and eth_call. The driver (anchoring.c) calls this table;
 * nothing here calls the driver.
 */
#include "notary/anchoring/anchoring_ebsi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/ebsi.h"
#include "anchor/ebsi_auth.h"
#include "anchor/eth.h"
#include "anchor/tx.h"
#include "notary/anchoring/ebsi_token.h"
#include "notary/anchoring/flow.h"

/* The flow's state for one run (anchoring_ctx.flow). */
struct ebsi_state {
    uint64_t alg;
    struct ebsi_api *api; /* created when first needed (needs the token) */
    bool from_did;        /* the token came from the DID (ebsi_token.h) ... */
    bool renewed;         /* ... and was renewed after a 401 in this run */
};

#define say(c, ...) anchoring_say((c)->cfg, __VA_ARGS__)
#define kind_name anchoring_kind_name

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

/* Connect to the Timestamp API with the token (env, else the token file,
 * else one from the DID). */
static err_code api_open(struct anchoring_ctx *c, struct err *e)
{
    struct ebsi_state *st = c->flow;
    if (st->api)
        return E_OK;
    char *url = NULL, *file = NULL, *token = NULL;
    err_code rc = store_meta_get(c->s, "timestamp_api", &url, e);
    if (rc)
        return rc == E_NOT_FOUND ? err_set(e, E_STATE, "this notary has no Timestamp API URL "
                                                       "(setting timestamp_api)")
                                 : rc;
    const char *env = getenv(ANCHORING_EBSI_TOKEN_ENV);
    if (env && *env) {
        token = strdup(env);
        if (!token)
            rc = err_set(e, E_NOMEM, "out of memory");
    } else if (store_meta_get(c->s, "token_file", &file, NULL) == E_OK) {
        rc = ebsi_token_read(file, &token, e);
        if (rc == E_NOT_FOUND)
            rc = err_set(e, E_STATE, "no EBSI access token: the token file %s is missing; put a "
                                     "token with the timestamp_write scope there or set %s",
                         file, ANCHORING_EBSI_TOKEN_ENV);
    } else if ((rc = ebsi_token_from_did(c->s, false, &token, e)) == E_NOT_FOUND) {
        rc = err_set(e, E_STATE, "no EBSI access token: configure the DID (notary init --did "
                                 "--vp-key), a token file (--token-file) or set %s",
                     ANCHORING_EBSI_TOKEN_ENV);
    } else {
        st->from_did = true;
    }
    if (!rc) {
        struct rpc_options o = {.url = url, .bearer_token = token, .max_attempts = 3};
        rc = ebsi_api_new(&o, &st->api, e);
    }
    ebsi_token_free(token);
    free(url);
    free(file);
    return rc;
}

/* The Timestamp API refused the token with HTTP 401: one from the DID is
 * renewed once per run (true: st->api is open again with a fresh token). */
static bool renew_token(struct anchoring_ctx *c, struct err *e)
{
    struct ebsi_state *st = c->flow;
    if (!st->from_did || st->renewed || ebsi_api_last_error(st->api)->http_status != 401)
        return false;
    st->renewed = true;
    ebsi_api_free(st->api);
    st->api = NULL;
    char *token = NULL;
    err_code rc = ebsi_token_from_did(c->s, true, &token, e);
    ebsi_auth_secret_free(token);
    return rc == E_OK && api_open(c, e) == E_OK;
}

static err_code refused_again(struct err *e)
{
    char was[200];
    snprintf(was, sizeof was, "%.199s", e->msg);
    return err_set(e, E_STATE, "the Timestamp API refused a token just renewed from the DID as "
                               "well (%.120s...): the DID's token does not allow timestamp_write "
                               "here; check the Authorisation API (setting ebsi_auth_api)",
                   was);
}

/* Is the log a TimestampedHashes event of the contract for exactly this
 * batch (root and record)? The event does not name its sender: `issuer` is
 * checked by the callers — a receipt is of a transaction the issuer signed,
 * and ebsi_look reads the sender of the transaction it finds. */
static bool ebsi_log_ours(const struct anchoring_cfg *cfg, const struct addr20 *issuer,
                          const struct store_batch *b, const struct rpc_log *log)
{
    (void)issuer;
    struct ebsi_data want = batch_data(b);
    struct ebsi_event ev;
    return !log->removed && addr20_eq(&log->address, &cfg->contract) &&
           ebsi_parse_event(log, &ev, NULL) == E_OK && hash32_eq(&ev.root, &b->root) &&
           data_eq(&ev.data, &want);
}

/* In block `block`, the transaction of the issuer whose TimestampedHashes
 * event is this batch's: the events of that block (topic0 only: nothing is
 * indexed), then the sender of each candidate's transaction. */
static err_code find_own_tx(struct anchoring_ctx *c, const struct store_batch *b, uint64_t block,
                            bool *found, struct hash32 *txh, struct err *e)
{
    *found = false;
    struct hash32 topic;
    ebsi_event_topic(&topic);
    char q[RPC_QTY_BUF];
    rpc_format_quantity(block, q);
    struct rpc_log_filter f = {.address = &c->cfg->contract,
                               .topics = {&topic},
                               .ntopics = 1,
                               .from_block = q,
                               .to_block = q};
    struct rpc_log *logs;
    size_t n;
    err_code rc = rpc_get_logs(c->cfg->ledger->rpc, &f, &logs, &n, e);
    if (rc)
        return rc;
    for (size_t i = 0; i < n && !*found && !rc; i++) {
        if (!ebsi_log_ours(c->cfg, &c->issuer, b, &logs[i]))
            continue;
        struct rpc_tx tx;
        if ((rc = rpc_get_transaction(c->cfg->ledger->rpc, &logs[i].tx_hash, &tx, e)))
            break;
        if (addr20_eq(&tx.from, &c->issuer)) {
            *txh = logs[i].tx_hash;
            *found = true;
        }
        rpc_tx_free(&tx);
    }
    rpc_logs_free(logs, n);
    return rc;
}

/*
 * What does the ledger say about our root? getTimestamp's timestampedBy is
 * the first writer. *found with the transaction when it is timestamped by us
 * with this batch's record (the driver adopts it); not found when it is not
 * timestamped (the contract reverts "timestamp unknown": not an error); a record by someone else, or with
 * other data, FAILS the batch (E_STATE, out->fail).
 */
static err_code ebsi_look(struct anchoring_ctx *c, const struct store_batch *b, bool *found,
                          struct hash32 *txh, struct anchoring_out *out, struct err *e)
{
    *found = false;
    struct ebsi_record rec;
    err_code rc = ebsi_get_timestamp(c->cfg->ledger->rpc, &c->cfg->contract, &b->root, NULL, &rec,
                                     e);
    if (rc || !ebsi_record_exists(&rec))
        return rc;
    struct ebsi_data want = batch_data(b);
    char who[43];
    addr20_to_hex(&rec.from, who);
    if (!addr20_eq(&rec.from, &c->issuer))
        anchoring_out_note(out, "the root was already timestamped by %s in block %llu (first "
                                "write wins): this issuer cannot anchor it in this contract",
                           who, (unsigned long long)rec.block_number);
    else if (!rec.has_data || !data_eq(&rec.data, &want))
        anchoring_out_note(out, "the root is timestamped by this issuer in block %llu, but with "
                                "other record data than %s %llu of size %llu",
                           (unsigned long long)rec.block_number, ebsi_kind_name(want.kind),
                           (unsigned long long)want.seq, (unsigned long long)want.size);
    if (out->note[0]) {
        out->fail = true;
        return err_set(e, E_STATE, "%s %llu: %s", kind_name(b->kind), (unsigned long long)b->seq,
                       out->note);
    }
    /* Ours: find the issuer's transaction in that block. */
    if ((rc = find_own_tx(c, b, rec.block_number, found, txh, e)))
        return rc;
    if (!*found)
        return err_set(e, E_STATE, "the Timestamp contract says %s %llu's root was timestamped "
                                   "in block %llu, but no matching event is there",
                       kind_name(b->kind), (unsigned long long)b->seq,
                       (unsigned long long)rec.block_number);
    return E_OK;
}

/* CLOSED, not on the ledger: ask the API, check, sign, record. */
static err_code ebsi_sign(struct anchoring_ctx *c, const struct store_batch *b, bool *recorded,
                          struct anchoring_out *out, struct err *e)
{
    *recorded = false;
    struct ebsi_state *st = c->flow;
    err_code rc = api_open(c, e);
    if (rc) {
        anchoring_out_note(out, "%s", e->msg);
        return rc;
    }
    struct ebsi_data d = batch_data(b);
    struct buf call = {0};
    if ((rc = ebsi_calldata(st->alg, &b->root, &d, &call, e)))
        return rc;
    struct ebsi_expect x = {.chain_id = c->cfg->ledger->chain_id,
                            .from = c->issuer,
                            .contract = c->cfg->contract,
                            .calldata = call.p,
                            .calldata_len = call.len};
    struct ebsi_prepared p;
    rc = ebsi_request_tx(st->api, &x, st->alg, &b->root, &d, &p, e);
    if (rc == E_STATE && renew_token(c, e) &&
        (rc = ebsi_request_tx(st->api, &x, st->alg, &b->root, &d, &p, e)) == E_STATE)
        rc = refused_again(e);
    buf_free(&call);
    if (rc) {
        anchoring_out_note(out, "%s", rc == E_NETWORK
                                          ? "Timestamp API unreachable; nothing was signed"
                                          : e->msg);
        return rc;
    }
    struct buf raw = {0};
    struct hash32 txh;
    char key[96];
    rc = tx_sign(&p.tx, c->cfg->signer, &raw, &txh, NULL, e);
    /* Stored before it leaves this process: the unsigned JSON (to send the
     * same request again) and then the signed bytes, hash and nonce. */
    if (!rc) {
        unsigned_key(&txh, key);
        rc = store_meta_set(c->s, key, p.unsigned_json, e);
    }
    if (!rc)
        rc = store_tx_record(c->s, b->kind, b->seq, p.tx.nonce, &txh, raw.p, raw.len, e);
    buf_free(&raw);
    ebsi_prepared_free(&p);
    *recorded = rc == E_OK;
    return rc;
}

/* The unsigned JSON of a stored transaction; rebuilt from the raw bytes if
 * its record is missing (the gateway re-serializes it: same bytes). */
static err_code stored_unsigned(const struct anchoring_ctx *c, const struct hash32 *txh,
                                const uint8_t *raw, size_t len, char **out, struct err *e)
{
    char key[96];
    unsigned_key(txh, key);
    err_code rc = store_meta_get(c->s, key, out, e);
    if (rc != E_NOT_FOUND)
        return rc;
    struct tx t;
    struct eth_sig sig;
    struct addr20 from;
    if ((rc = tx_decode_signed(raw, len, c->cfg->ledger->chain_id, &t, &sig, e)))
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

/* Send the stored transaction of a SENT batch (again) through the API. */
static err_code ebsi_broadcast(struct anchoring_ctx *c, const struct store_batch *b,
                               const uint8_t *raw, size_t len, enum anchoring_sent *sent,
                               struct anchoring_out *out, struct err *e)
{
    *sent = ANCHORING_SENT_OK;
    struct ebsi_state *st = c->flow;
    char *uj = NULL;
    err_code rc;
    if ((rc = stored_unsigned(c, &b->tx_hash, raw, len, &uj, e)) || (rc = api_open(c, e))) {
        free(uj);
        anchoring_out_note(out, "%s", e->msg);
        return rc;
    }
    struct hash32 got;
    rc = ebsi_send(st->api, uj, raw, len, &got, e);
    if (rc == E_STATE && renew_token(c, e) &&
        (rc = ebsi_send(st->api, uj, raw, len, &got, e)) == E_STATE)
        rc = refused_again(e);
    free(uj);
    if (rc == E_OK)
        anchoring_fault_point("after-send");
    if (rc == E_PROTOCOL) {
        const struct rpc_error *re = ebsi_api_last_error(st->api);
        if (re->failure == RPC_FAIL_JSONRPC && re->reason == RPC_REASON_ALREADY_KNOWN) {
            err_clear(e);
            return E_OK;
        }
        if (re->failure == RPC_FAIL_JSONRPC && re->reason == RPC_REASON_NONCE_TOO_LOW) {
            err_clear(e);
            *sent = ANCHORING_SENT_NONCE_USED;
            return E_OK;
        }
        if (re->failure != RPC_FAIL_JSONRPC) {
            /* A garbled answer, or a hash that is not ours: the API may
             * have taken the transaction. Outcome unknown — look it up. */
            char msg[sizeof e->msg];
            snprintf(msg, sizeof msg, "%s", e->msg);
            anchoring_out_note(out, "unusable answer from the Timestamp API; the signed "
                                    "transaction is stored and will be looked up and resent");
            return err_set(e, E_NETWORK, "%s", msg);
        }
        if (strstr(re->message, "is not controlled by the address")) {
            /* EBSI's checkController refusal (jsonrpc.service.ts
             * verifyEthereumAddress): the signer does not control the DID
             * of the token. Say what to do. */
            anchoring_out_note(out, "the Timestamp API refused the transaction: \"%.200s\": the "
                                    "transaction key is not a controller of the DID; register its "
                                    "public key (printed by `notary init`) as a secp256k1 "
                                    "capabilityInvocation method of the DID (docs/ebsi.md, "
                                    "Onboarding), then run `notary anchor`",
                               re->message);
            return err_set(e, E_PROTOCOL, "%s %llu: %s (nothing was written to the ledger; the "
                                          "signed transaction stays stored)",
                           kind_name(b->kind), (unsigned long long)b->seq, out->note);
        }
        anchoring_out_note(out, "the Timestamp API rejected the signed transaction: %.200s",
                           e->msg);
        return err_set(e, E_PROTOCOL, "%s %llu: %s (it stays stored and is sent again by the "
                                      "next `notary anchor`)",
                       kind_name(b->kind), (unsigned long long)b->seq, out->note);
    }
    if (rc == E_NETWORK)
        anchoring_out_note(out, "Timestamp API unreachable while sending; the signed transaction "
                                "is stored and will be looked up and resent");
    else if (rc)
        anchoring_out_note(out, "%s", e->msg);
    return rc;
}

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


static err_code ebsi_open(struct anchoring_ctx *c, struct err *e)
{
    struct ebsi_state *st = calloc(1, sizeof *st);
    if (!st)
        return err_set(e, E_NOMEM, "out of memory");
    err_code rc = meta_alg(c->s, &st->alg, e);
    if (rc) {
        free(st);
        return rc;
    }
    c->flow = st;
    return E_OK;
}

static void ebsi_close(struct anchoring_ctx *c)
{
    struct ebsi_state *st = c->flow;
    if (st)
        ebsi_api_free(st->api);
    free(st);
    c->flow = NULL;
}

const struct anchoring_flow anchoring_ebsi_flow = {
    .name = "ebsi",
    .signed_as = "signed",
    .mined_as = "timestamped",
    .found_as = "timestamp",
    .refused_by = "the Timestamp contract refused it",
    .open = ebsi_open,
    .close = ebsi_close,
    .look = ebsi_look,
    .sign = ebsi_sign,
    .broadcast = ebsi_broadcast,
    .log_ours = ebsi_log_ours,
    .event = "TimestampedHashes",
};

err_code anchoring_ebsi_check_contract(struct evm_ledger *l, const struct addr20 *contract,
                                       bool *committed, struct err *e)
{
    *committed = false;
    err_code rc = rpc_require_code(l->rpc, contract,
                                   "give the address of the Timestamp contract "
                                   "(--timestamp-contract)",
                                   e);
    if (rc)
        return rc;
    return ebsi_code_matches(l->rpc, contract, committed, e);
}

/* The --hash-algorithm-id text (NULL: the default) as a number. */
static err_code hash_alg_id(const char *hash_alg, uint64_t *id, struct err *e)
{
    *id = EBSI_DEFAULT_HASH_ALG;
    if (!hash_alg)
        return E_OK;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(hash_alg, &end, 10);
    if (errno || *end || end == hash_alg || hash_alg[0] < '0' || hash_alg[0] > '9' ||
        x > 0xffffffffull)
        return err_set(e, E_INVALID, "--hash-algorithm-id %.40s: give a small number", hash_alg);
    *id = x;
    return E_OK;
}

err_code anchoring_ebsi_confirm_hash_algorithm(const char *api_url, const char *hash_alg,
                                               uint64_t *id, struct ebsi_alg *out, struct err *e)
{
    err_code rc = hash_alg_id(hash_alg, id, e);
    return rc ? rc : ebsi_alg_confirm(api_url, *id, 0, out, e);
}

err_code anchoring_ebsi_configure(struct store *s, const char *api_url, const char *token_file,
                                  const char *hash_alg, struct err *e)
{
    if (strncmp(api_url, "http://", 7) != 0 && strncmp(api_url, "https://", 8) != 0)
        return err_set(e, E_INVALID, "--timestamp-api must be an http:// or https:// URL");
    uint64_t id;
    err_code rc = hash_alg_id(hash_alg, &id, e);
    if (rc)
        return rc;
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
