/*
 * anchor/net.h — the one place libcurl is initialised.
 *
 * libcurl's global state must be set up once per process, before any easy
 * handle and before other threads use it. Every part that talks to the
 * network (the JSON-RPC client, the verifier's download of a revocation log
 * copy) calls net_global_init() first; only the first call does the work.
 */
#ifndef ANCHOR_NET_H
#define ANCHOR_NET_H

#include "core/error.h"

/* Initialise libcurl for this process, once (thread-safe).
 * Errors: E_NETWORK when libcurl cannot start (the same answer on every call).
 * Nothing to free: the state lives until the process exits. */
err_code net_global_init(struct err *e);

/* May `url` carry a secret (a bearer token, a signed presentation that can
 * be replayed until it expires)? Yes for https://; for plain http:// only
 * when the host is this machine (localhost, 127.0.0.0/8, [::1]), as for a
 * test double or a TLS-terminating proxy on the same host. `what` names the
 * secret in the message ("the Timestamp API token").
 * Errors: E_INVALID, saying to use https://. Pure: no network, no state. */
err_code net_url_may_carry_secret(const char *url, const char *what, struct err *e);

#endif
