# tests/gateway/gateway.sh — start and stop the local EBSI-style gateway
# (tests/gateway/gateway.js) in front of the ledger that tests/lib/ledger.sh
# started. Source both from a test run at the project root:
#
#   . tests/lib/ledger.sh; . tests/gateway/gateway.sh
#   ledger_start berlin
#   gateway_start TOKENS_FILE      # exports GATEWAY_API, GATEWAY_LEDGER,
#                                  # GATEWAY_ADMIN, GATEWAY_CONTRACT, GATEWAY_PID
#   (with GATEWAY_TLS_CERT, GATEWAY_TLS_KEY and GATEWAY_REGISTRIES set, it also
#    serves EBSI's DID Registry and TIR over HTTPS: exports GATEWAY_TLS_PORT)
#   gateway_fault wrong-to         # see gateway.js for the fault names
#   gateway_stat sendAccepted      # a counter
#   gateway_stop
#
# The gateway is stopped by its own PID only.

# gateway_start TOKENS_FILE [CONTRACT]: start and wait (up to ~20 s) for it.
gateway_start() {
    local tokens=$1 contract=${2:-}
    if [ -n "${GATEWAY_PID:-}" ]; then
        echo "gateway_start: a gateway is already running (pid $GATEWAY_PID)" >&2
        return 2
    fi
    [ -n "${LEDGER_URL:-}" ] || { echo "gateway_start: no ledger (ledger_start first)" >&2; return 2; }
    local dir=${LEDGER_LOG_DIR:-${TMPDIR:-/tmp}}
    local ready log
    ready=$(mktemp -u "$dir/gateway-ready.XXXXXX")
    log=$(mktemp "$dir/gateway-log.XXXXXX")
    local extra=()
    [ -n "$contract" ] && extra=(--contract "$contract")
    [ -n "${GATEWAY_REGISTRIES:-}" ] &&
        extra+=(--tls-cert "$GATEWAY_TLS_CERT" --tls-key "$GATEWAY_TLS_KEY" --registries "$GATEWAY_REGISTRIES")
    node tests/gateway/gateway.js --ledger "$LEDGER_URL" --tokens "$tokens" --ready "$ready" "${extra[@]}" \
        </dev/null >"$log" 2>&1 &
    local pid=$! i
    for i in $(seq 1 200); do
        if [ -s "$ready" ]; then
            GATEWAY_PID=$pid GATEWAY_LOG=$log
            GATEWAY_API=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"])' "$ready")
            GATEWAY_LEDGER=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ledger"])' "$ready")
            GATEWAY_ADMIN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$ready")
            GATEWAY_CONTRACT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["contract"])' "$ready")
            GATEWAY_TLS_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tlsPort"])' "$ready")
            export GATEWAY_PID GATEWAY_LOG GATEWAY_API GATEWAY_LEDGER GATEWAY_ADMIN GATEWAY_CONTRACT GATEWAY_TLS_PORT
            rm -f "$ready"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    echo "gateway_start: the gateway did not start; its log:" >&2
    tail -n 20 "$log" >&2
    return 1
}

# gateway_admin [JSON]: GET (no argument) or POST the admin endpoint; prints its answer.
gateway_admin() {
    if [ $# -eq 0 ]; then
        curl -s --noproxy '*' --max-time 10 "$GATEWAY_ADMIN"
    else
        curl -s --noproxy '*' --max-time 10 -H 'Content-Type: application/json' --data "$1" "$GATEWAY_ADMIN"
    fi
}

# gateway_fault NAME: set a fault ("none" clears it).
gateway_fault() {
    gateway_admin "{\"fault\":\"$1\"}" >/dev/null
}

# gateway_stat NAME: print one counter (timestampHashes, built, sendReceived,
# sendAccepted, sendRejected, controllerRefused, ledgerCalls, ledgerRefused,
# authRefused; the token endpoint's tokenRequests, tokensIssued, tokenRefused).
gateway_stat() {
    gateway_admin | python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"][sys.argv[1]])' "$1"
}

# gateway_stop: stop the gateway this shell started; safe to call twice.
gateway_stop() {
    local pid=${GATEWAY_PID:-}
    [ -n "$pid" ] || return 0
    unset GATEWAY_PID
    pid_stop "$pid" # tests/lib/ledger.sh
    [ -n "${GATEWAY_LOG:-}" ] && rm -f "$GATEWAY_LOG"
    return 0
}
