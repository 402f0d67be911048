/*
 * verifier/audit_html.c — the auditor's report as one self-contained HTML
 * page (audit.h audit_report_html): inline CSS, an inline SVG timeline of
 * issuance and revocations per day, the findings and the history. No
 * external resources; every text from the ledger or the copy is escaped.
 */
#include "verifier/audit.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/report.h"

static err_code html_esc(struct buf *b, const char *s)
{
    err_code rc = E_OK;
    for (; *s && !rc; s++) {
        switch (*s) {
        case '<': rc = buf_append_str(b, "&lt;"); break;
        case '>': rc = buf_append_str(b, "&gt;"); break;
        case '&': rc = buf_append_str(b, "&amp;"); break;
        case '"': rc = buf_append_str(b, "&quot;"); break;
        case '\'': rc = buf_append_str(b, "&#39;"); break;
        default: rc = buf_append_byte(b, (uint8_t)*s);
        }
    }
    return rc;
}

/* Per-day counts for the timeline: issued credentials (anchored batch
 * sizes, by block day) and revocations (the copy's entries by their date,
 * or checkpoint growth by block day without a copy). */
struct day { int64_t day; uint64_t issued, revoked; };

static struct day *day_at(struct day **v, size_t *n, size_t *cap, int64_t day)
{
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].day == day)
            return &(*v)[i];
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 32;
        struct day *p = realloc(*v, c * sizeof *p);
        if (!p)
            return NULL;
        *v = p;
        *cap = c;
    }
    (*v)[*n] = (struct day){.day = day};
    return &(*v)[(*n)++];
}

static int cmp_day(const void *x, const void *y)
{
    const struct day *a = x, *b = y;
    return a->day < b->day ? -1 : a->day > b->day;
}

static err_code timeline_svg(const struct audit_report *r, struct buf *b)
{
    struct day *v = NULL;
    size_t n = 0, cap = 0;
    uint64_t prev_cp = 0;
    for (size_t i = 0; i < r->n_anchors; i++) {
        const struct vrev_anchor *a = &r->anchors[i];
        struct day *d = day_at(&v, &n, &cap, (int64_t)(a->block_time / 86400));
        if (!d)
            goto nomem;
        if (a->ev.kind == REGISTRY_KIND_BATCH)
            d->issued += a->ev.size;
        else if (!r->have_copy) {
            d->revoked += a->ev.size > prev_cp ? a->ev.size - prev_cp : 0;
            prev_cp = a->ev.size;
        }
    }
    for (uint64_t i = 0; r->have_copy && i < r->copy.n_entries; i++) {
        struct day *d = day_at(&v, &n, &cap, r->copy.entries[i].time / 86400);
        if (!d)
            goto nomem;
        d->revoked++;
    }
    err_code rc = E_OK;
#define P(...) REPORT_PRINTF(rc, b, __VA_ARGS__)
    if (n == 0) {
        P("<p class=\"muted\">Nothing anchored yet: no timeline.</p>\n");
        free(v);
        return rc;
    }
    qsort(v, n, sizeof *v, cmp_day);
    /* One column per day from the first to the last (at most 370 columns:
     * longer histories are grouped into buckets of several days). */
    int64_t first = v[0].day, last = v[n - 1].day;
    if (last - first < 13)
        first = last - 13; /* at least two weeks, so one busy day does not fill the chart */
    int64_t span = last - first + 1, per = (span + 369) / 370;
    size_t cols = (size_t)((span + per - 1) / per);
    uint64_t *iss = calloc(cols, sizeof *iss), *rev = calloc(cols, sizeof *rev);
    if (!iss || !rev) {
        free(iss);
        free(rev);
        goto nomem;
    }
    uint64_t max_i = 1, max_r = 1;
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)((v[i].day - first) / per);
        iss[c] += v[i].issued;
        rev[c] += v[i].revoked;
    }
    for (size_t c = 0; c < cols; c++) {
        max_i = iss[c] > max_i ? iss[c] : max_i;
        max_r = rev[c] > max_r ? rev[c] : max_r;
    }
    const int W = 1040, left = 70, right = 20, top = 30, half = 120, gap = 30;
    const int axis = top + half, plot_w = W - left - right, H = axis + gap + half + 40;
    double cw = (double)plot_w / (double)cols;
    double bw = cw > 3 ? cw * 0.8 : cw;
    if (bw > 28)
        bw = 28;
    P("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"100%%\" "
      "role=\"img\" aria-label=\"Timeline: credentials issued and revoked per %s\">\n",
      W, H, per == 1 ? "day" : "period");
    P("<text x=\"%d\" y=\"18\" class=\"lbl\">credentials issued per %s (max %" PRIu64 ")</text>\n",
      left, per == 1 ? "day" : "bucket", max_i);
    P("<text x=\"%d\" y=\"%d\" class=\"lbl\">revocations per %s (max %" PRIu64 ")</text>\n",
      left, axis + gap + half + 16, per == 1 ? "day" : "bucket", max_r);
    P("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", left, axis, W - right,
      axis);
    P("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>\n", left, axis + gap,
      W - right, axis + gap);
    P("<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">%" PRIu64 "</text>\n", left - 6,
      top + 4, max_i);
    P("<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">0</text>\n", left - 6, axis);
    P("<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">%" PRIu64 "</text>\n", left - 6,
      axis + gap + half, max_r);
    for (size_t c = 0; c < cols; c++) {
        double x = left + cw * (double)c + (cw - bw) / 2;
        char day[21];
        bundle_time_format((first + (int64_t)c * per) * 86400, day, NULL);
        day[10] = '\0';
        if (iss[c]) {
            double h = (double)half * (double)iss[c] / (double)max_i;
            P("<rect class=\"iss\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s: "
              "%" PRIu64 " issued</title></rect>\n",
              x, axis - h, bw, h, day, iss[c]);
        }
        if (rev[c]) {
            double h = (double)half * (double)rev[c] / (double)max_r;
            P("<rect class=\"rev\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%.1f\"><title>%s: "
              "%" PRIu64 " revoked</title></rect>\n",
              x, axis + gap, bw, h, day, rev[c]);
        }
    }
    /* Date labels: the first and last column, and a few in between that
     * do not crowd the last one. */
    size_t step = cols > 6 ? cols / 6 : 1;
    for (size_t c = 0; c < cols; c += step) {
        if (c != 0 && cols - 1 - c < step && c != cols - 1)
            continue;
        char day[21];
        bundle_time_format((first + (int64_t)c * per) * 86400, day, NULL);
        day[10] = '\0';
        P("<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
          left + cw * ((double)c + 0.5), axis + gap / 2 + 4, day);
    }
    if (cols > 1 && (cols - 1) % step) {
        char day[21];
        bundle_time_format((first + (int64_t)(cols - 1) * per) * 86400, day, NULL);
        day[10] = '\0';
        P("<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
          left + cw * ((double)cols - 0.5), axis + gap / 2 + 4, day);
    }
    P("</svg>\n");
#undef P
    free(iss);
    free(rev);
    free(v);
    return rc;
nomem:
    free(v);
    return E_NOMEM;
}

static const char CSS[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;"
    "max-width:1100px;margin:24px auto;padding:0 20px;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid "
    "#dde2ea;padding-bottom:4px}"
    ".muted{color:#5b6475}.mono,td.mono{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,"
    "monospace;font-size:12.5px}"
    ".badge{display:inline-block;padding:4px 12px;border-radius:14px;font-weight:600;"
    "font-size:15px;margin:8px 0}"
    ".clean{background:#e3f5e8;color:#13612e}.anomalies{background:#fde4e4;color:#9b1c1c}"
    ".incomplete{background:#fff3d6;color:#8a5a00}"
    "dl{display:grid;grid-template-columns:170px 1fr;gap:4px 12px;margin:10px 0}dt{color:#5b6475}"
    "dd{margin:0;word-break:break-all}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;"
    "border-bottom:1px solid #e6e9ef;vertical-align:top}th{background:#f4f6f9;font-weight:600}"
    "tr.checkpoint td:first-child{color:#9b1c1c}tr.issuance td:first-child{color:#1f4e99}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".finding{border-left:4px solid #c9ced8;padding:6px 10px;margin:6px 0;background:#f8f9fb}"
    ".finding.anomaly{border-color:#d23b3b;background:#fff5f5}"
    ".finding b{font-family:ui-monospace,Menlo,Consolas,monospace}"
    "svg .iss{fill:#3b6fc9}svg .rev{fill:#d23b3b}svg .axis{stroke:#8a93a3;stroke-width:1}"
    "svg .lbl{font-size:13px;fill:#1d2330}svg .tick{font-size:11px;fill:#5b6475}"
    "footer{margin-top:32px;font-size:12px;color:#5b6475}";

err_code audit_report_html(const struct audit_report *r, struct buf *out, struct err *e)
{
    err_code rc = E_OK;
#define P(...) REPORT_PRINTF(rc, out, __VA_ARGS__)
#define ESC(s)                                                                                     \
    do {                                                                                           \
        if (!rc)                                                                                   \
            rc = html_esc(out, s);                                                                 \
    } while (0)
    char is[43], co[43];
    addr20_to_hex(&r->issuer, is);
    addr20_to_hex(&r->contract, co);
    P("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>Audit of issuer %s</title>\n<style>%s</style>\n</head>\n<body>\n",
      is, CSS);
    P("<h1>Credential notary audit</h1>\n<div class=\"muted\">Issuer <span class=\"mono\">%s"
      "</span> on chain %" PRIu64 "</div>\n",
      is, r->chain_id);
    const char *res = audit_result_word(r);
    if (r->anomalies)
        P("<div class=\"badge anomalies\">%zu anomal%s found</div>\n", r->anomalies,
          r->anomalies == 1 ? "y" : "ies");
    else
        P("<div class=\"badge %s\">%s</div>\n", res,
          r->incomplete ? "Incomplete: the log copy could not be read"
                        : "Clean: no anomaly found");
    if (r->ledger == BUNDLE_LEDGER_EBSI)
        P("<dl>\n<dt>Timestamp contract</dt><dd class=\"mono\">%s (ebsi, %s)</dd>\n", co,
          r->registry_ok ? "pinned by the auditor" : "NO usable contract");
    else
        P("<dl>\n<dt>Registry contract</dt><dd class=\"mono\">%s (%s)</dd>\n", co,
          r->v2              ? "runs the NotaryRegistry2 code: identity and anchoring keys"
          : r->registry_ok ? "runs the NotaryRegistry code"
                           : "NOT the NotaryRegistry code");
    P("<dt>Blocks scanned</dt><dd>%" PRIu64 " to %" PRIu64 "</dd>\n", r->from_block, r->head);
    const char *counted = r->ledger == BUNDLE_LEDGER_EBSI ? "highest seq + 1 in the records"
                                                          : "registry counter";
    P("<dt>Issuance batches</dt><dd>%" PRIu64 " (%s)</dd>\n", r->count[0], counted);
    P("<dt>Revocation checkpoints</dt><dd>%" PRIu64 " (%s)</dd>\n", r->count[1], counted);
    P("<dt>Revocation log copy</dt><dd>");
    if (r->have_copy) {
        ESC(r->source);
        P(": %" PRIu64 " entries, %zu checkpoints listed; %s", r->copy.n_entries,
          r->copy.n_checkpoints,
          r->copy_matches ? "matches the newest anchored checkpoint"
                          : "<b>does not match</b> the newest anchored checkpoint");
    } else {
        P("none");
    }
    P("</dd>\n</dl>\n");

    P("<h2>Findings</h2>\n");
    for (size_t i = 0; i < r->findings.n; i++) {
        const struct vrev_finding *f = &r->findings.v[i];
        P("<div class=\"finding%s\"><b>%s</b> &mdash; %s: ", f->anomaly ? " anomaly" : "", f->name,
          f->anomaly ? "anomaly" : "note");
        ESC(f->detail);
        P("</div>\n");
    }
    if (!r->findings.n)
        P("<p>None: sequence numbers are contiguous%s.</p>\n",
          r->have_copy ? ", every checkpoint is consistent with the last, and the log copy "
                         "matches the ledger"
                       : "");

    P("<h2>Timeline</h2>\n");
    if (!rc)
        rc = timeline_svg(r, out);

    if (!rc)
        rc = audit_keys_html(r, out);
    P("<h2>Anchored history</h2>\n<table>\n<tr><th>kind</th><th>seq</th><th>size</th>"
      "<th>root</th><th>block</th><th>block time (UTC)</th><th>transaction</th>%s</tr>\n",
      r->v2 ? "<th>anchoring key</th>" : "");
    for (size_t i = 0; i < r->n_anchors; i++) {
        const struct vrev_anchor *a = &r->anchors[i];
        struct audit_anchor_text x;
        audit_anchor_text(a, &x);
        P("<tr class=\"%s\"><td>%s</td><td class=\"num\">%" PRIu64 "</td><td class=\"num\">%"
          PRIu64 "</td><td class=\"mono\" title=\"%s\">%.16s…</td><td class=\"num\">%" PRIu64
          "</td><td>%s</td><td class=\"mono\" title=\"%s\">%.18s…</td>",
          audit_kind_word(a->ev.kind), audit_kind_word(a->ev.kind), a->ev.seq, a->ev.size, x.root,
          x.root, a->ev.block_number, x.time, x.tx, x.tx);
        if (r->v2) {
            char k[43];
            addr20_to_hex(&a->key, k);
            P("<td class=\"mono\">%s%s</td>", k,
              a->counts ? "" : " <b>does not count</b>");
        }
        P("</tr>\n");
    }
    if (!r->n_anchors)
        P("<tr><td colspan=\"7\" class=\"muted\">no anchors</td></tr>\n");
    P("</table>\n");

    if (r->have_copy && r->copy.n_entries) {
        const uint64_t shown = r->copy.n_entries < 1000 ? r->copy.n_entries : 1000;
        P("<h2>Revocations in the log copy</h2>\n<table>\n<tr><th>#</th><th>credential</th>"
          "<th>reason</th><th>dated (issuer's clock)</th><th>note</th></tr>\n");
        for (uint64_t i = 0; i < shown; i++) {
            const struct revlog_entry *en = &r->copy.entries[i];
            char h[65], t[21];
            hash32_to_hex(&en->credential, h);
            audit_time_str((uint64_t)en->time, t);
            P("<tr><td class=\"num\">%" PRIu64 "</td><td class=\"mono\" title=\"%s\">%.16s…</td>"
              "<td>%s</td><td>%s</td><td>",
              i, h, h, revlog_reason_name(en->reason), t);
            if (en->note)
                ESC(en->note);
            P("</td></tr>\n");
        }
        P("</table>\n");
        if (shown < r->copy.n_entries)
            P("<p class=\"muted\">… and %" PRIu64 " more (see the JSON report).</p>\n",
              r->copy.n_entries - shown);
    }
    P("<footer>Generated by <span class=\"mono\">verifier audit</span> from the ledger's "
      "Anchored events and the registry's counters; a log copy is checked against the anchored "
      "roots with RFC 9162 consistency proofs. Format: docs/revocation-format.md.</footer>\n"
      "</body>\n</html>\n");
#undef P
#undef ESC
    if (rc)
        return err_set(e, E_NOMEM, "out of memory formatting the report");
    return E_OK;
}
