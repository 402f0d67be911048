/*
 * tests/ledger.h — a private local ledger (ganache) for C integration tests.
 *
 * t_ledger_start() forks and execs `node node_modules/ganache/dist/node/cli.js`
 * exactly as docs/design.md says (chain id 1337, --wallet.deterministic, loopback
 * only) on a free port, with its output in a log file under t_tmpdir() (the
 * banner prints the development keys), and waits until eth_chainId answers.
 * t_ledger_stop() stops exactly that PID. A ledger a test forgot to stop
 * (e.g. a CHECK returned early) is stopped at exit, and the child also dies
 * with the test process (PR_SET_PDEATHSIG), so none is ever left behind.
 *
 * Profiles: "default" (ganache's hardfork, fee market on) and "berlin"
 * (--chain.hardfork berlin --miner.defaultGasPrice 0: legacy transactions
 * with gasPrice 0, as on EBSI/Besu).
 *
 * Typical use:
 *     const char *skip = t_ledger_skip_reason();
 *     if (skip) { printf("SKIP %s\n", skip); return; }
 *     struct t_ledger l;
 *     CHECKF(t_ledger_start("berlin", &l) == 0, "%s", l.err);
 *     char reg[43];
 *     CHECKF(t_ledger_deploy(&l, "NotaryRegistry", reg) == 0, "%s", l.err);
 *     ... talk to l.url ...
 *     t_ledger_stop(&l);
 *
 * Tests run from the project root; LEDGER_GANACHE_CLI overrides the path of
 * ganache's cli.js. This file links into every test program (every .c in tests/).
 */
#ifndef TESTS_LEDGER_H
#define TESTS_LEDGER_H

#include <sys/types.h>

#include <jansson.h>

/* The first two accounts of ganache's --wallet.deterministic mnemonic ("myth
 * like bonus scare over problem client lizard pioneer submit female
 * collect"). PUBLIC, well-known development keys that every such ganache
 * prints at start: not secrets, worthless outside a local test ledger. The
 * ledger funds each with 1000 ETH and unlocks it for eth_sendTransaction. */
#define T_DEV_KEY_0 "4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d"
#define T_DEV_ADDR_0 "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1"
#define T_DEV_KEY_1 "6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1"
#define T_DEV_ADDR_1 "0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0"
#define T_LEDGER_CHAIN_ID 1337

struct t_ledger {
    pid_t pid;           /* ganache's PID; 0 when not running */
    int port;            /* its port on 127.0.0.1 */
    char url[64];        /* "http://127.0.0.1:PORT" */
    char profile[16];    /* "default" or "berlin" */
    char log_path[512];  /* its stdout+stderr, under t_tmpdir() */
    char err[512];       /* why the last call on this ledger failed */
};

/* Why integration tests cannot run here, or NULL if they can. Always NULL
 * unless T_ALLOW_SKIP=1: `make test` installs the Node tools first, so a
 * missing ledger must fail the test, not skip it.
 * The string is static; it names the command that fixes it. */
const char *t_ledger_skip_reason(void);

/* Start a ledger with `profile` ("default", "berlin"; NULL = "default") and
 * wait up to ~20 s until it answers eth_chainId with 1337. Returns 0 and
 * fills *out; or -1 with out->err saying why (and the log's last lines). A
 * port taken in the meantime is retried on another port. */
int t_ledger_start(const char *profile, struct t_ledger *out);

/* Stop the ledger: SIGTERM to out->pid, wait up to ~5 s, then SIGKILL; reap
 * it and set l->pid to 0. Safe on a stopped or never-started ledger. */
void t_ledger_stop(struct t_ledger *l);

/* One JSON-RPC call. `params_json` is the params array as JSON text (NULL =
 * "[]"). Returns the "result" member as a new jansson reference the caller
 * must json_decref(); NULL on a transport error, an RPC error (its message
 * and data are in l->err) or an answer that is not JSON-RPC. */
json_t *t_ledger_rpc(struct t_ledger *l, const char *method, const char *params_json);

/* Like t_ledger_rpc() for calls whose result is a hex quantity or data
 * string: copies it (e.g. "0x539") into out[cap]. Returns 0 or -1. */
int t_ledger_rpc_str(struct t_ledger *l, const char *method, const char *params_json, char *out,
                     size_t cap);

/* Deploy contracts/build/<name>.bin from T_DEV_ADDR_0 (unlocked by ganache)
 * and wait for its receipt. Returns 0 and the contract's address
 * ("0x" + 40 lowercase hex) in addr_out; -1 with l->err otherwise. */
int t_ledger_deploy(struct t_ledger *l, const char *name, char addr_out[43]);

/* Print the last `lines` lines of the ledger's log to stdout, each prefixed
 * "# ", to explain a failure. */
void t_ledger_dump_log(const struct t_ledger *l, int lines);

#endif
