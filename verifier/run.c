/* verifier/run.c — see run.h. */
#include "verifier/run.h"

#include "anchor/did.h"
#include "anchor/rpc.h"
#include "core/fileio.h"
#include "verifier/online.h"
#include "verifier/revocation.h"

enum verify_run_rc verify_run_one(const struct verify_run_opts *o, const struct verify_input *in,
                                  struct verify_work *w)
{
    struct verify_result *r = &w->r;
    struct err e = {0};
    struct verify_subject s;
    verify_result_init(r);
    /* A credential file may carry its bundle (docs/proof-format.md §7): then
     * the subject is the document without it, and a proof would be a second
     * bundle for the same credential. */
    err_code rc = in->credential ? embed_split_file(in->credential, &w->sp, &e)
                                 : verify_subject_from_hex(in->hash, &s, &e);
    if (!rc && in->credential) {
        if (w->sp.found == (in->proof != NULL)) {
            if (w->sp.found)
                err_set(&e, E_INVALID,
                        "%s: the credential carries its proof bundle (embedded); give it "
                        "without --proof, or give the plain credential with --proof",
                        in->credential);
            else
                err_set(&e, E_INVALID,
                        "--proof BUNDLE is required: %s carries no embedded proof bundle "
                        "(notary proof --embed)",
                        in->credential);
            verify_result_set_error(r, &e);
            return VRUN_USAGE;
        }
        s.hash = w->sp.hash;
        s.hashing = w->sp.hashing;
    }
    else if (rc && in->hash)
        err_prefix(&e, "--hash");
    if (!rc && in->proof)
        rc = bundle_read_file(in->proof, &w->b, &e);
    else if (!rc)
        w->b = w->sp.bundle;
    if (rc) {
        verify_result_set_error(r, &e);
        return VRUN_DONE;
    }
    verify_offline(&w->b, &s, r);
    if (!o->rpc_url)
        return VRUN_DONE;
    /* --timeout bounds the whole online verification: one deadline shared by
     * every JSON-RPC call, retry and the log copy's fetch. */
    uint64_t deadline = rpc_now_ms() + (uint64_t)o->timeout_s * 1000;
    unsigned per_request_ms = (o->timeout_s < 10 ? o->timeout_s : 10) * 1000;
    const struct did_web_opts dw = {.timeout_ms = per_request_ms,
                                    .deadline_ms = deadline,
                                    .ca_file = o->ca_file,
                                    .ebsi_api = o->ebsi_api,
                                    .resolve = o->resolve,
                                    .n_resolve = o->n_resolve,
                                    .memo = o->memo};
    struct verify_online_opts vo = {.rpc_url = o->rpc_url,
                                    .contracts = o->contracts,
                                    .n_contracts = o->n_contracts,
                                    .require_timestamp_code = o->timestamp_code,
                                    .trusted = o->trusted,
                                    .did = &dw,
                                    .claim = in->credential ? &w->sp.issuer : NULL,
                                    .confirmations = o->confirmations,
                                    .timeout_ms = per_request_ms,
                                    .max_attempts = 3,
                                    .deadline_ms = deadline,
                                    .memo = o->memo};
    verify_online(&w->b, &vo, r);
    struct vrev_opts ro = {.rpc_url = o->rpc_url,
                           .source = o->revocations,
                           .confirmations = o->confirmations,
                           .window = o->log_window,
                           .timeout_ms = per_request_ms,
                           .max_attempts = 3,
                           .deadline_ms = deadline,
                           .memo = o->memo};
    verify_revocation(&w->b, &ro, r);
    return VRUN_DONE;
}
