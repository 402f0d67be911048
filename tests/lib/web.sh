# tests/lib/web.sh — what the browser verifier's scripted tests
# (tests/cli/web_online.sh, web_ebsi.sh, web_browser.sh) and bench/web.sh
# share. Source it after the `cd` to the project root (and, for web_results
# and web_case, after tests/lib/check.sh):
#
#   web_serve_start "$tmp/serve.log" || ...  # web/ on a free port: $HTTP_PID, $WEB_PORT
#   web_case NAME EXPECT CRED BUNDLE [EDIT] [k=v...]   # one case directory
#   web_results "chromium: " "the browser test" "$out"  # a tests/js run as checks

# web_serve_start LOG: scripts/serve-web.sh on a free loopback port (port 0:
# the kernel picks it, so no race) in the background, its output in LOG.
# Sets HTTP_PID (the caller stops it by that PID) and WEB_PORT. Returns 1
# when no port was announced within 10 s or the server exited.
web_serve_start() {
    PYTHONUNBUFFERED=1 scripts/serve-web.sh 0 >"$1" 2>&1 &
    HTTP_PID=$!
    WEB_PORT=
    local _
    for _ in $(seq 1 100); do
        WEB_PORT=$(sed -nE 's/.*Serving HTTP on 127\.0\.0\.1 port ([0-9]+).*/\1/p' "$1" | head -n 1)
        [ -n "$WEB_PORT" ] && return 0
        kill -0 "$HTTP_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# web_results PREFIX WHAT OUT: the output OUT of a tests/js program as
# checks: each "ok   X" line is ok "PREFIX X", each "FAIL X" fail "PREFIX X",
# an indented detail line is shown; then one fail "WHAT: <its last lines>"
# unless OUT has the line "N passed, 0 failed".
web_results() {
    local prefix=$1 what=$2 out=$3 l
    while IFS= read -r l; do
        case "$l" in
            ok*) ok "$prefix${l#ok   }" ;;
            FAIL*) fail "$prefix${l#FAIL }" ;;
            "       "*) echo "$l" ;;
        esac
    done <<<"$out"
    grep -qE '^[0-9]+ passed, 0 failed$' <<<"$out" || fail "$what: $(tail -n 3 <<<"$out")"
}

# web_case NAME EXPECT CRED BUNDLE [JSON-EDIT-PY] [k=v options for case.json]:
# the case directory $cases/NAME for tests/js/web_online.mjs and its kin:
# credential = $d/cCRED.txt, bundle.json = $d/bBUNDLE.json after the Python
# statement JSON-EDIT-PY (on `b`), case.json = {"expect": EXPECT, "issuer":
# $issuer, k: v...} (a v of digits as a number).
web_case() {
    local name=$1 expect=$2 cred=$3 bundle=$4 edit=${5:-}; shift 5 2>/dev/null || shift $#
    local c=$cases/$name; mkdir -p "$c"
    cp "$d/c$cred.txt" "$c/credential"
    python3 - "$d/b$bundle.json" "$c/bundle.json" "$edit" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(b, open(sys.argv[2], "w"), indent=2)
PY
    python3 - "$c/case.json" "$expect" "$issuer" "$@" <<'PY'
import json, sys
o = {"expect": sys.argv[2], "issuer": sys.argv[3]}
for kv in sys.argv[4:]:
    k, v = kv.split("=", 1)
    o[k] = int(v) if v.isdigit() else v
json.dump(o, open(sys.argv[1], "w"))
PY
}

# web_tamper_cases: the cases every ledger flow shares, in $cases (web_case):
# the credential changed, each of the bundle's ledger fields tampered in
# turn (root, transaction, block number, block hash — stale, block time,
# chain, contract), a wrong issuer, too few confirmations, a pending bundle
# ($d/c9.txt with $d/b9.json) and an unreachable ledger. Needs $Z (a 32-byte
# hex word), $issuer and $DEV_ADDR_1.
web_tamper_cases() {
    web_case tampered-credential INVALID 1 0 ""
    web_case wrong-root INVALID 0 0 "b['batch']['root'] = '$Z'"
    web_case wrong-tx INVALID 0 0 "b['anchor']['txHash'] = '0x$Z'"
    web_case wrong-block-number INVALID 0 0 "b['anchor']['blockNumber'] = 1"
    web_case wrong-block-hash-stale UNKNOWN 0 0 "b['anchor']['blockHash'] = '0x$Z'"
    web_case wrong-block-time INVALID 0 0 "b['anchor']['blockTime'] += 1"
    web_case wrong-chain INVALID 0 0 "b['anchor']['chainId'] = 1"
    web_case wrong-contract INVALID 0 0 "b['anchor']['contract'] = '$issuer'"
    web_case wrong-issuer INVALID 0 0 "" "issuer=$(tr 'A-F' 'a-f' <<<"$DEV_ADDR_1")"
    web_case too-few-confirmations UNKNOWN 0 0 "" confirmations=1000
    web_case pending UNKNOWN 9 9 ""
    web_case unreachable UNKNOWN 0 0 "" "rpc=http://127.0.0.1:$(ledger_free_port)"
}
