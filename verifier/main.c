/*
 * verifier/main.c — the `verifier` command: a thin layer of argument parsing
 * and printing over verifier/verify.h. All logic lives in the library so
 * tests can call it; this file decides only what to print and the exit
 * status (0 VALID, 1 INVALID, 2 usage or input error, 3 UNKNOWN).
 */
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/did_ebsi.h"
#include "core/bundle.h"
#include "core/embed.h"
#include "core/fileio.h"
#include "verifier/audit.h"
#include "verifier/online.h"
#include "verifier/batch.h"
#include "verifier/revocation.h"
#include "verifier/run.h"
#include "verifier/verify.h"

#define EXIT_USAGE 2

static const char MAIN_USAGE[] =
    "Usage: verifier COMMAND [OPTIONS]\n"
    "\n"
    "Check a credential against its proof bundle, independently of the issuer.\n"
    "\n"
    "Commands:\n"
    "  verify    verify a credential (or its hash) with a proof bundle\n"
    "  audit     list and check an issuer's whole anchored history and revocation log\n"
    "\n"
    "Options:\n"
    "  -h, --help     show this help ('verifier verify --help' for the command)\n"
    "\n"
    "Exit status: 0 VALID, 1 INVALID, 2 usage or input error, 3 UNKNOWN, 4 REVOKED\n"
    "(audit: 0 clean, 1 anomalies, 2 usage, 3 incomplete or ledger unreachable).\n"
    "The proof bundle format is described in docs/proof-format.md.\n";

static const char VERIFY_USAGE[] =
    "Usage: verifier verify (CREDENTIAL | --hash HEX) --proof BUNDLE --rpc URL\n"
    "                       [--issuer ADDR|DID | --trusted-issuers FILE] [--confirmations N] [--json]\n"
    "       verifier verify (CREDENTIAL | --hash HEX) --proof BUNDLE --offline [--json]\n"
    "       verifier verify CREDENTIAL (--rpc URL [...] | --offline)   (bundle embedded)\n"
    "       verifier verify --batch DIR|LIST|- (--rpc URL [...] | --offline) [--jobs N]\n"
    "\n"
    "Check that CREDENTIAL (a file; '-' reads stdin) is the credential that the proof\n"
    "bundle BUNDLE proves: its hash equals the bundle's credential hash, and that hash\n"
    "is a leaf of the bundle's Merkle tree (RFC 9162 inclusion proof). A JSON credential\n"
    "is canonicalized with RFC 8785 (JCS) before SHA-256, so reformatting or reordering\n"
    "its keys does not change the result; any other file is hashed as raw bytes.\n"
    "A JSON credential that carries its bundle as a \"CredentialNotaryProof\" entry of\n"
    "its proof (notary proof --embed) needs no --proof: the entry is the bundle, and\n"
    "the credential is hashed without it (docs/proof-format.md section 7).\n"
    "\n"
    "Options:\n"
    "  -p, --proof BUNDLE  the proof bundle (JSON, at most 1 MB)\n"
    "      --hash HEX      verify a credential hash (64 hex digits) instead of a file\n"
    "      --rpc URL       YOUR choice of ledger JSON-RPC endpoint: the anchor is checked\n"
    "                      there (chain id, registry code, transaction, Anchored event,\n"
    "                      the contract's record of root and size, canonical block,\n"
    "                      confirmations); nothing comes from the issuer's servers\n"
    "      --issuer ADDR|DID  the issuer you trust (repeatable): an address (0x...) or a\n"
    "                      did:web DID (did:web:HOST[%3APORT][:PATH...]) whose document,\n"
    "                      fetched over HTTPS (no redirects, at most 64 KiB, within\n"
    "                      --timeout), lists the anchoring address for the bundle's\n"
    "                      chain; the verdict then names the DID. A DID that cannot\n"
    "                      be fetched gives UNKNOWN; a document that does not list the\n"
    "                      address, or is malformed, gives INVALID. Without --issuer\n"
    "                      and --trusted-issuers, a JSON credential's own did:web\n"
    "                      \"issuer\" is resolved the same way; when nothing names the\n"
    "                      issuer the status is UNKNOWN (issuer not established).\n"
    "                      A did:ebsi DID (did:ebsi:z...) is resolved through EBSI's\n"
    "                      APIs instead (--ebsi-api): the verdict names its legal\n"
    "                      entity and accreditation\n"
    "      --trusted-issuers FILE  trusted issuers (addresses, did:web or did:ebsi DIDs),\n"
    "                      one per line ('#' comments); a file with none is refused,\n"
    "                      never read as 'anyone'\n"
    "      --ca-file FILE  trust the CA certificates in FILE (PEM) instead of the\n"
    "                      system's for did:web documents and EBSI's APIs (default\n"
    "                      $NOTARY_CA_FILE; for tests and private PKI)\n"
    "      --resolve HOST:PORT:ADDR  connect to ADDR for HOST:PORT when fetching a\n"
    "                      did:web document or EBSI's APIs, as curl --resolve\n"
    "                      (repeatable; for tests)\n"
    "      --ebsi-api URL  EBSI's API base (https://) for did:ebsi issuers: the DID\n"
    "                      Registry v5 document (the anchoring address must be a\n"
    "                      controller: a capabilityInvocation secp256k1 key) and the\n"
    "                      Trusted Issuers Registry v5 accreditation (RootTAO, TAO or\n"
    "                      TI, in force; its signature is not verified) (default\n"
    "                      " DID_EBSI_DEFAULT_API ")\n"
    "      --contract ADDR the registry / Timestamp contract you trust (repeatable); for\n"
    "                      EBSI, its published Timestamp contract address\n"
    "      --timestamp-code  (ebsi bundles) the contract must run the committed\n"
    "                      contracts/Timestamp.sol code (a local EBSI-style ledger)\n"
    "      --revocations FILE|URL  a copy of the issuer's revocation log (from anywhere:\n"
    "                      the notary, a mirror, a file; http(s) URLs are fetched, at\n"
    "                      most 64 MiB). It is checked against the newest revocation\n"
    "                      checkpoint the issuer anchored; then the status is REVOKED\n"
    "                      (reason, revoked no later than checkpoint N's block time) or\n"
    "                      VALID as of checkpoint N. Without it the status is UNKNOWN\n"
    "                      unless the issuer never anchored a checkpoint\n"
    "      --log-window N  blocks per eth_getLogs request when looking for checkpoints\n"
    "                      (default 5000)\n"
    "      --confirmations N  blocks that must include the anchor (default 1)\n"
    "      --timeout SEC   time limit for the whole online verification: every ledger\n"
    "                      request, retry and log-copy download together (default 30;\n"
    "                      one request waits at most 10 s of it); when it runs out the\n"
    "                      status is UNKNOWN\n"
    "      --offline       check only the bundle's own proof, not the ledger: the root\n"
    "                      is then only as trustworthy as the bundle\n"
    "      --batch DIR|LIST|-  verify many credentials in one run: DIR holds credentials\n"
    "                      (NAME with NAME.proof.json, or embedded); LIST (or '-',\n"
    "                      stdin) has one entry a line: {\"credential\": PATH, \"proof\":\n"
    "                      PATH}, {\"hash\": HEX, \"proof\": PATH}, PATH (embedded) or\n"
    "                      PATH<TAB>BUNDLE. Each verdict is the one a single verify\n"
    "                      gives; ledger answers are shared for the run. Prints one\n"
    "                      --json object a line (plus \"input\"), counts per status on\n"
    "                      stderr; exit: any INVALID 1, else any ERROR 2, else any\n"
    "                      UNKNOWN 3, else any REVOKED 4, else 0 (none: 2)\n"
    "      --jobs N        --batch: verifications (ledger requests) at a time (1-64,\n"
    "                      default 8); --timeout is per entry\n"
    "      --json          print the result as JSON: {status, ledgerChecked,\n"
    "                      credentialHash, hashing, checks[{name, ok, outcome, detail}],\n"
    "                      error}\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status:\n"
    "  0  VALID    every check passed (offline: the ledger was not checked)\n"
    "  1  INVALID  a check failed: the bundle does not prove this credential\n"
    "  2  usage error, unreadable file or malformed bundle (JSON status \"ERROR\")\n"
    "  3  UNKNOWN  could not decide: no issuer established (give --issuer), a pending\n"
    "              bundle whose batch is not anchored or not\n"
    "              confirmed deep enough, the ledger could not be reached, or the\n"
    "              revocation status is unknown (no log copy, a copy that does not match\n"
    "              the anchored checkpoint, a revocation not yet anchored)\n"
    "  4  REVOKED  the credential was issued and anchored, and the issuer's anchored\n"
    "              revocation log revokes it\n";

/* An option's decimal value in lo..hi into *v (as strtoull reads it: the
 * whole of s, at least one digit). False when s is not that. */
static bool number_in(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *v)
{
    char *end;
    *v = strtoull(s, &end, 10);
    return !*end && end != s && *v >= lo && *v <= hi;
}

/* The last arms of a command's option switch: --help/-h (c == 'h') prints
 * usage and returns 0; anything else (getopt has said what) points to
 * `verifier CMD --help` and returns EXIT_USAGE. */
static int help_or_try(int c, const char *cmd, const char *usage)
{
    if (c == 'h')
        return fputs(usage, stdout), 0;
    fprintf(stderr, "Try 'verifier %s --help'.\n", cmd);
    return EXIT_USAGE;
}

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "verifier: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'verifier verify --help'.\n");
    return EXIT_USAGE;
}

/* Print the result (text or JSON) and return the exit status. */
static int finish(const struct verify_result *r, const struct bundle *b, bool json)
{
    if (r->status == VERIFY_ERROR && !json) {
        fprintf(stderr, "verifier: %s\n", r->error.msg);
        return EXIT_USAGE;
    }
    struct buf out = {0};
    struct err e = {0};
    bool unicode = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    err_code rc = json ? verify_report_json(r, &out, &e)
                       : verify_report_text(r, b, unicode, &out, &e);
    if (rc) {
        fprintf(stderr, "verifier: %s\n", e.msg);
        return EXIT_USAGE;
    }
    fwrite(out.p, 1, out.len, stdout);
    buf_free(&out);
    if (fflush(stdout) != 0) {
        perror("verifier: stdout");
        return EXIT_USAGE;
    }
    if (r->status == VERIFY_ERROR)
        fprintf(stderr, "verifier: %s\n", r->error.msg);
    return verify_exit_code(r->status);
}

static int cmd_verify(int argc, char **argv)
{
    enum { OPT_HASH = 256, OPT_OFFLINE, OPT_RPC, OPT_JSON, OPT_ISSUER, OPT_TRUSTED, OPT_CONF,
           OPT_TIMEOUT, OPT_CONTRACT, OPT_TSCODE, OPT_REVOCATIONS, OPT_LOGWIN, OPT_CAFILE,
           OPT_RESOLVE, OPT_BATCH, OPT_JOBS, OPT_EBSI_API };
    static const struct option opts[] = {
        {"proof", required_argument, NULL, 'p'}, {"hash", required_argument, NULL, OPT_HASH},
        {"offline", no_argument, NULL, OPT_OFFLINE}, {"rpc", required_argument, NULL, OPT_RPC},
        {"json", no_argument, NULL, OPT_JSON},       {"help", no_argument, NULL, 'h'},
        {"issuer", required_argument, NULL, OPT_ISSUER},
        {"trusted-issuers", required_argument, NULL, OPT_TRUSTED},
        {"confirmations", required_argument, NULL, OPT_CONF},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"revocations", required_argument, NULL, OPT_REVOCATIONS},
        {"log-window", required_argument, NULL, OPT_LOGWIN},
        {"contract", required_argument, NULL, OPT_CONTRACT},
        {"timestamp-code", no_argument, NULL, OPT_TSCODE},
        {"ca-file", required_argument, NULL, OPT_CAFILE},
        {"resolve", required_argument, NULL, OPT_RESOLVE},
        {"ebsi-api", required_argument, NULL, OPT_EBSI_API},
        {"batch", required_argument, NULL, OPT_BATCH},
        {"jobs", required_argument, NULL, OPT_JOBS},
        {NULL, 0, NULL, 0},
    };
    const char *proof = NULL, *hash = NULL, *rpc = NULL, *trusted_file = NULL;
    bool offline = false, json = false;
    static struct verify_trusted trusted;
    const char *ca_file = getenv("NOTARY_CA_FILE"), *ebsi_api = NULL;
    static const char *resolve[16];
    size_t n_resolve = 0;
    static struct addr20 contracts[VERIFY_MAX_TRUSTED];
    size_t n_contracts = 0;
    bool timestamp_code = false;
    const char *revocations = NULL, *batch = NULL;
    unsigned long long confirmations = 1, timeout_s = 30, log_window = 0, jobs = 8;
    struct err ae = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            proof = optarg;
            break;
        case OPT_HASH:
            hash = optarg;
            break;
        case OPT_OFFLINE:
            offline = true;
            break;
        case OPT_RPC:
            rpc = optarg;
            break;
        case OPT_JSON:
            json = true;
            break;
        case OPT_ISSUER:
            if (verify_trusted_add(&trusted, optarg, &ae)) {
                fprintf(stderr, "verifier: --issuer %s: %s\nTry 'verifier verify --help'.\n",
                        optarg, ae.msg);
                return EXIT_USAGE;
            }
            break;
        case OPT_CAFILE:
            ca_file = optarg;
            break;
        case OPT_EBSI_API:
            if (strncmp(optarg, "https://", 8) != 0 || strlen(optarg) >= DID_EBSI_API_MAX)
                return usage_error("--ebsi-api %s: give an https:// URL (EBSI's API base)", optarg);
            ebsi_api = optarg;
            break;
        case OPT_RESOLVE:
            if (n_resolve >= sizeof resolve / sizeof resolve[0])
                return usage_error("%stoo many --resolve options (at most 16)", "");
            if (!strchr(optarg, ':') || strchr(optarg, ':') == strrchr(optarg, ':'))
                return usage_error("--resolve %s: give HOST:PORT:ADDRESS", optarg);
            resolve[n_resolve++] = optarg;
            break;
        case OPT_TRUSTED:
            trusted_file = optarg;
            break;
        case OPT_CONF:
            if (!number_in(optarg, 1, 100000, &confirmations))
                return usage_error("--confirmations %s: give a number from 1 to 100000", optarg);
            break;
        case OPT_CONTRACT:
            if (n_contracts >= VERIFY_MAX_TRUSTED)
                return usage_error("%stoo many --contract options", "");
            if (addr20_from_hex(optarg, &contracts[n_contracts], &ae))
                return usage_error("--contract %s: not an address (0x + 40 hex digits)", optarg);
            n_contracts++;
            break;
        case OPT_TSCODE:
            timestamp_code = true;
            break;
        case OPT_REVOCATIONS:
            revocations = optarg;
            break;
        case OPT_LOGWIN:
            if (!number_in(optarg, 1, 1000000, &log_window))
                return usage_error("--log-window %s: give a number of blocks from 1 to 1000000",
                                   optarg);
            break;
        case OPT_BATCH:
            batch = optarg;
            break;
        case OPT_JOBS:
            if (!number_in(optarg, 1, VERIFY_BATCH_MAX_JOBS, &jobs))
                return usage_error("--jobs %s: give a number from 1 to 64", optarg);
            break;
        case OPT_TIMEOUT:
            if (!number_in(optarg, 1, 600, &timeout_s))
                return usage_error("--timeout %s: give seconds from 1 to 600", optarg);
            break;
        case 'h':
        default:
            return help_or_try(c, "verify", VERIFY_USAGE);
        }
    }
    const char *credential = optind < argc ? argv[optind] : NULL;
    if (batch && (credential || hash || proof))
        return usage_error("%s--batch names every credential and bundle: give no CREDENTIAL, "
                           "--hash or --proof with it", "");
    if (optind + 1 < argc)
        return usage_error("unexpected argument '%s': give one credential", argv[optind + 1]);
    if (!credential && !hash && !batch)
        return usage_error("%sgive a CREDENTIAL file or --hash HEX", "");
    if (credential && hash)
        return usage_error("%sgive either a CREDENTIAL file or --hash HEX, not both", "");
    if (!proof && !credential && !batch)
        return usage_error("%s--proof BUNDLE is required with --hash", "");
    if (!offline && !rpc)
        return usage_error("%sonline verification needs --rpc URL (a ledger JSON-RPC endpoint); "
                           "use --offline to check only the bundle's own proof",
                           "");
    if (offline && rpc)
        return usage_error("%s--offline and --rpc exclude each other", "");
    if (offline && revocations)
        return usage_error("%s--revocations needs the ledger (--rpc URL): a log copy proves "
                           "nothing without the anchored checkpoints",
                           "");
    if (offline && (trusted.n_addrs || trusted.n_dids || trusted_file || n_contracts ||
                    timestamp_code))
        return usage_error("%s--issuer/--trusted-issuers/--contract need the ledger (--rpc URL)",
                           "");
    /* Standard input can be read once: two inputs from '-' would give the
     * second one nothing (and a confusing "empty document" error). */
    {
        const char *names[] = {"CREDENTIAL", "--proof", "--trusted-issuers", "--revocations",
                               "--batch"};
        const char *vals[] = {credential, proof, trusted_file, revocations, batch};
        const char *first = NULL;
        for (size_t i = 0; i < 5; i++) {
            if (!vals[i] || strcmp(vals[i], "-") != 0)
                continue;
            if (first) {
                fprintf(stderr,
                        "verifier: %s and %s are both '-': standard input cannot serve both; "
                        "give one of them as a file\nTry 'verifier verify --help'.\n",
                        first, names[i]);
                return EXIT_USAGE;
            }
            first = names[i];
        }
    }
    if (trusted_file && verify_trusted_read(trusted_file, &trusted, &ae)) {
        fprintf(stderr, "verifier: %s\n", ae.msg);
        return EXIT_USAGE;
    }
    if (ca_file && !*ca_file)
        ca_file = NULL;

    const struct verify_run_opts ro = {.rpc_url = rpc, .trusted = &trusted, .ca_file = ca_file,
                                       .ebsi_api = ebsi_api,
                                       .resolve = resolve, .n_resolve = n_resolve,
                                       .contracts = contracts, .n_contracts = n_contracts,
                                       .timestamp_code = timestamp_code,
                                       .revocations = revocations,
                                       .confirmations = confirmations, .log_window = log_window,
                                       .timeout_s = (unsigned)timeout_s};
    if (batch)
        return verify_batch_main(batch, &ro, (unsigned)jobs);
    /* Input errors (exit 2) are reported in the chosen format too, so a
     * script reading --json always gets a JSON document. */
    static struct verify_work w;
    const struct verify_input in = {.credential = credential, .hash = hash, .proof = proof};
    if (verify_run_one(&ro, &in, &w) == VRUN_USAGE)
        return usage_error("%s", w.r.error.msg);
    return finish(&w.r, w.r.status == VERIFY_ERROR ? NULL : &w.b, json);
}

/* ---- audit (issue 5) ------------------------------------------------------ */

static const char AUDIT_USAGE[] =
    "Usage: verifier audit --issuer ADDR --rpc URL [--contract ADDR] [--revocations FILE|URL]\n"
    "                      [--json] [--html FILE] [--from-block N] [--log-window N]\n"
    "       verifier audit --ledger ebsi --contract ADDR --issuer ADDR --rpc URL [...]\n"
    "\n"
    "List every issuance batch and revocation checkpoint the issuer anchored on the\n"
    "registry (Anchored events, read in bounded block windows) with block times, and\n"
    "check the history: the contract runs the NotaryRegistry code; sequence numbers\n"
    "are contiguous per kind (against the registry's own counters); with a copy of\n"
    "the issuer's revocation log, every consecutive pair of checkpoints is consistent\n"
    "(RFC 9162 consistency proofs), every checkpoint's root is the root of the log's\n"
    "prefix of that size, the copy matches the newest checkpoint, and every checkpoint\n"
    "the copy lists is the issuer's own. Each anomaly is reported by name\n"
    "(docs/revocation-format.md): seq-gap, checkpoint-inconsistent, log-mismatch,\n"
    "entry-removed, entries-reordered, entry-time-changed, log-truncated,\n"
    "foreign-checkpoint, ...\n"
    "\n"
    "Options:\n"
    "      --issuer ADDR   the issuer's address (required)\n"
    "      --rpc URL       YOUR choice of ledger JSON-RPC endpoint (required)\n"
    "      --contract ADDR the registry (default: the one the log copy names); for\n"
    "                      --ledger ebsi, EBSI's Timestamp contract (required)\n"
    "      --ledger evm|ebsi  evm: the NotaryRegistry (Anchored events, its counters);\n"
    "                      ebsi: the issuer's HashTimestamped records on the Timestamp\n"
    "                      contract, sequence numbers checked from the events alone\n"
    "                      (default: the log copy's ledger, else evm)\n"
    "      --timestamp-code  (ebsi) the contract must run the committed\n"
    "                      contracts/Timestamp.sol code (a local EBSI-style ledger)\n"
    "      --revocations FILE|URL  a copy of the issuer's revocation log\n"
    "      --json          print the report as JSON\n"
    "      --html FILE     also write a self-contained HTML report (timeline chart of\n"
    "                      issuance and revocations per day, findings, the history)\n"
    "      --from-block N  first block to scan (default 0)\n"
    "      --log-window N  blocks per eth_getLogs request (default 5000)\n"
    "      --confirmations N  ignore anchors in the newest N-1 blocks (default 1)\n"
    "      --timeout SEC   per-request timeout (default 10)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 clean, 1 anomalies found, 2 usage or input error, 3 incomplete\n"
    "(the ledger or the log copy could not be read).\n";

static int cmd_audit(int argc, char **argv)
{
    enum { OPT_ISSUER = 256, OPT_RPC, OPT_CONTRACT, OPT_REV, OPT_JSON, OPT_HTML, OPT_FROM,
           OPT_WIN, OPT_CONF, OPT_TIMEOUT, OPT_LEDGER, OPT_TSCODE };
    static const struct option opts[] = {
        {"issuer", required_argument, NULL, OPT_ISSUER},
        {"rpc", required_argument, NULL, OPT_RPC},
        {"contract", required_argument, NULL, OPT_CONTRACT},
        {"revocations", required_argument, NULL, OPT_REV},
        {"json", no_argument, NULL, OPT_JSON},
        {"html", required_argument, NULL, OPT_HTML},
        {"from-block", required_argument, NULL, OPT_FROM},
        {"log-window", required_argument, NULL, OPT_WIN},
        {"confirmations", required_argument, NULL, OPT_CONF},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"ledger", required_argument, NULL, OPT_LEDGER},
        {"timestamp-code", no_argument, NULL, OPT_TSCODE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct audit_opts o = {.confirmations = 1, .max_attempts = 3, .timeout_ms = 10000};
    bool have_issuer = false, json = false;
    const char *html = NULL;
    struct err e = {0};
    unsigned long long v;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_ISSUER:
            if (addr20_from_hex(optarg, &o.issuer, &e))
                return usage_error("--issuer %s: not an address (0x + 40 hex digits)", optarg);
            have_issuer = true;
            break;
        case OPT_CONTRACT:
            if (addr20_from_hex(optarg, &o.contract, &e))
                return usage_error("--contract %s: not an address (0x + 40 hex digits)", optarg);
            o.have_contract = true;
            break;
        case OPT_RPC: o.rpc_url = optarg; break;
        case OPT_REV: o.source = optarg; break;
        case OPT_LEDGER:
            if (strcmp(optarg, "evm") == 0)
                o.ledger = BUNDLE_LEDGER_EVM;
            else if (strcmp(optarg, "ebsi") == 0)
                o.ledger = BUNDLE_LEDGER_EBSI;
            else
                return usage_error("--ledger %s: give evm or ebsi", optarg);
            o.have_ledger = true;
            break;
        case OPT_TSCODE: o.timestamp_code = true; break;
        case OPT_JSON: json = true; break;
        case OPT_HTML: html = optarg; break;
        case OPT_FROM:
        case OPT_WIN:
        case OPT_CONF:
        case OPT_TIMEOUT:
            if (!number_in(optarg, c != OPT_FROM, c == OPT_FROM ? ULLONG_MAX : 1000000, &v))
                return usage_error("option value %s: give a positive number", optarg);
            if (c == OPT_FROM)
                o.from_block = v;
            else if (c == OPT_WIN)
                o.window = v;
            else if (c == OPT_CONF)
                o.confirmations = v;
            else if (v > 600)
                return usage_error("--timeout %s: give seconds from 1 to 600", optarg);
            else
                o.timeout_ms = (unsigned)v * 1000;
            break;
        case 'h':
        default:
            return help_or_try(c, "audit", AUDIT_USAGE);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!have_issuer || !o.rpc_url)
        return usage_error("%saudit needs --issuer ADDR and --rpc URL", "");
    struct audit_report r;
    err_code rc = audit_run(&o, &r, &e);
    if (rc) {
        fprintf(stderr, "verifier: audit: %s\n", e.msg);
        audit_report_free(&r);
        return rc == E_INVALID ? EXIT_USAGE : 3;
    }
    struct buf out = {0};
    rc = json ? audit_report_json(&r, &out, &e) : audit_report_text(&r, &out, &e);
    if (!rc)
        fwrite(out.p, 1, out.len, stdout);
    buf_free(&out);
    if (!rc && html) {
        struct buf page = {0};
        if (!(rc = audit_report_html(&r, &page, &e)))
            rc = file_write_atomic(html, page.p, page.len, 0644, &e);
        buf_free(&page);
    }
    int code = rc ? EXIT_USAGE : r.anomalies ? 1 : r.incomplete ? 3 : 0;
    if (rc)
        fprintf(stderr, "verifier: audit: %s\n", e.msg);
    audit_report_free(&r);
    return code;
}

int main(int argc, char **argv)
{
    setlocale(LC_CTYPE, "");
    if (argc < 2) {
        fputs(MAIN_USAGE, stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(MAIN_USAGE, stdout);
        return 0;
    }
    if (strcmp(argv[1], "verify") == 0)
        return cmd_verify(argc - 1, argv + 1);
    if (strcmp(argv[1], "audit") == 0)
        return cmd_audit(argc - 1, argv + 1);
    fprintf(stderr, "verifier: unknown command '%s'\nTry 'verifier --help'.\n", argv[1]);
    return EXIT_USAGE;
}
