/*
 * tests/fuzz/fuzz_revlog.c — libFuzzer target: revocation-log export parsing
 * (core/revlog.c). Verifiers and auditors read a copy of an issuer's log
 * from anywhere (the notary's API, a mirror, a file), so it is hostile input.
 *
 * For every accepted file the target also
 *   - writes it back (revlog_write) and parses that again: the writer must
 *     accept what the parser accepted, and writing is then a fixed point
 *     (the same bytes twice);
 *   - does what an auditor does with it, on small logs: recompute the root
 *     of every listed checkpoint size that the entries cover, and verify the
 *     listed consistency proof between consecutive checkpoints (the outcome
 *     may be anything; it must not crash, leak or hit undefined behaviour).
 * Violations abort.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "core/merkle.h"
#include "core/revlog.h"

/* Audit work only for logs this small (the tree is rebuilt per checkpoint). */
#define AUDIT_MAX_ENTRIES 512u

static void audit(const struct revlog *l)
{
    struct err e = {0};
    struct hash32 prev_root = {{0}};
    uint64_t prev_size = 0;
    for (size_t i = 0; i < l->n_checkpoints; i++) {
        const struct revlog_checkpoint *cp = &l->checkpoints[i];
        REQUIRE(cp->proof_off + cp->proof_len <= l->n_proofs);
        struct hash32 root;
        bool have = cp->size <= l->n_entries && revlog_root(l, cp->size, &root, &e) == E_OK;
        (void)(have && hash32_eq(&root, &cp->root));
        if (i > 0 && prev_size) {
            /* Any outcome; it must not crash. (gcc does not let a (void)
             * cast drop a MUST_CHECK result, clang does.) */
            err_code outcome = merkle_verify_consistency(prev_size, cp->size, &prev_root,
                                                         &cp->root, l->proofs + cp->proof_off,
                                                         cp->proof_len, &e);
            (void)outcome;
        }
        prev_root = cp->root;
        prev_size = cp->size;
    }
    for (uint64_t i = 0; i < l->n_entries; i++)
        REQUIRE(revlog_find(l, &l->entries[i].credential) <= (int64_t)i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct revlog l = {0}, l2 = {0};
    struct err e = {0};
    if (revlog_parse((const char *)data, size, "fuzz.json", &l, &e) != E_OK) {
        REQUIRE(e.msg[0] != '\0');
        return 0;
    }
    struct buf w1 = {0}, w2 = {0};
    err_code rc = revlog_write(&l, &w1, &e);
    if (rc != E_OK)
        fprintf(stderr, "fuzz_revlog: writer refused a parsed log: %s\n", e.msg);
    REQUIRE(rc == E_OK);
    rc = revlog_parse((const char *)w1.p, w1.len, "rewritten", &l2, &e);
    if (rc != E_OK)
        fprintf(stderr, "fuzz_revlog: written log does not parse: %s\n", e.msg);
    REQUIRE(rc == E_OK);
    REQUIRE(l2.n_entries == l.n_entries && l2.n_checkpoints == l.n_checkpoints &&
            l2.n_proofs == l.n_proofs);
    REQUIRE(revlog_write(&l2, &w2, &e) == E_OK);
    REQUIRE(w1.len == w2.len && memcmp(w1.p, w2.p, w1.len) == 0);
    if (l.n_entries <= AUDIT_MAX_ENTRIES)
        audit(&l);
    buf_free(&w1);
    buf_free(&w2);
    revlog_free(&l);
    revlog_free(&l2);
    return 0;
}
