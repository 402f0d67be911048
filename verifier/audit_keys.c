/*
 * verifier/audit_keys.c — the auditor's view of an identity's key history on
 * NotaryRegistry2 (audit.h, docs/registry-v2.md §2 "from the ledger only"):
 * the key events with their blocks and times, the anchors whose key does
 * not count at their block ("key-not-counting"), and the key-history parts
 * of the text, JSON and HTML reports. The history itself is read once by
 * vrev_ledger_open (registry2_key_history); the rule is
 * registry2_key_counts, as for a single verification.
 */
#include "verifier/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/eth.h"
#include "verifier/report.h"
#include "verifier/revocation_ledger.h"

/* The words every report shares (audit.h), here so that this file never
 * calls back into audit.c. */
const char *audit_kind_word(enum registry_kind k)
{
    return k == REGISTRY_KIND_CHECKPOINT ? "checkpoint" : "issuance";
}

void audit_time_str(uint64_t t, char out[21])
{
    bundle_time_format(t <= BUNDLE_MAX_UINT ? (int64_t)t : -1, out, NULL);
}

const char *audit_key_event_word(enum registry2_change_kind k)
{
    return k == REGISTRY2_AUTHORIZE ? "authorized" : k == REGISTRY2_RETIRE ? "retired"
                                                                            : "compromised";
}

static int cmp_event(const void *x, const void *y)
{
    const struct audit_key_event *a = x, *b = y;
    if (a->block != b->block)
        return a->block < b->block ? -1 : 1;
    if (a->index != b->index)
        return a->index < b->index ? -1 : 1;
    return (int)a->kind - (int)b->kind;
}

/* The time of block `n` (cached for consecutive equal blocks by the caller). */
static err_code block_time(struct vrev_ledger *l, uint64_t n, uint64_t *t, struct err *e)
{
    struct rpc_block blk;
    char q[RPC_QTY_BUF];
    err_code rc = rpc_get_block_by_number(l->rpc, rpc_format_quantity(n, q), &blk, e);
    if (!rc)
        *t = blk.timestamp;
    return rc;
}

err_code audit_keys_load(struct audit_report *r, struct vrev_ledger *l, struct err *e)
{
    if (!l->v2 || l->n_keys == 0)
        return E_OK;
    r->keys = malloc(l->n_keys * sizeof *r->keys);
    r->key_events = malloc(3 * l->n_keys * sizeof *r->key_events);
    if (!r->keys || !r->key_events)
        return err_set(e, E_NOMEM, "out of memory for the key history");
    memcpy(r->keys, l->keys, l->n_keys * sizeof *r->keys);
    r->n_keys = l->n_keys;
    size_t n = 0;
    for (size_t i = 0; i < r->n_keys; i++) {
        const struct registry2_key_entry *k = &r->keys[i];
        struct audit_key_event base = {.key = k->key, .index = k->index};
        if (k->authorized_block != REGISTRY2_NEVER) {
            r->key_events[n] = base;
            r->key_events[n].kind = REGISTRY2_AUTHORIZE;
            r->key_events[n].block = k->authorized_block;
            r->key_events[n++].value = k->status.authorized_from;
        }
        if (k->retired_block != REGISTRY2_NEVER) {
            r->key_events[n] = base;
            r->key_events[n].kind = REGISTRY2_RETIRE;
            r->key_events[n].block = k->retired_block;
            r->key_events[n++].value = k->status.retired_at;
        }
        if (k->compromised_block != REGISTRY2_NEVER) {
            r->key_events[n] = base;
            r->key_events[n].kind = REGISTRY2_COMPROMISED;
            r->key_events[n].block = k->compromised_block;
            r->key_events[n++].value =
                i == 0 ? k->status.identity_compromised_since : k->status.compromised_since;
        }
    }
    qsort(r->key_events, n, sizeof *r->key_events, cmp_event);
    r->n_key_events = n;
    err_code rc = E_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        if (i > 0 && r->key_events[i].block == r->key_events[i - 1].block)
            r->key_events[i].time = r->key_events[i - 1].time;
        else
            rc = block_time(l, r->key_events[i].block, &r->key_events[i].time, e);
    }
    for (size_t i = 0; i < r->n_anchors && !rc; i++) {
        const struct vrev_anchor *a = &r->anchors[i];
        if (a->counts)
            continue;
        struct registry2_key_status st;
        char words[300];
        vrev_ledger_key_status(l, &a->key, &st);
        registry2_reason_format(a->why, &st, &r->issuer, &a->key, a->ev.block_number, words,
                                sizeof words);
        rc = vrev_finding_add(&r->findings, "key-not-counting", true,
                              "%s %" PRIu64 " (block %" PRIu64 ") does not count: %s",
                              audit_kind_word(a->ev.kind), a->ev.seq, a->ev.block_number, words);
    }
    return rc;
}

/* A block number for the reports: "never" for REGISTRY2_NEVER. */
static const char *blk(uint64_t v, char out[24])
{
    if (v == REGISTRY2_NEVER)
        return "never";
    snprintf(out, 24, "%" PRIu64, v);
    return out;
}

/* What an event says, in words, into out. */
static void event_words(const struct audit_report *r, const struct audit_key_event *ev,
                        char *out, size_t max)
{
    bool self = addr20_eq(&ev->key, &r->issuer);
    switch (ev->kind) {
    case REGISTRY2_AUTHORIZE:
        snprintf(out, max, "key %u authorized: its anchors count from block %" PRIu64, ev->index,
                 ev->value);
        break;
    case REGISTRY2_RETIRE:
        snprintf(out, max, "%s retired: its anchors count no more from block %" PRIu64,
                 self ? "the identity (as an anchoring key)" : "key", ev->value);
        break;
    default:
        snprintf(out, max, "%s declared compromised since block %" PRIu64 "%s",
                 self ? "the identity" : "key", ev->value,
                 self ? ": nothing anchored for it from then on counts" : "");
    }
}

err_code audit_keys_text(const struct audit_report *r, struct buf *out)
{
    err_code rc = E_OK;
    if (!r->v2)
        return E_OK;
#define P(...) REPORT_PRINTF(rc, out, __VA_ARGS__)
    P("\nKey history (NotaryRegistry2; the identity is key 0):\n");
    P("%-5s %-42s %14s %10s %16s %16s\n", "index", "key", "authorizedFrom", "retiredAt",
      "compromisedSince", "identityCompr.");
    for (size_t i = 0; i < r->n_keys; i++) {
        const struct registry2_key_entry *k = &r->keys[i];
        char a[43], b1[24], b2[24], b3[24], b4[24];
        addr20_to_hex(&k->key, a);
        P("%-5u %-42s %14s %10s %16s %16s\n", k->index, a, blk(k->status.authorized_from, b1),
          blk(k->status.retired_at, b2), blk(k->status.compromised_since, b3),
          blk(k->status.identity_compromised_since, b4));
    }
    P("\n%9s  %-20s  %-42s  %s\n", "block", "block time (UTC)", "key", "change");
    for (size_t i = 0; i < r->n_key_events; i++) {
        const struct audit_key_event *ev = &r->key_events[i];
        char a[43], t[21], w[200];
        addr20_to_hex(&ev->key, a);
        audit_time_str(ev->time, t);
        event_words(r, ev, w, sizeof w);
        P("%9" PRIu64 "  %-20s  %-42s  %s\n", ev->block, t, a, w);
    }
    if (!r->n_key_events)
        P("(no key changes: the identity anchors itself)\n");
#undef P
    return rc;
}

static json_t *jblock(uint64_t v)
{
    return v == REGISTRY2_NEVER ? json_null() : json_integer((json_int_t)v);
}

json_t *audit_keys_json(const struct audit_report *r)
{
    if (!r->v2)
        return json_null();
    char is[43];
    addr20_to_hex(&r->issuer, is);
    json_t *keys = json_array(), *events = json_array();
    for (size_t i = 0; keys && i < r->n_keys; i++) {
        const struct registry2_key_entry *k = &r->keys[i];
        char a[43];
        addr20_to_hex(&k->key, a);
        json_array_append_new(
            keys, json_pack("{s:s, s:I, s:o, s:o, s:o, s:o}", "address", a, "index",
                            (json_int_t)k->index, "authorizedFrom", jblock(k->status.authorized_from),
                            "retiredAt", jblock(k->status.retired_at), "compromisedSince",
                            jblock(k->status.compromised_since), "identityCompromisedSince",
                            jblock(k->status.identity_compromised_since)));
    }
    for (size_t i = 0; events && i < r->n_key_events; i++) {
        const struct audit_key_event *ev = &r->key_events[i];
        char a[43], t[21];
        addr20_to_hex(&ev->key, a);
        audit_time_str(ev->time, t);
        json_array_append_new(
            events, json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:I}", "change",
                              audit_key_event_word(ev->kind), "key", a, "index",
                              (json_int_t)ev->index, "blockNumber", (json_int_t)ev->block,
                              "blockTime", (json_int_t)ev->time, "time", t, "value",
                              (json_int_t)ev->value));
    }
    return json_pack("{s:s, s:o, s:o}", "identity", is, "keys", keys, "events", events);
}

err_code audit_keys_html(const struct audit_report *r, struct buf *out)
{
    err_code rc = E_OK;
    if (!r->v2)
        return E_OK;
#define P(...) REPORT_PRINTF(rc, out, __VA_ARGS__)
    P("<h2>Key history</h2>\n<p class=\"muted\">NotaryRegistry2: the identity authorizes, "
      "retires and declares compromised its anchoring keys on the ledger; an anchor counts only "
      "when its key counts at its block (docs/registry-v2.md §2).</p>\n<ol class=\"keys\">\n");
    for (size_t i = 0; i < r->n_key_events; i++) {
        const struct audit_key_event *ev = &r->key_events[i];
        char a[43], t[21], w[200];
        addr20_to_hex(&ev->key, a);
        audit_time_str(ev->time, t);
        event_words(r, ev, w, sizeof w); /* our own words and numbers: nothing to escape */
        P("<li class=\"%s\"><b>%s</b> block %" PRIu64 " &middot; <span class=\"mono\">%s</span>"
          " &mdash; %s</li>\n",
          audit_key_event_word(ev->kind), t, ev->block, a, w);
    }
    if (!r->n_key_events)
        P("<li>No key changes: the identity anchors itself.</li>\n");
    P("</ol>\n");
#undef P
    return rc;
}
