# tests/lib/hardhat.sh — a hardhat network as the local ledger, for tests
# that need what ganache cannot do: keep a transaction pending in the pool
# while blocks are mined (a stuck, underpriced transaction). Sourced by
# tests/lib/ledger.sh; start it with `ledger_start hardhat`, stop it with
# ledger_stop (by its PID), talk to it with ledger_rpc, as any ledger.
#
# tests/hardhat/hardhat.config.js: chain id 1337, automine and interval
# mining off (nothing is mined until the test asks), DEV_KEY_0 funded.
# hardhat_mine mines blocks with a chosen base fee. Hardhat runs offline:
# only `compile` would fetch a Solidity compiler, and nothing is compiled.

LEDGER_HARDHAT_CLI=${LEDGER_HARDHAT_CLI:-node_modules/hardhat/internal/cli/cli.js}
LEDGER_HARDHAT_CONFIG=${LEDGER_HARDHAT_CONFIG:-tests/hardhat/hardhat.config.js}

# ledger_start_hardhat: as ledger_start (exports LEDGER_URL, LEDGER_PID, ...).
ledger_start_hardhat() {
    if [ -n "${LEDGER_PID:-}" ]; then
        echo "ledger_start: a ledger is already running (pid $LEDGER_PID); ledger_stop it first" >&2
        return 2
    fi
    if [ ! -f "$LEDGER_HARDHAT_CLI" ]; then
        echo "ledger_start: $LEDGER_HARDHAT_CLI is missing; run: scripts/setup.sh --npm ." >&2
        return 2
    fi
    local logdir=${LEDGER_LOG_DIR:-${TMPDIR:-/tmp}}
    local attempt port log pid i
    for attempt in 1 2 3; do
        port=$(ledger_free_port) || { echo "ledger_start: cannot find a free port (python3?)" >&2; return 1; }
        log=$(mktemp "$logdir/ledger-hardhat.XXXXXX")
        HARDHAT_DISABLE_TELEMETRY_PROMPT=true node "$LEDGER_HARDHAT_CLI" node --hostname 127.0.0.1 \
            --port "$port" --config "$LEDGER_HARDHAT_CONFIG" </dev/null >"$log" 2>&1 &
        pid=$!
        for i in $(seq 1 300); do # 300 x 0.1 s
            kill -0 "$pid" 2>/dev/null || break
            if ledger_ready "http://127.0.0.1:$port"; then
                LEDGER_PID=$pid LEDGER_PORT=$port LEDGER_URL="http://127.0.0.1:$port"
                LEDGER_LOG=$log LEDGER_PROFILE=hardhat
                export LEDGER_PID LEDGER_PORT LEDGER_URL LEDGER_LOG LEDGER_PROFILE
                return 0
            fi
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
            echo "ledger_start: hardhat did not answer on port $port within 30 s; log $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        wait "$pid" 2>/dev/null
        echo "ledger_start: hardhat exited during start (attempt $attempt, port $port); log $log:" >&2
        tail -n 5 "$log" >&2
    done
    return 1
}

# hardhat_mine N [BASE_FEE_WEI]: mine N blocks, each with the next-block
# base fee set first when BASE_FEE_WEI is given (a decimal number). Only
# transactions whose maxFeePerGas covers that base fee get in.
hardhat_mine() {
    local n=$1 fee=${2:-} i out
    for i in $(seq 1 "$n"); do
        if [ -n "$fee" ]; then
            out=$(ledger_rpc hardhat_setNextBlockBaseFeePerGas "[\"$(printf '0x%x' "$fee")\"]")
            [[ "$out" == *'"result":true'* ]] || { echo "hardhat_mine: $out" >&2; return 1; }
        fi
        out=$(ledger_rpc evm_mine)
        [[ "$out" == *'"result"'* ]] || { echo "hardhat_mine: $out" >&2; return 1; }
    done
}
