# tests/lib/ledger.sh — start and stop a private local ledger (ganache) for
# scripted integration tests. Source it from a test run at the project root:
#
#   . tests/lib/ledger.sh
#   ledger_trap                 # stop the ledger however the script exits
#   ledger_start berlin         # or: ledger_start (default profile)
#   ... use $LEDGER_URL, $DEV_KEY_0, $DEV_ADDR_0 ...
#   ledger_stop
#
# Call ledger_start directly, not inside $(...) or a pipeline: it exports
# variables into the calling shell. ledger_rpc METHOD [PARAMS] talks to it.
#
# Profiles (docs/design.md, "Local ledger"):
#   default  ganache's own hardfork (shanghai), fee market on
#   berlin   --chain.hardfork berlin --miner.defaultGasPrice 0: legacy
#            transactions with gasPrice 0, as on EBSI/Besu
#   hardhat  hardhat 2.26 with automine off (tests/lib/hardhat.sh): a
#            transaction stays pending while blocks are mined
#
# Each ledger listens on a free loopback port of its own, logs to a file (its
# banner prints the development keys) and is stopped by its own PID only.
# Exports: LEDGER_URL, LEDGER_PID, LEDGER_PORT, LEDGER_LOG, LEDGER_PROFILE.

# The first account of ganache's --wallet.deterministic mnemonic ("myth like
# bonus scare over problem client lizard pioneer submit female collect"). This
# is a PUBLIC, well-known development key printed by every ganache started
# with --wallet.deterministic; it is not a secret and holds nothing of value.
# Never use it outside a local test ledger.
DEV_KEY_0=0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d
DEV_ADDR_0=0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1
# The second deterministic account (same caveat): a second issuer in tests.
DEV_KEY_1=0x6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1
DEV_ADDR_1=0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0
export DEV_KEY_0 DEV_ADDR_0 DEV_KEY_1 DEV_ADDR_1

LEDGER_CHAIN_ID=1337
LEDGER_GANACHE_CLI=${LEDGER_GANACHE_CLI:-node_modules/ganache/dist/node/cli.js}
export LEDGER_CHAIN_ID

# Print a free TCP port on 127.0.0.1 (the kernel picks it; there is a short
# window before ganache binds it, which ledger_start covers by retrying).
ledger_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# ledger_rpc METHOD [PARAMS_JSON [URL]]: print the raw JSON-RPC answer of one
# call (PARAMS_JSON defaults to [], URL to $LEDGER_URL). Uses curl when
# installed, python3 (which scripts/setup.sh installs) otherwise.
ledger_rpc() {
    local req="{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":${2:-[]}}"
    local url=${3:-${LEDGER_URL:-}}
    [ -n "$url" ] || { echo "ledger_rpc: no ledger (LEDGER_URL is empty)" >&2; return 2; }
    if command -v curl >/dev/null; then
        curl -s --noproxy '*' --max-time 10 -H 'Content-Type: application/json' --data "$req" "$url"
    else
        python3 -c 'import sys, urllib.request as u
u.install_opener(u.build_opener(u.ProxyHandler({})))
r = u.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"Content-Type": "application/json"})
print(u.urlopen(r, timeout=10).read().decode())' "$url" "$req"
    fi
}

# Succeeds when the ledger at $1 answers eth_chainId with 1337.
ledger_ready() {
    local out
    out=$(ledger_rpc eth_chainId '[]' "$1" 2>/dev/null) || return 1
    [[ "$out" == *'"result":"0x539"'* ]]
}

# ledger_start [default|berlin]: start a ledger and wait (up to ~20 s) until it
# answers. Returns non-zero with a message on stderr if it cannot.
ledger_start() {
    local profile=${1:-default}
    local extra=()
    case "$profile" in
        default) ;;
        berlin) extra=(--chain.hardfork berlin --miner.defaultGasPrice 0) ;;
        hardhat) ledger_start_hardhat; return ;;
        *) echo "ledger_start: unknown profile '$profile' (default|berlin|hardhat)" >&2; return 2 ;;
    esac
    _ledger_launch "$profile" "ganache ($profile)" 20 "$LEDGER_GANACHE_CLI" \
        node "$LEDGER_GANACHE_CLI" --chain.chainId "$LEDGER_CHAIN_ID" --wallet.deterministic \
        --server.host 127.0.0.1 --server.port @PORT@ "${extra[@]}"
}

# _ledger_launch PROFILE LABEL SECONDS CLI COMMAND...: what every profile's
# start shares. Refuses (2) when a ledger is already running or the file CLI
# is missing; otherwise runs COMMAND (each word @PORT@ replaced by a free
# port) in the background, logging to a file in LEDGER_LOG_DIR, and waits up
# to SECONDS until it answers eth_chainId 1337; when it exits during start
# (most likely the port was taken meanwhile) it tries again, three attempts
# in all. On success exports LEDGER_URL, LEDGER_PID, LEDGER_PORT, LEDGER_LOG
# and LEDGER_PROFILE=PROFILE; on failure says why (LABEL names the ledger)
# with the end of the log and returns 1.
_ledger_launch() {
    local profile=$1 label=$2 seconds=$3 cli=$4; shift 4
    if [ -n "${LEDGER_PID:-}" ]; then
        echo "ledger_start: a ledger is already running (pid $LEDGER_PID); ledger_stop it first" >&2
        return 2
    fi
    if [ ! -f "$cli" ]; then
        echo "ledger_start: $cli is missing; run: scripts/setup.sh --npm ." >&2
        return 2
    fi
    local logdir=${LEDGER_LOG_DIR:-${TMPDIR:-/tmp}}
    local attempt port log pid i cmd w
    for attempt in 1 2 3; do
        port=$(ledger_free_port) || { echo "ledger_start: cannot find a free port (python3?)" >&2; return 1; }
        log=$(mktemp "$logdir/ledger-$profile.XXXXXX")
        cmd=()
        for w in "$@"; do cmd+=("${w//@PORT@/$port}"); done
        "${cmd[@]}" </dev/null >"$log" 2>&1 &
        pid=$!
        for i in $(seq 1 $((seconds * 10))); do # 0.1 s each
            kill -0 "$pid" 2>/dev/null || break # exited: most likely the port was taken meanwhile
            if ledger_ready "http://127.0.0.1:$port"; then
                LEDGER_PID=$pid LEDGER_PORT=$port LEDGER_URL="http://127.0.0.1:$port"
                LEDGER_LOG=$log LEDGER_PROFILE=$profile
                export LEDGER_PID LEDGER_PORT LEDGER_URL LEDGER_LOG LEDGER_PROFILE
                return 0
            fi
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
            echo "ledger_start: $label did not answer on port $port within $seconds s; log $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        wait "$pid" 2>/dev/null
        echo "ledger_start: $label exited during start (attempt $attempt, port $port); log $log:" >&2
        tail -n 5 "$log" >&2
    done
    return 1
}

# pid_stop PID: stop a process this shell started, by its PID: SIGTERM, then
# SIGKILL after ~5 s, and wait for it. Returns 1 when it was already gone
# (it is still reaped), else 0. Used by ledger_stop and gateway_stop.
pid_stop() {
    local pid=$1 i
    kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 1; }
    for i in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# ledger_stop: stop the ledger this shell started (SIGTERM, then SIGKILL after
# ~5 s) and wait for it. Safe to call twice or when none is running.
ledger_stop() {
    local pid=${LEDGER_PID:-}
    [ -n "$pid" ] || return 0
    unset LEDGER_PID LEDGER_PORT LEDGER_URL LEDGER_PROFILE
    pid_stop "$pid" || return 0
    [ -n "${LEDGER_LOG:-}" ] && [ -z "${LEDGER_KEEP_LOG:-}" ] && rm -f "$LEDGER_LOG"
    unset LEDGER_LOG
    return 0
}

# ledger_trap: make sure the ledger is stopped when the script exits or is
# interrupted, whatever happens in between (a failing test included).
ledger_trap() {
    trap 'ledger_stop' EXIT
    trap 'ledger_stop; exit 130' INT
    trap 'ledger_stop; exit 143' TERM
}

. "${BASH_SOURCE[0]%/*}/hardhat.sh"
