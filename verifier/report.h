/*
 * verifier/report.h — writing the verifier's reports (verify.c, audit.c,
 * audit_html.c) as a run of appends to a struct buf with one check at the
 * end: the first failure (E_NOMEM) sticks in `rc` and every later append is
 * skipped, so nothing is written after a gap.
 */
#ifndef VERIFIER_REPORT_H
#define VERIFIER_REPORT_H

#include <jansson.h>

#include "core/bytes.h"
#include "core/error.h"

/* buf_printf(out, ...) unless rc (an err_code lvalue) already holds an error;
 * its result is stored in rc. */
#define REPORT_PRINTF(rc, out, ...)                                                                \
    do {                                                                                           \
        if (!(rc))                                                                                 \
            (rc) = buf_printf((out), __VA_ARGS__);                                                 \
    } while (0)

/* Append doc as indented JSON (members in insertion order) and a newline to
 * out, and drop the reference to doc (which may be NULL: out of memory while
 * building it). Errors: E_NOMEM. Defined in verify.c. */
err_code report_json(json_t *doc, struct buf *out, struct err *e) MUST_CHECK;

#endif
