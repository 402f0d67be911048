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

#endif
