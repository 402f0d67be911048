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
    _ledger_launch hardhat hardhat 30 "$LEDGER_HARDHAT_CLI" \
        env HARDHAT_DISABLE_TELEMETRY_PROMPT=true node "$LEDGER_HARDHAT_CLI" node --hostname 127.0.0.1 \
        --port @PORT@ --config "$LEDGER_HARDHAT_CONFIG"
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
