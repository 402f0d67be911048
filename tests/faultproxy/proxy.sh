# tests/faultproxy/proxy.sh — start and drive the JSON-RPC fault proxy
# (tests/faultproxy/proxy.js) from a scripted test. Source it after
# tests/lib/ledger.sh, with a ledger running:
#
#   . tests/faultproxy/proxy.sh
#   proxy_start                       # in front of $LEDGER_URL; exports PROXY_URL, PROXY_PID
#   proxy_fault '{"method":"eth_sendRawTransaction","action":"drop"}'
#   proxy_stat total                  # requests seen; proxy_stat methods.eth_chainId
#   proxy_clear; proxy_reset          # remove the rules; zero the counters
#   proxy_stop                        # by its PID only
#
# Call proxy_start directly (not in $(...)): it exports into the calling shell.

proxy_start() {
    local dir=${LEDGER_LOG_DIR:-${TMPDIR:-/tmp}}
    local pf i
    pf=$(mktemp -u "$dir/proxy-port.XXXXXX")
    PROXY_LOG=$(mktemp "$dir/proxy-log.XXXXXX")
    node tests/faultproxy/proxy.js --target "$LEDGER_URL" --port-file "$pf" </dev/null >"$PROXY_LOG" 2>&1 &
    PROXY_PID=$!
    for i in $(seq 1 100); do
        [ -s "$pf" ] && break
        kill -0 "$PROXY_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -s "$pf" ]; then
        echo "proxy_start: the proxy did not start; log:" >&2
        tail -n 20 "$PROXY_LOG" >&2
        proxy_stop
        return 1
    fi
    PROXY_URL="http://127.0.0.1:$(cat "$pf")"
    rm -f "$pf"
    export PROXY_URL PROXY_PID PROXY_LOG
}

proxy_stop() {
    local pid=${PROXY_PID:-}
    [ -n "$pid" ] || return 0
    unset PROXY_PID PROXY_URL
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

_proxy_admin() { # METHOD PATH [BODY]
    curl -s --noproxy '*' --max-time 10 -X "$1" -H 'Content-Type: application/json' \
        ${3:+--data "$3"} "$PROXY_URL$2"
}

# proxy_fault RULE_JSON (a rule or an array of rules)
proxy_fault() { _proxy_admin POST /__fault "$1" >/dev/null; }
proxy_clear() { _proxy_admin DELETE /__fault >/dev/null; }
proxy_reset() { _proxy_admin POST /__reset '{}' >/dev/null; }
# proxy_stat KEY: a field of /__stats by dotted path (methods.eth_chainId); 0 if absent
proxy_stat() {
    _proxy_admin GET /__stats | python3 -c 'import json,sys
d=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[int(k)] if isinstance(d, list) else d.get(k, 0) if isinstance(d, dict) else 0
print(len(d) if isinstance(d, list) else d)' "$1"
}
