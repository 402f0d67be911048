#!/usr/bin/env bash
# tests/cli/web_ebsi.sh — the browser verifier's "ebsi" checks (web/ebsi.js:
# timestampHashes input, TimestampedHashes event, getTimestamp with its
# "timestamp unknown" revert; the issuer's revocation checkpoints from the
# contract's events) reach the CLI's verdicts. An ebsi notary anchors through
# the local EBSI-style gateway (tests/gateway, in front of ganache, started by
# notary_gateway_start on free loopback ports and stopped by PID), revokes and
# checkpoints; the cases are its real bundles and each tampered kind, pinned
# and unpinned Timestamp contracts, no / wrong issuer, too few confirmations,
# pending, an unreachable ledger, revoked (bounded by the first covering
# checkpoint), not revoked, no copy, a pending revocation, a tampered copy,
# and a checkpoint number the issuer skipped (seq-gap). Each goes through
# `verifier verify --rpc <the gateway's ledger API> --json` and
# verifyCredential() in Node (tests/js/web_online.mjs), in batch runs
# (tests/js/web_batch.mjs), and through verifyCredential() in chromium against
# ganache directly (the gateway's ledger API sends no CORS headers; ganache
# does). Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
. tests/lib/web.sh
notary_test_begin web-ebsi
HTTP_PID=
command -v node >/dev/null || { fail "node is not installed (scripts/setup.sh)"; finish; }

notary_gateway_start
notary_dir
expect_exit 0 "init --ledger ebsi" notary_init_ebsi "$NOTARY_DATA" "$d/key.hex"
issuer=$(tr 'A-F' 'a-f' <<<"$DEV_ADDR_0")
contract=$(tr 'A-F' 'a-f' <<<"$GATEWAY_CONTRACT")
for i in 0 1 2 3 4; do printf 'ebsi credential %s' "$i" >"$d/c$i.txt"; "$NOTARY" submit --credential "$d/c$i.txt" >/dev/null; done
"$NOTARY" close >/dev/null
expect_exit 0 "anchor the batch through the Timestamp API" "$NOTARY" anchor --poll-ms 100 --timeout 60
h() { sha256sum "$d/c$1.txt" | cut -c1-64; }
for i in 0 1 2 3 4; do "$NOTARY" proof "$(h "$i")" >"$d/b$i.json"; done
[ "$(json_field anchor.ledger <"$d/b0.json")" = ebsi ] && ok "bundles say ledger ebsi" || fail "bundle ledger"
printf 'ebsi credential 9' >"$d/c9.txt"; "$NOTARY" submit --credential "$d/c9.txt" >/dev/null; "$NOTARY" close >/dev/null
"$NOTARY" proof "$(h 9)" >"$d/b9.json" 2>/dev/null

# --- chromium: a case dir through verifyCredential() in the page, against ganache (tests/js/web_browser_online.mjs) ---
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { fail "$CHROMIUM is missing: scripts/setup.sh installs Debian's chromium"; finish; }
web_serve_start "$tmp/serve.log"
started=$?
notary_on_exit 'kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null'
port=$WEB_PORT
[ "$started" = 0 ] || { fail "the static server did not start: $(cat "$tmp/serve.log")"; finish; }
browser_cases() { # browser_cases DIR: in the ledger state the CLI saw
    local out
    out=$(WEB_CASES_ONLY=1 CHROMIUM="$CHROMIUM" timeout 300 node tests/js/web_browser_online.mjs "http://127.0.0.1:$port" "$1" "$LEDGER_URL" 2>&1)
    web_results "chromium: " "the browser test over $1" "$out"
}

run_cases() { # run_cases DIR: CLI vs Node, then batch runs
    web_results "web_online: " "web_online over $1" "$(node tests/js/web_online.mjs "$VERIFIER" "$1" "$GATEWAY_LEDGER" 2>&1)"
    web_results "web_batch: " "web_batch over $1" "$(node tests/js/web_batch.mjs "$1" "$GATEWAY_LEDGER" 2>&1)"
}
cases=
mk() { web_case "$@"; } # mk NAME EXPECT CRED BUNDLE [JSON-EDIT-PY] [k=v...]: tests/lib/web.sh
Z=0000000000000000000000000000000000000000000000000000000000000001

# --- before any checkpoint --------------------------------------------------------------
cases=$tmp/before; mkdir -p "$cases"
mk valid VALID 0 0 "" contracts=$contract
mk valid-unpinned-contract VALID 0 0 ""
mk other-pinned-contract INVALID 0 0 "" contracts=0x000000000000000000000000000000000000dead
mk no-issuer UNKNOWN 0 0 "" "issuer="
mk wrong-seq INVALID 0 0 "b['batch']['seq'] += 1"
web_tamper_cases
# getTimestamp in the page's code: the "timestamp unknown" revert for a root never written (no record, not an
# error), the record of the batch's root, and a contract that is not the Timestamp contract (an error: UNKNOWN)
gt=$(node --input-type=module -e '
import "./web/verify.js";
import { getTimestamp } from "./web/ebsi.js";
import { rpcClient, LedgerError } from "./web/online.js";
const [url, contract, root, issuer] = process.argv.slice(1);
const rpc = rpcClient(url);
const none = await getTimestamp(rpc, contract, "00".repeat(31) + "01");
const rec = await getTimestamp(rpc, contract, root);
let other = "";
try { await getTimestamp(rpc, issuer, root); } catch (e) { other = e instanceof LedgerError ? "LedgerError" : String(e); }
console.log(JSON.stringify({ none, from: rec && rec.from, kind: rec && rec.data && rec.data.kind, other }));
' "$GATEWAY_LEDGER" "$contract" "$(json_field batch.root <"$d/b0.json")" "$issuer" 2>&1)
[ "$gt" = "{\"none\":null,\"from\":\"$issuer\",\"kind\":\"issuance\",\"other\":\"LedgerError\"}" ] \
    && ok "getTimestamp: the revert \"timestamp unknown\" is no record; the batch's record names the issuer; not a Timestamp contract: an error" \
    || fail "getTimestamp through the gateway: $gt"
expect_exit 0 "revoke c1 (fraud, with a note)" "$NOTARY" revoke "$(h 1)" --reason fraud --note "exam misconduct"
"$NOTARY" revocations export --out "$d/log0.json" >/dev/null; cp "$d/log0.json" "$cases/log0.json"
mk pending-revocation-no-checkpoint UNKNOWN 1 1 "" revocations=log0.json
mk not-revoked-no-checkpoint VALID 0 0 "" revocations=log0.json
run_cases "$cases"

# --- checkpoint 0 (c1), then c3 revoked after it; checkpoint 1 (c3) ---------------------------
expect_exit 0 "checkpoint 0 through the Timestamp API" "$NOTARY" checkpoint --poll-ms 100 --timeout 60
expect_exit 0 "revoke c3" "$NOTARY" revoke "$(h 3)" --reason withdrawn
"$NOTARY" revocations export --out "$d/log1.json" >/dev/null
cases=$tmp/after; mkdir -p "$cases"; cp "$d/log1.json" "$cases/log1.json"
python3 - "$d/log1.json" "$cases/log-tampered.json" <<'PY'
import json, sys
l = json.load(open(sys.argv[1])); l["entries"][0]["reason"] = 1
json.dump(l, open(sys.argv[2], "w"))
PY
mk revoked REVOKED 1 1 "" revocations=log1.json
mk not-revoked VALID 0 0 "" revocations=log1.json contracts=$contract
mk no-log-copy UNKNOWN 0 0 ""
mk pending-revocation UNKNOWN 3 3 "" revocations=log1.json
mk tampered-log-copy UNKNOWN 1 1 "" revocations=log-tampered.json
mk revoked-tampered-credential INVALID 0 1 "" revocations=log1.json
run_cases "$cases"
expect_exit 0 "checkpoint 1" "$NOTARY" checkpoint --poll-ms 100 --timeout 60
"$NOTARY" revocations export --out "$d/log2.json" >/dev/null
cases=$tmp/after2; mkdir -p "$cases"; cp "$d/log2.json" "$cases/log2.json"
mk revoked-bound-by-checkpoint-0 REVOKED 1 1 "" revocations=log2.json
mk revoked-at-checkpoint-1 REVOKED 3 3 "" revocations=log2.json
mk valid-two-checkpoints VALID 2 2 "" revocations=log2.json contracts=$contract
mk valid-two-checkpoints-unpinned VALID 4 4 "" revocations=log2.json
mk no-log-copy-two-checkpoints UNKNOWN 0 0 ""
mk tampered-root-two-checkpoints INVALID 0 0 "b['batch']['root'] = '$Z'" revocations=log2.json
run_cases "$cases"
browser_cases "$cases"
# the issuer's key timestamps checkpoint 7 directly: a gap in the numbers → UNKNOWN (seq-gap)
node -e '
const { ethers } = require("ethers");
(async () => {
  const p = new ethers.JsonRpcProvider(process.env.LEDGER_URL, undefined, { staticNetwork: true });
  const w = new ethers.Wallet(process.argv[1], p);
  const c = new ethers.Contract(process.env.GATEWAY_CONTRACT, ["function timestampHashes(uint256[],bytes[],bytes[])"], w);
  const tx = await c.timestampHashes([0], [process.argv[2]], [ethers.toUtf8Bytes(process.argv[3])], { type: 0, gasPrice: 0 });
  await tx.wait();
})().catch((e) => { console.error(e.shortMessage || e.message); process.exit(1); });
' "$DEV_KEY_0" "0x$Z" '{"kind":"revocation","seq":7,"size":2,"v":1}' && ok "the issuer's key timestamps checkpoint 7" || fail "direct timestamp"
cases=$tmp/gap; mkdir -p "$cases"; cp "$d/log2.json" "$cases/log2.json"
mk seq-gap UNKNOWN 0 0 "" revocations=log2.json
mk seq-gap-revoked UNKNOWN 1 1 "" revocations=log2.json
mk seq-gap-no-copy UNKNOWN 2 2 ""
mk seq-gap-tampered-credential INVALID 1 0 "" revocations=log2.json
mk seq-gap-no-issuer UNKNOWN 0 0 "" "issuer=" revocations=log2.json
run_cases "$cases"
browser_cases "$cases"

finish
