/*
 * verifier/run.h — one verification from the inputs a user names: the
 * credential (a file, possibly carrying its bundle) or its hash, the proof
 * bundle, and the ledger options. `verifier verify` (one credential) and
 * `verifier verify --batch` (many) both call verify_run_one(), so a
 * bundle's verdict is the same whichever way it is asked.
 */
#ifndef VERIFIER_RUN_H
#define VERIFIER_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/bundle.h"
#include "core/embed.h"
#include "verifier/issuer.h"
#include "verifier/verify.h"

struct rpc_memo;

/* The options of a run, as the command line gives them. */
struct verify_run_opts {
    const char *rpc_url;                  /* NULL: offline (check only the bundle's own proof) */
    const struct verify_trusted *trusted; /* --issuer / --trusted-issuers (may be empty) */
    const char *ca_file;                  /* did:web CA file, NULL = system's */
    const char *ebsi_api;                 /* did:ebsi: EBSI's API base, NULL = default */
    const char *const *resolve;           /* --resolve HOST:PORT:ADDR entries */
    size_t n_resolve;
    const struct addr20 *contracts;       /* --contract */
    size_t n_contracts;
    bool timestamp_code;                  /* --timestamp-code */
    const char *revocations;              /* --revocations FILE|URL, NULL = none */
    uint64_t confirmations;               /* ≥ 1 */
    uint64_t log_window;                  /* 0 = default */
    unsigned timeout_s;                   /* --timeout: the limit for one verification */
    struct rpc_memo *memo;                /* ledger answers shared for the run, NULL = none */
};

/* What to verify: `credential` (a file, "-" = stdin) or `hash` (64 hex
 * digits), and `proof` (a bundle file; NULL when the credential carries
 * its bundle, core/embed.h). */
struct verify_input {
    const char *credential;
    const char *hash;
    const char *proof;
};

/* The state of one verification (about 40 KB: allocate it, one per thread). */
struct verify_work {
    struct verify_result r;
    struct bundle b;      /* the bundle checked (valid when r.status != VERIFY_ERROR) */
    struct embed_split sp;
};

enum verify_run_rc {
    VRUN_DONE,  /* w->r holds the verdict (ERROR for an unreadable or malformed input) */
    VRUN_USAGE, /* the inputs do not go together (both an embedded bundle and a proof, or
                   neither): w->r is ERROR with the message; a single verification
                   reports it as a usage error */
};

/* Verify `in` with `o` into *w (initialised here): the offline checks, then,
 * with o->rpc_url, the ledger checks (verifier/online.h) and the revocation
 * status (verifier/revocation.h) within o->timeout_s from now. Thread-safe
 * when no DID is trusted (verifier/issuer.c keeps one document in a static):
 * callers run DIDs on one thread. */
enum verify_run_rc verify_run_one(const struct verify_run_opts *o, const struct verify_input *in,
                                  struct verify_work *w);

#endif
