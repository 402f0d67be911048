/*
 * verifier/audit.c — the auditor; see audit.h and docs/revocation-format.md.
 *
 * Everything is derived from the ledger (evm: the registry's Anchored
 * events, its nextSeq counters and code; ebsi: the issuer's TimestampedHashes (sender read from each transaction)
 * records on the pinned Timestamp contract) and, when given, one copy of the
 * revocation log; the copy is judged by vrev_analyse(), the same code
 * `verifier verify` uses, so a verifier and an auditor cannot disagree on
 * what a copy proves.
 */
#include "verifier/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "anchor/ebsi.h"
#include "anchor/eth.h"
#include "anchor/registry.h"
#include "anchor/registry2.h"
#include "verifier/report.h"

void audit_report_free(struct audit_report *r)
{
    free(r->anchors);
    free(r->keys);
    free(r->key_events);
    revlog_free(&r->copy);
    vrev_findings_free(&r->findings);
    memset(r, 0, sizeof *r);
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Sequence numbers of `kind` must be exactly 0..count-1, each once. */
static err_code check_seqs(struct audit_report *r, enum registry_kind kind, struct err *e)
{
    uint64_t *s = malloc((r->n_anchors ? r->n_anchors : 1) * sizeof *s);
    if (!s)
        return err_set(e, E_NOMEM, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < r->n_anchors; i++)
        if (r->anchors[i].ev.kind == kind)
            s[n++] = r->anchors[i].ev.seq;
    qsort(s, n, sizeof *s, cmp_u64);
    uint64_t count = r->count[kind];
    err_code rc = E_OK;
    const char *what = kind == REGISTRY_KIND_CHECKPOINT ? "checkpoint" : "batch";
    const bool ebsi = r->ledger == BUNDLE_LEDGER_EBSI;
    for (size_t i = 1; i < n && !rc; i++)
        if (s[i] == s[i - 1])
            rc = vrev_finding_add(&r->findings, "seq-repeat", true,
                                  "%s sequence number %" PRIu64 " appears twice: %s",
                                  what, s[i],
                                  ebsi ? "the Timestamp contract does not refuse repeats, so the "
                                        "issuer anchored two records with one number (two "
                                        "histories)"
                                      : "the registry refuses repeats, so these events are not "
                                        "genuine");
    /* The missing numbers in [first expected, count). */
    uint64_t expect = 0, missing = 0, first_missing = 0;
    bool partial = r->from_block > 0;
    if (partial && n)
        expect = s[0]; /* earlier ones may lie before --from-block */
    for (size_t i = 0; i <= n && !rc; i++) {
        uint64_t next = i < n ? s[i] : count;
        if (i < n && s[i] >= count) {
            rc = vrev_finding_add(&r->findings, "seq-gap", true,
                                  "%s %" PRIu64 " is listed but the registry counts only %" PRIu64,
                                  what, s[i], count);
            break;
        }
        if (next > expect) {
            if (!missing)
                first_missing = expect;
            missing += next - expect;
        }
        if (i < n && s[i] + 1 > expect)
            expect = s[i] + 1;
    }
    if (!rc && missing)
        rc = vrev_finding_add(&r->findings, "seq-gap", true,
                              "%" PRIu64 " %s sequence number%s missing from the events (first: %"
                              PRIu64 "); %s %" PRIu64 ": %sthe node withholds events, or they "
                              "lie outside the scanned blocks",
                              missing, what, missing == 1 ? " is" : "s are", first_missing,
                              ebsi ? "the highest is" : "the registry counts",
                              ebsi ? count - 1 : count,
                              ebsi ? "the issuer skipped a number, " : "");
    if (!rc && partial && n && s[0] > 0)
        rc = vrev_finding_add(&r->findings, "partial-range", false,
                              "%ss 0..%" PRIu64 " lie before block %" PRIu64 " and were not listed",
                              what, s[0] - 1, r->from_block);
    free(s);
    return rc;
}

/* A checkpoint the copy lists that is not the issuer's on the ledger:
 * whose is it? */
static err_code check_copy_checkpoints(struct audit_report *r, struct vrev_ledger *l,
                                       struct err *e)
{
    err_code rc = E_OK;
    for (size_t i = 0; i < r->copy.n_checkpoints && !rc; i++) {
        const struct revlog_checkpoint *c = &r->copy.checkpoints[i];
        bool on_ledger = false;
        for (size_t k = 0; k < r->n_anchors && !on_ledger; k++) {
            const struct registry_event *ev = &r->anchors[k].ev;
            on_ledger = ev->kind == REGISTRY_KIND_CHECKPOINT && ev->seq == c->seq &&
                        ev->size == c->size && hash32_eq(&ev->root, &c->root);
        }
        if (on_ledger)
            continue;
        char root[65], tx[67], who[43];
        hash32_to_hex(&c->root, root);
        hash32_to_hex0x(&c->tx_hash, tx);
        struct rpc_receipt rcpt;
        bool foreign = false;
        err_code gr = E_NOT_FOUND;
        if (r->ledger == BUNDLE_LEDGER_EBSI) {
            /* First write wins: the contract's record says whose root it is. */
            struct vrev_record rec;
            if ((gr = vrev_ledger_record(l, &c->root, &rec, e)))
                return gr;
            foreign = rec.other;
            if (foreign)
                addr20_to_hex(&rec.by, who);
        } else if ((gr = rpc_get_receipt(l->rpc, &c->tx_hash, &rcpt, e)) == E_OK) {
            for (size_t j = 0; j < rcpt.nlogs && !foreign; j++) {
                struct registry_event ev;
                if (addr20_eq(&rcpt.logs[j].address, &r->contract) &&
                    registry_parse_event(&rcpt.logs[j], &ev, NULL) == E_OK &&
                    hash32_eq(&ev.root, &c->root) && !addr20_eq(&ev.issuer, &r->issuer)) {
                    foreign = true;
                    addr20_to_hex(&ev.issuer, who);
                }
            }
            rpc_receipt_free(&rcpt);
        } else if (gr != E_NOT_FOUND) {
            return gr;
        }
        err_clear(e);
        if (foreign)
            rc = vrev_finding_add(&r->findings, "foreign-checkpoint", true,
                                  "the copy lists checkpoint %" PRIu64 " (root %.16s…, tx "
                                  "%.18s…) but it was anchored by %s, not by the issuer: it "
                                  "proves nothing about the issuer's log",
                                  c->seq, root, tx, who);
        else
            rc = vrev_finding_add(&r->findings, "checkpoint-not-on-ledger", true,
                                  "the copy lists checkpoint %" PRIu64 " (size %" PRIu64
                                  ", root %.16s…) that the issuer never anchored",
                                  c->seq, c->size, root);
    }
    return rc;
}

err_code audit_run(const struct audit_opts *o, struct audit_report *r, struct err *e)
{
    memset(r, 0, sizeof *r);
    r->issuer = o->issuer;
    r->ledger = o->have_ledger ? o->ledger : BUNDLE_LEDGER_EVM;
    r->from_block = o->from_block;
    r->source = o->source;
    err_code rc;
    struct err le = {0};
    if (o->source) {
        rc = vrev_load(o->source, o->timeout_ms, 0, &r->copy, &le);
        if (rc == E_OK) {
            r->have_copy = true;
        } else if (rc == E_NETWORK || rc == E_IO || rc == E_NOT_FOUND) {
            r->incomplete = true;
            if ((rc = vrev_finding_add(&r->findings, "log-unavailable", false,
                                       "the log copy could not be read (%s): consistency of the "
                                       "checkpoints was not checked",
                                       le.msg)))
                return err_set(e, E_NOMEM, "out of memory");
        } else if ((rc = vrev_finding_add(&r->findings, "log-unusable", true,
                                          "the log copy is not a valid revocation log: %s",
                                          le.msg))) {
            return err_set(e, E_NOMEM, "out of memory");
        }
    }
    if (!o->have_ledger && r->have_copy)
        r->ledger = r->copy.ledger;
    const bool ebsi = r->ledger == BUNDLE_LEDGER_EBSI;
    if (ebsi && !o->have_contract)
        return err_set(e, E_INVALID, "an ebsi audit needs --contract ADDR: EBSI's published "
                                     "Timestamp contract (any contract can emit look-alike "
                                     "TimestampedHashes events, so the auditor pins it)");
    if (o->have_contract)
        r->contract = o->contract;
    else if (r->have_copy)
        r->contract = r->copy.contract;
    else
        return err_set(e, E_INVALID, "no registry contract: give --contract ADDR (or a usable "
                                     "--revocations copy, which names it)");
    struct rpc_options ro = {.url = o->rpc_url, .bearer_token = o->bearer_token,
                             .timeout_ms = o->timeout_ms, .max_attempts = o->max_attempts};
    struct vrev_ledger l;
    if ((rc = vrev_ledger_open(&l, r->ledger, &ro, &r->contract, &r->issuer, o->confirmations,
                               o->window, e)))
        return rc;
    r->chain_id = l.chain_id;
    r->head = l.head;
    char ad[43];
    addr20_to_hex(&r->contract, ad);
    if (ebsi) {
        /* EBSI's contract is EBSI's code, not ours: the address is pinned;
         * there must be a contract there, and with --timestamp-code exactly
         * the committed one (a local EBSI-style ledger). */
        uint8_t *code = NULL;
        size_t clen = 0;
        char q[RPC_QTY_BUF];
        if ((rc = rpc_get_code(l.rpc, &r->contract, rpc_format_quantity(l.head, q), &code, &clen,
                               e)))
            goto out;
        free(code);
        r->registry_ok = clen > 0;
        if (r->registry_ok && o->timestamp_code &&
            (rc = ebsi_code_matches(l.rpc, &r->contract, &r->registry_ok, e)))
            goto out;
        if (!r->registry_ok) {
            rc = vrev_finding_add(&r->findings, "contract-not-timestamp", true,
                                  "%s %s: its events prove nothing", ad,
                                  clen == 0 ? "holds no contract"
                                           : "does not run the committed Timestamp code");
            goto out;
        }
    } else if ((r->v2 = r->registry_ok = l.v2)) {
        /* NotaryRegistry2 (vrev_ledger_open told it by the code) */
    } else if ((rc = registry_code_matches(l.rpc, &r->contract, &r->registry_ok, e))) {
        goto out;
    }
    if (!r->registry_ok) {
        rc = vrev_finding_add(&r->findings, "contract-not-registry", true,
                              "%s runs neither the NotaryRegistry nor the NotaryRegistry2 code: "
                              "its events prove nothing",
                              ad);
        goto out;
    }
    if (r->have_copy && (!addr20_eq(&r->copy.issuer, &r->issuer) ||
                         !addr20_eq(&r->copy.contract, &r->contract) ||
                         r->copy.chain_id != r->chain_id || r->copy.ledger != r->ledger)) {
        char ci[43], cc[43];
        addr20_to_hex(&r->copy.issuer, ci);
        addr20_to_hex(&r->copy.contract, cc);
        rc = vrev_finding_add(&r->findings, "log-other-issuer", true,
                              "the log copy is of issuer %s, contract %s, chain %" PRIu64
                              ", ledger %s: not of this issuer on this %s",
                              ci, cc, r->copy.chain_id, bundle_ledger_name(r->copy.ledger),
                              ebsi ? "Timestamp contract" : "registry");
        revlog_free(&r->copy);
        r->have_copy = false;
        if (rc)
            goto out;
    }
    char q[RPC_QTY_BUF];
    rpc_format_quantity(l.head, q);
    /* v2: the registry's own counters (every anchor, counting or not: the
     * sequence is the contract's; the key rule is a finding of its own) */
    if ((r->v2 && ((rc = registry2_next_seq(l.rpc, &r->contract, &r->issuer, REGISTRY_KIND_BATCH,
                                            q, &r->count[0], e)) ||
                   (rc = registry2_next_seq(l.rpc, &r->contract, &r->issuer,
                                            REGISTRY_KIND_CHECKPOINT, q, &r->count[1], e)))) ||
        (!ebsi && !r->v2 && (rc = vrev_ledger_count(&l, REGISTRY_KIND_BATCH, &r->count[0], e))) ||
        (!ebsi && !r->v2 &&
         (rc = vrev_ledger_count(&l, REGISTRY_KIND_CHECKPOINT, &r->count[1], e))) ||
        (rc = vrev_ledger_anchors(&l, o->from_block, l.head, &r->anchors, &r->n_anchors, e)) ||
        (rc = audit_keys_load(r, &l, e)))
        goto out;
    /* ebsi: no counter on the contract; the events claim 0..highest. */
    for (size_t i = 0; ebsi && i < r->n_anchors; i++) {
        const struct registry_event *ev = &r->anchors[i].ev;
        if (ev->seq + 1 > r->count[ev->kind])
            r->count[ev->kind] = ev->seq + 1;
    }
    if ((rc = check_seqs(r, REGISTRY_KIND_BATCH, e)) ||
        (rc = check_seqs(r, REGISTRY_KIND_CHECKPOINT, e)))
        goto out;
    /* The ledger's checkpoints in seq order (chain order is seq order for
     * genuine events; sort anyway). */
    size_t ncp = 0;
    struct vrev_checkpoint *cps = malloc((r->n_anchors ? r->n_anchors : 1) * sizeof *cps);
    if (!cps) {
        rc = err_set(e, E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r->n_anchors; i++) {
        const struct vrev_anchor *a = &r->anchors[i];
        if (a->ev.kind != REGISTRY_KIND_CHECKPOINT)
            continue;
        size_t k = ncp++;
        while (k > 0 && cps[k - 1].seq > a->ev.seq) {
            cps[k] = cps[k - 1];
            k--;
        }
        cps[k] = (struct vrev_checkpoint){.seq = a->ev.seq, .size = a->ev.size,
                                         .root = a->ev.root,
                                         .block_number = a->ev.block_number,
                                         .block_time = a->block_time, .tx_hash = a->ev.tx_hash};
    }
    if (ncp == 0)
        rc = vrev_finding_add(&r->findings, "no-checkpoints", false,
                              "the issuer has anchored no revocation checkpoint%s",
                              r->have_copy && r->copy.n_entries
                                 ? ": the copy's entries are all unanchored"
                                 : "");
    else if (r->have_copy)
        rc = vrev_analyse(&r->copy, cps, ncp, &r->findings, &r->copy_matches, e);
    else if (!o->source)
        rc = vrev_finding_add(&r->findings, "no-log-copy", false,
                              "no copy of the revocation log was given (--revocations): the "
                              "consistency of the %zu checkpoints was not checked",
                              ncp);
    free(cps);
    if (!rc && r->have_copy)
        rc = check_copy_checkpoints(r, &l, e);
out:
    vrev_ledger_close(&l);
    for (size_t i = 0; i < r->findings.n; i++)
        r->anomalies += r->findings.v[i].anomaly;
    if (rc == E_NOMEM && e && e->code != E_NOMEM)
        err_set(e, E_NOMEM, "out of memory");
    return rc;
}

/* ---- reports ---------------------------------------------------------------- */

void audit_anchor_text(const struct vrev_anchor *a, struct audit_anchor_text *out)
{
    hash32_to_hex(&a->ev.root, out->root);
    hash32_to_hex0x(&a->ev.tx_hash, out->tx);
    hash32_to_hex0x(&a->ev.block_hash, out->block_hash);
    audit_time_str(a->block_time, out->time);
}

const char *audit_result_word(const struct audit_report *r)
{
    return r->anomalies ? "anomalies" : r->incomplete ? "incomplete" : "clean";
}

err_code audit_report_text(const struct audit_report *r, struct buf *out, struct err *e)
{
    err_code rc = E_OK;
#define P(...) REPORT_PRINTF(rc, out, __VA_ARGS__)
    char is[43], co[43];
    addr20_to_hex(&r->issuer, is);
    addr20_to_hex(&r->contract, co);
    const bool ebsi = r->ledger == BUNDLE_LEDGER_EBSI;
    P("Issuer:    %s\n", is);
    if (ebsi)
        P("Timestamp: %s on chain %" PRIu64 " (ebsi; %s), blocks %" PRIu64 "..%" PRIu64 "\n", co,
          r->chain_id, r->registry_ok ? "pinned" : "NO usable contract", r->from_block, r->head);
    else
        P("Registry:  %s on chain %" PRIu64 " (%s), blocks %" PRIu64 "..%" PRIu64 "\n", co,
          r->chain_id,
          r->v2 ? "NotaryRegistry2 code: the issuer is an identity with anchoring keys"
          : r->registry_ok ? "NotaryRegistry code"
                           : "NOT the NotaryRegistry code",
          r->from_block, r->head);
    P("Anchored:  %" PRIu64 " issuance batches, %" PRIu64 " revocation checkpoints (%s)\n",
      r->count[0], r->count[1],
      ebsi ? "highest seq + 1 in the issuer's TimestampedHashes records" : "registry counters");
    if (r->have_copy)
        P("Log copy:  %s: %" PRIu64 " entries, %zu checkpoints listed; %s\n", r->source,
          r->copy.n_entries, r->copy.n_checkpoints,
          r->copy_matches ? "matches the newest anchored checkpoint"
                          : "does NOT match the newest anchored checkpoint");
    else
        P("Log copy:  none\n");
    P("\n%-10s %6s %9s  %-16s %9s  %-20s  %s\n", "kind", "seq", "size", "root", "block",
      "block time (UTC)", "transaction");
    for (size_t i = 0; i < r->n_anchors; i++) {
        const struct vrev_anchor *a = &r->anchors[i];
        struct audit_anchor_text x;
        audit_anchor_text(a, &x);
        char k[43];
        addr20_to_hex(&a->key, k);
        P("%-10s %6" PRIu64 " %9" PRIu64 "  %.16s %9" PRIu64 "  %-20s  %.18s…%s%s%s\n",
          audit_kind_word(a->ev.kind), a->ev.seq, a->ev.size, x.root, a->ev.block_number, x.time,
          x.tx, r->v2 ? "  key " : "", r->v2 ? k : "",
          r->v2 && !a->counts ? "  DOES NOT COUNT" : "");
    }
    if (!r->n_anchors)
        P("(no anchors)\n");
    if (!rc)
        rc = audit_keys_text(r, out);
    P("\nFindings:\n");
    for (size_t i = 0; i < r->findings.n; i++)
        P("  %-8s %s: %s\n", r->findings.v[i].anomaly ? "ANOMALY" : "note", r->findings.v[i].name,
          r->findings.v[i].detail);
    if (!r->findings.n)
        P("  none\n");
    if (r->anomalies)
        P("Result: %zu anomal%s\n", r->anomalies, r->anomalies == 1 ? "y" : "ies");
    else if (r->incomplete)
        P("Result: incomplete (the log copy could not be read)\n");
    else
        P("Result: clean: contiguous sequences%s\n",
          r->have_copy ? ", consistent checkpoints, the copy matches the ledger" : "");
#undef P
    if (rc)
        return err_set(e, E_NOMEM, "out of memory formatting the report");
    return E_OK;
}

err_code audit_report_json(const struct audit_report *r, struct buf *out, struct err *e)
{
    char is[43], co[43];
    addr20_to_hex(&r->issuer, is);
    addr20_to_hex(&r->contract, co);
    json_t *anchors = json_array(), *findings = json_array();
    for (size_t i = 0; anchors && i < r->n_anchors; i++) {
        const struct vrev_anchor *a = &r->anchors[i];
        struct audit_anchor_text x;
        audit_anchor_text(a, &x);
        json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:I, s:s, s:I, s:s, s:s}", "kind",
                              audit_kind_word(a->ev.kind), "seq", (json_int_t)a->ev.seq, "size",
                              (json_int_t)a->ev.size, "root", x.root, "blockNumber",
                              (json_int_t)a->ev.block_number, "blockHash", x.block_hash,
                              "blockTime", (json_int_t)a->block_time, "time", x.time, "txHash",
                              x.tx);
        if (o && r->v2) {
            char k[43];
            addr20_to_hex(&a->key, k);
            json_object_set_new(o, "key", json_string(k));
            json_object_set_new(o, "counts", json_boolean(a->counts));
            json_object_set_new(o, "reason", a->counts ? json_null()
                                              : json_string(a->why == REGISTRY2_NOT_AUTHORIZED
                                                                ? "not-authorized"
                                                            : a->why == REGISTRY2_RETIRED
                                                                ? "retired"
                                                            : a->why == REGISTRY2_KEY_COMPROMISED
                                                                ? "key-compromised"
                                                                : "identity-compromised"));
        }
        json_array_append_new(anchors, o);
    }
    for (size_t i = 0; findings && i < r->findings.n; i++)
        json_array_append_new(findings, json_pack("{s:s, s:b, s:s}", "name", r->findings.v[i].name,
                                                  "anomaly", r->findings.v[i].anomaly, "detail",
                                                  r->findings.v[i].detail));
    json_t *log = r->have_copy ? json_pack("{s:s, s:I, s:I, s:b}", "source", r->source, "entries",
                                           (json_int_t)r->copy.n_entries, "checkpoints",
                                           (json_int_t)r->copy.n_checkpoints, "matchesNewest",
                                           r->copy_matches)
                               : json_null();
    json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:{s:I, s:I}, s:o, s:o, s:o, s:I, "
                            "s:s}",
                            "ledger", bundle_ledger_name(r->ledger), "issuer", is, "contract", co, "chainId", (json_int_t)r->chain_id,
                            "headBlock", (json_int_t)r->head, "fromBlock",
                            (json_int_t)r->from_block, "registry", r->registry_ok, "counts",
                            "batches", (json_int_t)r->count[0], "checkpoints",
                            (json_int_t)r->count[1], "anchors", anchors, "log", log, "findings",
                            findings, "anomalies", (json_int_t)r->anomalies, "result",
                            audit_result_word(r));
    if (doc && r->ledger == BUNDLE_LEDGER_EVM)
        json_object_set_new(doc, "registryVersion", json_integer(r->v2 ? 2 : 1));
    if (doc)
        json_object_set_new(doc, "keys", audit_keys_json(r));
    return report_json(doc, out, e);
}
