#!/usr/bin/env bash
# tests/cli/web_online.sh — the browser verifier's ledger checks (web/verify.js
# with rpc, web/online.js, web/revocation.js) reach the CLI's verdicts on a
# real local ledger (ganache, started here on a free loopback port and stopped
# by its PID): a notary anchors a batch, revokes and checkpoints; the cases are
# its real bundles, each tampered ledger kind (root, transaction, block number,
# block hash — stale, block time, chain, contract), a wrong issuer, too few
# confirmations, a pending bundle, revoked / not revoked / no log copy /
# pending revocation / a tampered copy, an unreachable ledger, and on
# NotaryRegistry2 the bundles of a rotated, a current and a compromised key,
# a key pinned as the issuer, a bundle naming the key, revoked / not revoked,
# a copy of a checkpoint whose key no longer counts, a node behind the others
# (anchoredAt empty at its head: UNKNOWN). Each case
# goes through `verifier verify --rpc URL --issuer ADDR --json` and through
# verifyCredential() in Node (tests/js/web_online.mjs): same status, same
# check names and outcomes. Also: ganache answers the page's CORS preflight.
# The cases are left in $WEB_ONLINE_CASES when set (tests/cli/web_browser.sh
# runs them in chromium). Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
. tests/lib/web.sh
. tests/lib/pki.sh
notary_test_begin web-online
HTTP_PID=
command -v node >/dev/null || { fail "node is not installed (scripts/setup.sh)"; finish; }
check "web/noble-*.js and web/registry.json are what scripts/vendor-web.mjs makes" node scripts/vendor-web.mjs --check

notary_ledger_start default
notary_dir
expect_exit 0 "init" notary_init_evm "$NOTARY_DATA" "$d/key.hex" --json
contract=$(json_field contract <<<"$LAST_OUT")
issuer=$(tr 'A-F' 'a-f' <<<"$DEV_ADDR_0")
for i in 0 1 2 3 4; do printf 'credential %s' "$i" >"$d/c$i.txt"; "$NOTARY" submit --credential "$d/c$i.txt" >/dev/null; done

# --- a did:web host: HTTPS with a CA made here, CORS headers (tests/js/web_didhost.mjs) ---
pki=$tmp/pki; www=$tmp/www; mkdir -p "$www"
pki_make "$pki" localhost "web did:web test CA" || { fail "openssl: $(tail -3 "$pki/openssl.log")"; finish; }
node tests/js/web_didhost.mjs "$www" "$tmp/did.port" "$pki/srv.pem" "$pki/srv.key" 900 >"$tmp/didhost.log" 2>&1 &
DIDHOST_PID=$!
notary_on_exit 'kill "$DIDHOST_PID" 2>/dev/null; wait "$DIDHOST_PID" 2>/dev/null'
for _ in $(seq 1 100); do [ -s "$tmp/did.port" ] && break; sleep 0.05; done
[ -s "$tmp/did.port" ] || { fail "the did:web host did not start: $(cat "$tmp/didhost.log")"; finish; }
DIDP=$(cat "$tmp/did.port")
DID="did:web:localhost%3A$DIDP"
# the verifiers trust the test CA for this test only: the CLI by --ca-file, Node by
# NODE_EXTRA_CA_CERTS, chromium by the server key's SPKI hash
export WEB_DID_CA=$pki/ca.pem NODE_EXTRA_CA_CERTS=$pki/ca.pem
WEB_DID_SPKI=$(openssl x509 -in "$pki/srv.pem" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64)
export WEB_DID_SPKI
# VCs naming their issuer (W3C VC "issuer": a string, or an object's "id")
vc() { # vc NAME ISSUER-JSON: $d/cNAME.txt, submitted to the batch
    printf '{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"],"issuer":%s,"credentialSubject":{"id":"did:example:student","degree":"MSc %s"}}\n' \
        "$2" "$1" >"$d/c$1.txt"
    "$NOTARY" submit --credential "$d/c$1.txt" >/dev/null
}
vc vlisted "{\"id\":\"$DID\",\"name\":\"Uni\"}"
vc vpath "\"$DID:registrar\""
vc vother "\"$DID:other\""
vc vdown "\"did:web:localhost%3A$(ledger_free_port)\""
vc vmalformed "\"$DID:malformed\""
vc vredirect "\"$DID:redirect\""
vc vbig "\"$DID:big\""
vc vmissing "\"$DID:missing\""
vc vebsi '"did:ebsi:zvHWX359A3CvfJnCYaAiAde"'
vc vurl '"https://uni.example"'
vc vnone '""'
vc vnocors "\"$DID:nocors\""
did_doc() { # did_doc DIR ID ADDRESS [CHAIN]: $www/DIR/did.json, with the issuer's name service
    mkdir -p "$www/$1"
    cat >"$www/$1/did.json" <<JSON
{"@context":["https://www.w3.org/ns/did/v1"],"id":"$2","alsoKnownAs":["https://uni.example"],
 "verificationMethod":[
  {"id":"$2#ed","type":"Ed25519VerificationKey2020","controller":"$2","publicKeyMultibase":"z6Mk"},
  {"id":"$2#key-1","type":"EcdsaSecp256k1RecoveryMethod2020","controller":"$2","blockchainAccountId":"eip155:${4:-1337}:$3"}],
 "service":[{"id":"$2#name","type":"CredentialNotaryIssuer","serviceEndpoint":{"name":"University of Testing"}}]}
JSON
}
"$NOTARY" close >/dev/null
expect_exit 0 "anchor the batch" "$NOTARY" anchor --poll-ms 100
h() { sha256sum "$d/c$1.txt" | cut -c1-64; }
for i in 0 1 2 3 4; do "$NOTARY" proof "$(h "$i")" >"$d/b$i.json"; done
printf 'credential 9' >"$d/c9.txt"; "$NOTARY" submit --credential "$d/c9.txt" >/dev/null; "$NOTARY" close >/dev/null
"$NOTARY" proof "$(h 9)" >"$d/b9.json"
grep -q '"anchor"' "$d/b9.json" && fail "the batch of c9 should be pending" || ok "c9's bundle is pending"
for n in vlisted vpath vother vdown vmalformed vredirect vbig vmissing vebsi vurl vnone vnocors; do "$NOTARY" proof --credential "$d/c$n.txt" >"$d/b$n.json"; done
# c9's batch anchored after its pending bundle was taken: a second anchor for the batch runs
expect_exit 0 "anchor the second batch" "$NOTARY" anchor --poll-ms 100
"$NOTARY" proof "$(h 9)" >"$d/b9a.json"
CHAIN=$(json_field anchor.chainId <"$d/b0.json")
OTHER=0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0
did_doc .well-known "$DID" "$DEV_ADDR_0" "$CHAIN"
did_doc registrar "$DID:registrar" "$(tr 'A-F' 'a-f' <<<"$DEV_ADDR_0")" "$CHAIN"
did_doc other "$DID:other" "$OTHER" "$CHAIN"
did_doc otherchain "$DID:otherchain" "$DEV_ADDR_0" 1
did_doc nocors "$DID:nocors" "$DEV_ADDR_0" "$CHAIN"
did_doc mismatch "did:web:evil.example" "$DEV_ADDR_0" "$CHAIN"
mkdir -p "$www/malformed"
printf '{"id":"%s","verificationMethod":[{"id":"#k","type":"EcdsaSecp256k1RecoveryMethod2020","blockchainAccountId":"%s"}]}' \
    "$DID:malformed" "$DEV_ADDR_0" >"$www/malformed/did.json"

# run_cases DIR: every case of DIR through the CLI and verify.js (tests/js/web_online.mjs).
run_cases() {
    web_results "" "online cases in $1" "$(node tests/js/web_online.mjs "$VERIFIER" "$1" "$LEDGER_URL" 2>&1)"
    # the same cases in batch runs (web/batch.js verifyCredentials): each result as verifyCredential's alone
    web_results "batch: " "batch runs of $1" "$(node tests/js/web_batch.mjs "$1" "$LEDGER_URL" 2>&1)"
}
# Before any revocation checkpoint: VALID without a log copy.
cases=$tmp/before
mkdir -p "$cases"
mk() { web_case "$@"; } # mk NAME EXPECT CRED BUNDLE [JSON-EDIT-PY] [k=v...]: tests/lib/web.sh
Z=0000000000000000000000000000000000000000000000000000000000000001
mk valid-never-checkpointed VALID 0 0 ""
mk other-valid-never-checkpointed VALID 2 2 ""
web_tamper_cases
mk bad-ledger-url UNKNOWN 0 0 "" "rpc=ftp://127.0.0.1/"
mk second-batch-valid VALID 9 9a ""
mk second-batch-tampered-root INVALID 9 9a "b['batch']['root'] = '$Z'"
# The issuer (verifier/issuer.c, docs/proof-format.md §5.0.1): nothing pinned → the VC's own did:web issuer, else UNKNOWN.
mk no-issuer-raw-file UNKNOWN 0 0 "" "issuer="
mk no-issuer-vc-without-issuer UNKNOWN vnone vnone "" "issuer="
mk vc-did-listed VALID vlisted vlisted "" "issuer="
mk vc-did-path-listed VALID vpath vpath "" "issuer="
mk vc-did-lists-another INVALID vother vother "" "issuer="
mk vc-did-malformed-document INVALID vmalformed vmalformed "" "issuer="
mk vc-did-redirect INVALID vredirect vredirect "" "issuer="
mk vc-did-too-big INVALID vbig vbig "" "issuer="
mk vc-did-404 UNKNOWN vmissing vmissing "" "issuer="
mk vc-did-unreachable UNKNOWN vdown vdown "" "issuer="
mk vc-did-ebsi UNKNOWN vebsi vebsi "" "issuer="
mk vc-issuer-url UNKNOWN vurl vurl "" "issuer="
mk vc-pinned-address-beats-claim VALID vother vother ""
mk vc-pinned-did-listed VALID vother vother "" "issuer=$DID"
# given did:web DIDs (--issuer DID)
mk did-listed VALID 0 0 "" "issuer=$DID"
mk did-path-listed VALID 0 0 "" "issuer=$DID:registrar"
mk did-lists-another INVALID 0 0 "" "issuer=$DID:other"
mk did-other-chain INVALID 0 0 "" "issuer=$DID:otherchain"
mk did-id-mismatch INVALID 0 0 "" "issuer=$DID:mismatch"
mk did-malformed INVALID 0 0 "" "issuer=$DID:malformed"
mk did-404 UNKNOWN 0 0 "" "issuer=$DID:missing"
mk did-unreachable UNKNOWN 0 0 "" "issuer=did:web:localhost%3A$(ledger_free_port)"
mk did-redirect INVALID 0 0 "" "issuer=$DID:redirect"
mk did-too-big INVALID 0 0 "" "issuer=$DID:big"
# A load-balanced node behind the others (tests/faultproxy "behind"): its head is the block before
# batch 0's anchor, so anchoredAt at "latest" is empty while the receipt and its event are there;
# asked again at the receipt's block the record is there: the ledger's inconsistency, UNKNOWN, not
# INVALID (verifier/online_flow.h online_record_read, web/online.js recordRead).
. tests/faultproxy/proxy.sh
proxy_start || fail "the fault proxy did not start"
notary_on_exit proxy_stop
b0block=$(json_field anchor.blockNumber <"$d/b0.json")
proxy_fault "{\"method\":\"eth_call\",\"action\":\"behind\",\"block\":\"$(printf '0x%x' $((b0block - 1)))\",\"count\":-1}"
mk lagging-node-record UNKNOWN 0 0 "" "rpc=$PROXY_URL"
run_cases "$cases"
behind=$(proxy_stat rules.0.hits)
[ "$behind" -gt 0 ] 2>/dev/null && ok "the lagging node answered $behind eth_call at latest from block $((b0block - 1))" \
    || fail "the fault proxy never played the lagging node (rule hits: $behind)"
# DID documents probing each rule, and mutated ones: the page's parser decides as anchor/did.c (tests/js/web_diddiff.mjs)
out=$(node tests/js/web_diddiff.mjs "$VERIFIER" "$cases/valid-never-checkpointed" "$LEDGER_URL" "$www" "$DID" "$DEV_ADDR_0" "$CHAIN" 2>&1)
grep '^FAIL' <<<"$out" | while IFS= read -r l; do echo "       $l"; done
grep -qE '^[0-9]+ passed, 0 failed$' <<<"$out" && ok "DID documents: the page's rules are the CLI's ($(tail -n 1 <<<"$out"))" \
    || fail "DID documents: $(tail -n 1 <<<"$out")"

# --- NotaryRegistry2 (issue 14): an identity, a rotation, a compromise -------------------
# A second notary on the same ledger with an identity (a keystore without funds):
# key 1 anchors c20, is rotated out; key 2 anchors c21, c23 and c22, revokes c23
# in checkpoint 0 and is declared compromised since c22's block (so checkpoint 0
# no longer counts); key 3 revokes c22 in checkpoint 1. Same harness, a case
# list of its own.
v2cases() {
    local IDPW="identity $RANDOM" ID k2 blk
    notary_key_file "$d/idpw" "$IDPW"
    notary_key_file "$d/key1.hex" "$DEV_KEY_1"
    ID=$(node -e '
        const { ethers } = require("ethers"); const w = ethers.Wallet.createRandom();
        require("fs").writeFileSync(process.argv[2], ethers.encryptKeystoreJsonSync({ address: w.address, privateKey: w.privateKey },
            process.argv[1], { scrypt: { N: 4096 } }), { mode: 0o600 });
        console.log(w.address.toLowerCase());' "$IDPW" "$d/identity.json") || return 1
    local IDK=(--identity-key "$d/identity.json" --identity-password-file "$d/idpw")
    export NOTARY_DATA=$d/v2
    NOTARY_IDENTITY_PASSWORD=$IDPW "$NOTARY" init --rpc "$LEDGER_URL" --deploy --import-key "$d/key1.hex" --kdf-light \
        --identity-key "$d/identity.json" >/dev/null || return 1
    for i in 20 21 23 22; do
        printf 'credential %s' "$i" >"$d/c$i.txt"
        "$NOTARY" submit --credential "$d/c$i.txt" >/dev/null && "$NOTARY" close >/dev/null &&
            "$NOTARY" anchor --poll-ms 100 >/dev/null && "$NOTARY" proof "$(h "$i")" >"$d/b$i.json" || return 1
        if [ "$i" = 20 ]; then
            k2=$("$NOTARY" key rotate "${IDK[@]}" --kdf-light --json | json_field anchoringKey) || return 1
            ledger_rpc evm_setAccountBalance "[\"$k2\",\"0x56BC75E2D63100000\"]" >/dev/null
        fi
    done
    blk=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["anchor"]["blockNumber"])' "$d/b22.json")
    "$NOTARY" revoke "$(h 23)" --reason fraud >/dev/null && "$NOTARY" checkpoint --poll-ms 100 >/dev/null &&
        "$NOTARY" revocations export --out "$cases/v2log1.json" >/dev/null || return 1
    "$NOTARY" key compromised "${IDK[@]}" --since "$blk" >/dev/null || return 1
    k2=$("$NOTARY" key rotate "${IDK[@]}" --kdf-light --json | json_field anchoringKey) || return 1
    ledger_rpc evm_setAccountBalance "[\"$k2\",\"0x56BC75E2D63100000\"]" >/dev/null
    "$NOTARY" revoke "$(h 22)" --reason withdrawn >/dev/null && "$NOTARY" checkpoint --poll-ms 100 >/dev/null &&
        "$NOTARY" revocations export --out "$cases/v2log2.json" >/dev/null || return 1
    export NOTARY_DATA=$d/data
    local issuer=$ID
    mk v2-rotated-key VALID 20 20 "" revocations=v2log2.json
    mk v2-current-key VALID 21 21 "" revocations=v2log2.json
    mk v2-compromised-key INVALID 22 22 ""
    mk v2-key-as-issuer INVALID 21 21 "" "issuer=$(tr 'A-F' 'a-f' <<<"$DEV_ADDR_1")"
    mk v2-bundle-names-the-key INVALID 20 20 "b['anchor']['issuer'] = '$(tr 'A-F' 'a-f' <<<"$DEV_ADDR_1")'" \
        "issuer=$(tr 'A-F' 'a-f' <<<"$DEV_ADDR_1")"
    mk v2-wrong-root INVALID 21 21 "b['batch']['root'] = '$Z'"
    mk v2-revoked REVOKED 23 23 "" revocations=v2log2.json
    mk v2-copy-of-a-void-checkpoint UNKNOWN 23 23 "" revocations=v2log1.json
}
cases=$tmp/keys
mkdir -p "$cases"
saved_data=$NOTARY_DATA
v2cases && ok "a NotaryRegistry2 history: rotation and compromise" || fail "the NotaryRegistry2 history"
export NOTARY_DATA=$saved_data
run_cases "$cases"

# After a checkpoint (the state the browser test sees: $WEB_ONLINE_CASES).
cases=${WEB_ONLINE_CASES:-$tmp/cases}
rm -rf "$cases"; mkdir -p "$cases"

# --- revocations: c1 revoked and checkpointed; c3 revoked after the checkpoint ---
expect_exit 0 "revoke c1" "$NOTARY" revoke "$(h 1)" --reason fraud --note "exam misconduct"
expect_exit 0 "checkpoint" "$NOTARY" checkpoint --poll-ms 100
expect_exit 0 "revoke c3 (not checkpointed)" "$NOTARY" revoke "$(h 3)" --reason withdrawn
"$NOTARY" revocations export --out "$d/log.json" >/dev/null
python3 - "$d/log.json" "$d/log-tampered.json" <<'PY'
import json, sys
l = json.load(open(sys.argv[1])); l["entries"][0]["reason"] = 1
json.dump(l, open(sys.argv[2], "w"))
PY
for f in log log-tampered; do cp "$d/$f.json" "$cases/$f.json"; done
mk revoked REVOKED 1 1 "" revocations=log.json
mk not-revoked VALID 0 0 "" revocations=log.json
mk no-log-copy UNKNOWN 0 0 ""
mk pending-revocation UNKNOWN 3 3 "" revocations=log.json
mk tampered-log-copy UNKNOWN 1 1 "" revocations=log-tampered.json
mk revoked-tampered-credential INVALID 0 1 "" revocations=log.json

# --- CORS: the page (another origin) may call the ledger ------------------------------
pre=$(curl -s -i --noproxy '*' -X OPTIONS -H 'Origin: http://127.0.0.1:9' -H 'Access-Control-Request-Method: POST' \
      -H 'Access-Control-Request-Headers: content-type' "$LEDGER_URL" | tr -d '\r')
grep -qi '^access-control-allow-origin: \(\*\|http://127.0.0.1:9\)' <<<"$pre" \
    && ok "ganache allows the page's origin (CORS preflight)" || fail "ganache's preflight answer: $pre"

mk valid VALID 0 0 "" revocations=log.json
mk valid-tampered-root INVALID 0 0 "b['batch']['root'] = '$Z'" revocations=log.json
mk unreachable-with-log UNKNOWN 0 0 "" "rpc=http://127.0.0.1:$(ledger_free_port)" revocations=log.json
# did:web after the checkpoint too (these run in chromium as well)
mk vc-did-listed-with-log VALID vlisted vlisted "" "issuer=" revocations=log.json
mk vc-did-lists-another-with-log INVALID vother vother "" "issuer=" revocations=log.json
mk vc-did-redirect-with-log INVALID vredirect vredirect "" "issuer=" revocations=log.json
mk no-issuer-with-log UNKNOWN 0 0 "" "issuer=" revocations=log.json
mk did-listed-with-log VALID 0 0 "" "issuer=$DID" revocations=log.json
mk did-lists-another-with-log INVALID 0 0 "" "issuer=$DID:other" revocations=log.json
mk did-404-with-log UNKNOWN 0 0 "" "issuer=$DID:missing" revocations=log.json
# A did:web host without Access-Control-Allow-Origin: the CLI reads it (VALID), the page cannot (UNKNOWN, saying why).
nocors=$tmp/nocors; mkdir -p "$nocors"; cp "$d/cvnocors.txt" "$nocors/credential"; cp "$d/bvnocors.json" "$nocors/bundle.json"
cp "$d/log.json" "$nocors/log.json"
expect_exit 0 "the CLI reads a did:web host that sends no CORS header (VALID)" "$VERIFIER" verify "$nocors/credential" \
    --proof "$nocors/bundle.json" --rpc "$LEDGER_URL" --revocations "$nocors/log.json" --ca-file "$WEB_DID_CA" --timeout 20
export WEB_NOCORS_CASE=$nocors
run_cases "$cases"

# --- in chromium: the cases through the page, and the UI path (tests/js/web_browser_online.mjs) ---
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    fail "$CHROMIUM is missing: scripts/setup.sh installs Debian's chromium"; finish
fi
shots=${WEB_SCREENSHOTS:-$tmp/shots}
mkdir -p "$shots"
web_serve_start "$tmp/serve.log"
started=$?
notary_on_exit 'kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null'
port=$WEB_PORT
[ "$started" = 0 ] || { fail "the static server did not start: $(cat "$tmp/serve.log")"; finish; }
out=$(CHROMIUM="$CHROMIUM" timeout 300 node tests/js/web_browser_online.mjs "http://127.0.0.1:$port" "$cases" "$LEDGER_URL" "$shots" 2>&1)
web_results "chromium: " "the browser test" "$out"
for s in valid invalid revoked unknown; do
    check "screenshot of the $s state against ganache" test -s "$shots/web-online-$s.png"
done
finish
