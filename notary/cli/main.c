/*
 * notary/cli/main.c — the `notary` command: global options, process setup
 * and the table of commands. Each command is in its own file
 * (notary/cli/commands.h), the helpers they share in notary/cli/common.c;
 * the work is done by the notary library (store, issuance, anchoring,
 * service) so that tests can call it directly.
 *
 * Exit codes: 0 success; 1 the operation failed (the ledger refused, a batch
 * FAILED, a store error); 2 usage or input error; 3 not finished yet
 * (ledger unreachable, still waiting for confirmations, or `init --deploy`
 * waiting for its new key to be funded — run again).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "notary/cli/commands.h"
#include "notary/cli/common.h"

static const char USAGE[] =
    "usage: notary [--data DIR] [--password-file FILE] COMMAND [options]\n"
    "\n"
    "Batch credential hashes into RFC 9162 Merkle trees, anchor each root on an\n"
    "EVM ledger, and hand out inclusion proofs anyone can verify.\n"
    "\n"
    "commands:\n"
    "  init      create the notary: key, ledger, registry contract\n"
    "  submit    add credential hashes or documents to the open batch\n"
    "  close     close the open batch: build its tree and fix its root\n"
    "  anchor    write closed batch roots to the ledger and wait for confirmations\n"
    "  proof     write the proof bundle of a credential, or of a whole batch\n"
    "  status    show configuration, batches and what is pending\n"
    "  check     re-check every batch in the store against its anchored root\n"
    "  revoke    revoke a credential: append it to the revocation log\n"
    "  checkpoint  cut a checkpoint of the revocation log and anchor it\n"
    "  revocations export  write the revocation log with its anchored checkpoints\n"
    "  serve     run the HTTP API with the batch scheduler (docs/openapi.yaml)\n"
    "  token     add, list or remove issuer tokens for the HTTP API\n"
    "  backup    write a consistent snapshot of the store (optionally with the key)\n"
    "  restore   restore a backup into a new directory, listing batches it lost\n"
    "  identity did-web  print the did:web DID document naming the issuer address\n"
    "  key       rotate, retire, declare compromised or list the anchoring keys\n"
    "\n"
    "global options:\n"
    "  --data DIR            notary directory (default: $NOTARY_DATA or ./notary-data)\n"
    "  --password-file FILE  key password from FILE (default: $NOTARY_PASSWORD)\n"
    "  -h, --help            this help; `notary COMMAND --help` for a command\n"
    "\n"
    "exit status: 0 ok, 1 failed, 2 usage or input error, 3 not finished yet\n"
    "(ledger unreachable, waiting for confirmations, or `init --deploy` waiting\n"
    "for the new key to be funded: run the command again).\n";

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
    /* Non-dumpable from the first instruction, whatever the command: the
     * password is in the environment ($NOTARY_PASSWORD) or read from a file,
     * the store URL may carry a database password, and `serve` holds API
     * token hashes and, when anchoring, the key. No core file, and no
     * same-user process may ptrace us or read /proc/PID/environ or mem.
     * (anchor/signer.c also does this while a key is loaded; it restores
     * the state it found, which is this one.) */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    g_cli.tty = isatty(2);
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            g_cli.data = argv[++i];
        } else if (!strncmp(argv[i], "--data=", 7)) {
            g_cli.data = argv[i] + 7;
        } else if (!strcmp(argv[i], "--password-file") && i + 1 < argc) {
            g_cli.password_file = argv[++i];
        } else if (!strncmp(argv[i], "--password-file=", 16)) {
            g_cli.password_file = argv[i] + 16;
        } else {
            fprintf(stderr, "notary: unknown option '%s'\n\n%s", argv[i], USAGE);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    static const struct { const char *name; int (*fn)(int, char **); } cmds[] = {
        {"init", cmd_init},   {"submit", cmd_submit}, {"close", cmd_close},
        {"anchor", cmd_anchor}, {"proof", cmd_proof},   {"status", cmd_status},
        {"revoke", cmd_revoke}, {"checkpoint", cmd_checkpoint},
        {"revocations", cmd_revocations},
        {"serve", cmd_serve}, {"token", cmd_token}, {"check", cmd_check},
        {"backup", cmd_backup}, {"restore", cmd_restore},
        {"identity", cmd_identity}, {"key", cmd_key},
    };
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++)
        if (!strcmp(argv[i], cmds[k].name)) {
            optind = 1;
            return cmds[k].fn(argc - i, argv + i);
        }
    fprintf(stderr, "notary: unknown command '%s'\n\n%s", argv[i], USAGE);
    return EXIT_USAGE;
}
