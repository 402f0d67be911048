/*
 * notary/cli/commands.h — the commands of `notary`, one file per group:
 *
 *   init.c      init
 *   submit.c    submit, close
 *   anchor.c    anchor, status
 *   proof.c     proof
 *   revoke.c    revoke, checkpoint, revocations export
 *   serve_cmd.c serve, token
 *   backup.c    backup, restore
 *   check.c     check
 *   identity.c  identity did-web
 *   key.c       key rotate, retire, compromised, list
 *
 * Each cmd_X(argc, argv) parses its own options (argv[0] is the command's
 * name; getopt's optind is reset to 1 by the caller), prints its --help on
 * stdout, does the work through the notary library and returns the exit
 * status (notary/cli/common.h: 0 ok, 1 failed, 2 usage/input, 3 not
 * finished yet). Errors are reported before returning. main.c holds the
 * table that maps names to these; checkpoint runs the anchoring of
 * anchor.c through cli_anchor.
 */
#ifndef NOTARY_CLI_COMMANDS_H
#define NOTARY_CLI_COMMANDS_H

#include <getopt.h>
#include <jansson.h>

#include "notary/cli/common.h"

int cmd_init(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_close(int argc, char **argv);
int cmd_anchor(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_proof(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_revocations(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_backup(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_identity(int argc, char **argv);
int cmd_key(int argc, char **argv);

/* The identity's key (NotaryRegistry2, docs/registry-v2.md) from the keystore
 * v3 file `path` (mode 0600, else E_STATE), its password from `pw_file` or
 * else $NOTARY_IDENTITY_PASSWORD (E_INVALID saying so when neither), never
 * argv. *out: free with signer_free. Messages name the file, never the
 * password. Defined in key.c; init.c uses it too. */
err_code cli_load_identity(const char *path, const char *pw_file, struct signer **out,
                           struct err *e) MUST_CHECK;

/* The options of `notary anchor` that `notary checkpoint` also takes and
 * passes on (how long to wait, ledger requests, fees): a table in anchor.c
 * both commands build their option lists from. */
#define CLI_ANCHOR_RUN_OPTS 7
extern const struct cli_opt cli_anchor_run_opts[CLI_ANCHOR_RUN_OPTS];

/* `notary anchor ARGS` whose --json result also holds the members of
 * `extra` (borrowed; NULL: none) — for `notary checkpoint`, which passes on
 * its anchor options unchanged (argv[0] "anchor"). */
int cli_anchor(int argc, char **argv, json_t *extra);

#endif
