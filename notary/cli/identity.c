/*
 * notary/cli/identity.c — `notary identity did-web`: the DID document an
 * issuer publishes so that verifiers can name it (`verifier verify --issuer
 * did:web:...`, issue 14 item 2). The DID and its URL come from
 * anchor/did.h (the same rules the verifier resolves by); the account is the
 * store's issuer address and chain id, as `notary status` shows them. No
 * key is read and nothing is changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/did.h"
#include "anchor/signer.h"
#include "core/fileio.h"
#include "notary/cli/commands.h"
#include "notary/cli/common.h"

static const char IDENTITY_USAGE[] =
    "usage: notary identity did-web --domain HOST[:PORT][/PATH...] [--name NAME] [--out FILE]\n"
    "\n"
    "Print the did:web DID document that names this notary's issuer address:\n"
    "its id is the DID (did:web:HOST[%3APORT][:PATH...]), its verification method\n"
    "an EcdsaSecp256k1RecoveryMethod2020 with blockchainAccountId\n"
    "eip155:CHAIN:ADDRESS (the store's chain id and issuer address, EIP-55).\n"
    "Publish it at https://HOST[:PORT]/.well-known/did.json (no PATH) or\n"
    "https://HOST[:PORT]/PATH.../did.json; verifiers then pass --issuer DID.\n"
    "\n"
    "options:\n"
    "  --domain D   where the document is served: HOST, HOST:PORT, HOST/PATH...\n"
    "  --name NAME  the issuer's name (e.g. University of Helsinki), written as a\n"
    "               service of type CredentialNotaryIssuer whose serviceEndpoint is\n"
    "               {\"name\": NAME}; verifiers show it (issued by DID - NAME)\n"
    "  --out FILE   write the document to FILE instead of stdout\n"
    "\n"
    "exit status: 0 ok, 1 failed, 2 usage or input error.\n";

/* NAME for the name service: 1..120 bytes of valid UTF-8 without control
 * characters (the verifier reads up to 127 bytes and shows printable ASCII,
 * other bytes as '?'). */
static bool name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > 120)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)n[i] < 0x20 || n[i] == 0x7f)
            return false;
    json_t *j = json_string(n); /* NULL when not valid UTF-8 */
    json_decref(j);
    return j != NULL;
}

/* The document of `did` listing (chain, issuer). Returned owned. */
static json_t *did_document(const char *did, const char *chain, const struct addr20 *issuer,
                            const char *name)
{
    char addr[43], vm_id[DID_MAX_LEN + 16], account[80];
    eth_address_checksum(issuer, addr);
    snprintf(vm_id, sizeof vm_id, "%s#issuer", did);
    snprintf(account, sizeof account, "eip155:%s:%s", chain, addr);
    json_t *doc = json_pack(
        "{s:[s,s], s:s, s:[{s:s, s:s, s:s, s:s}], s:[s], s:[s]}", "@context",
        "https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/secp256k1recovery-2020/v2",
        "id", did, "verificationMethod", "id", vm_id, "type", DID_ACCOUNT_TYPE, "controller", did,
        "blockchainAccountId", account, "assertionMethod", vm_id, "authentication", vm_id);
    /* DID Core's alsoKnownAs holds URIs only: the name goes in a service
     * entry of our documented type (docs/proof-format.md "Issuer identity"). */
    char svc_id[DID_MAX_LEN + 16];
    snprintf(svc_id, sizeof svc_id, "%s#name", did);
    if (doc && name &&
        json_object_set_new(doc, "service",
                            json_pack("[{s:s, s:s, s:{s:s}}]", "id", svc_id, "type",
                                      DID_NAME_SERVICE_TYPE, "serviceEndpoint", "name", name))) {
        json_decref(doc);
        doc = NULL;
    }
    return doc;
}

static int identity_did_web(int argc, char **argv)
{
    const char *domain = NULL, *name = NULL, *out = NULL;
    const struct cli_opt opts[] = {CLI_VALUE("domain", &domain), CLI_VALUE("name", &name),
                                   CLI_VALUE("out", &out), CLI_HELP, {0}};
    struct cli_args args = {"identity did-web", IDENTITY_USAGE, opts, CLI_CONTINUE, NULL};
    int code = cli_parse(&args, argc, argv, 0);
    if (code != CLI_CONTINUE)
        return code;
    if (!domain)
        return cli_usage_error("identity did-web",
                               "--domain is needed: where the document will be served "
                               "(uni.example, uni.example:8443 or uni.example/issuers)");
    if (name && !name_ok(name))
        return cli_usage_error("identity did-web", "--name must be 1..120 bytes of UTF-8 "
                                                   "text without control characters");
    char did[DID_MAX_LEN], url[DID_URL_MAX];
    struct err e = {0};
    err_code rc = did_web_from_domain(domain, did, url, &e);
    if (rc)
        return cli_fail(EXIT_USAGE, &e);
    struct cli_ctx cx;
    if ((code = cli_open(&cx)) != CLI_CONTINUE)
        return code;
    char *issuer_hex = NULL, *chain = NULL;
    struct addr20 issuer;
    if ((rc = store_meta_get(cx.store, "issuer", &issuer_hex, &cx.e)) ||
        (rc = store_meta_get(cx.store, "chain_id", &chain, &cx.e)) ||
        (rc = eth_address_parse(issuer_hex, &issuer, &cx.e))) {
        cli_close(&cx);
        free(issuer_hex);
        free(chain);
        return cli_fail(cli_exit_for(rc), &cx.e);
    }
    cli_close(&cx);
    json_t *doc = did_document(did, chain, &issuer, name);
    char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(doc);
    free(issuer_hex);
    free(chain);
    if (!text) {
        err_set(&e, E_NOMEM, "out of memory");
        return cli_fail(EXIT_FAIL, &e);
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps leaves room for its NUL: swap it for a newline */
    if (out) {
        rc = file_write_atomic(out, text, len + 1, 0644, &e);
    } else if (fwrite(text, 1, len + 1, stdout) != len + 1 || fflush(stdout) != 0) {
        rc = err_set(&e, E_IO, "cannot write the document to stdout");
    }
    free(text);
    if (rc)
        return cli_fail(cli_exit_for(rc), &e);
    fprintf(stderr,
            "notary: publish %s at %s (HTTPS, served as is: no redirect);\n"
            "notary: verifiers then check bundles with `verifier verify --issuer %s`\n",
            out ? out : "this document", url, did);
    return EXIT_OK;
}

int cmd_identity(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "did-web"))
        return identity_did_web(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(IDENTITY_USAGE, stdout);
        return EXIT_OK;
    }
    return cli_usage_error("identity", "the subcommand is did-web (`notary identity did-web "
                                       "--domain HOST`)");
}
