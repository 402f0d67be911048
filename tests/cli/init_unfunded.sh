#!/usr/bin/env bash
# tests/cli/init_unfunded.sh — a new issuer on a chain where its fresh key has
# no funds (issue 19, item 6), on a real local ledger (ganache):
#   - `notary init --deploy` with a generated key refuses before sending
#     anything (exit 3), keeps the key (DIR/key.json, keystore v3, mode 0600),
#     and says which address to fund with how much (gas x fee per gas);
#   - run again, still unfunded or only partly funded: the same key is used
#     (resumed, not replaced), exit 3 again; a different --import-key or the
#     wrong password is refused and the kept key is left as it was;
#   - fund the address from a ganache development account: the same command
#     deploys with the kept key, and the notary works (submit, close, anchor,
#     a bundle that verifies VALID against the ledger for that issuer).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin init-unfunded --abs
export NOTARY_PASSWORD="new issuer password"
export NOTARY_DATA=$tmp/data
notary_ledger_start
INIT=(init --rpc "$LEDGER_URL" --chain-id 1337 --deploy --kdf-light)
balance() { ledger_rpc eth_getBalance "[\"$1\",\"latest\"]" | json_field result; }
fund() { # ADDRESS WEI_HEX
    ledger_rpc eth_sendTransaction "[{\"from\":\"$DEV_ADDR_0\",\"to\":\"$1\",\"value\":\"$2\"}]" |
        grep -q '"result":"0x' || fail "funding $1 with $2"
}

# --- 1. a fresh key without funds -------------------------------------------------
expect_exit 3 "init --deploy with an unfunded new key: not finished (exit 3)" "$NOTARY" "${INIT[@]}" --json
ISSUER=$(json_field issuer <<<"$LAST_OUT" 2>/dev/null)
NEED=$(json_field needWei <<<"$LAST_OUT" 2>/dev/null)
expect_grep "--json says unfunded with the address and the amount" '"error": "unfunded"' "$LAST_OUT"
check "the address is an Ethereum address, the amount positive" \
    grep -Eq '^0x[0-9a-fA-F]{40}$' <<<"$ISSUER" --and test "${NEED:-0}" -gt 0
check "the key is kept: key.json, mode 0600, for that address" \
    test -f "$NOTARY_DATA/key.json" --and test "$(stat -c %a "$NOTARY_DATA/key.json")" = 600 --and \
    grep -qi "${ISSUER#0x}" "$NOTARY_DATA/key.json"
check "no store was created" test ! -e "$NOTARY_DATA/notary.db"
check "nothing was sent from it (nonce 0)" \
    test "$(ledger_rpc eth_getTransactionCount "[\"$ISSUER\",\"latest\"]" | json_field result)" = 0x0
keysum=$(sha256sum < "$NOTARY_DATA/key.json")

expect_exit 3 "run again, still unfunded: exit 3" "$NOTARY" "${INIT[@]}"
has "it resumes with the kept key" "resuming with the issuer key kept"
has "it names the address to fund" "Fund $ISSUER"
has "it says what deploying costs (gas x fee)" "gas [0-9]* x [0-9]* wei per gas"
check "the kept key was not replaced" test "$(sha256sum < "$NOTARY_DATA/key.json")" = "$keysum"

notary_key_file "$tmp/other.hex" "$DEV_KEY_1"
expect_exit 1 "another --import-key over the kept key is refused" \
    "$NOTARY" "${INIT[@]}" --import-key "$tmp/other.hex"
has "... naming both addresses" "already holds the issuer key $ISSUER"
expect_exit 1 "the wrong password for the kept key is refused" \
    env NOTARY_PASSWORD=wrong "$NOTARY" "${INIT[@]}"
check "the kept key is still the same file" test "$(sha256sum < "$NOTARY_DATA/key.json")" = "$keysum"

# Half of what is needed: still not enough.
fund "$ISSUER" "$(printf '0x%x' $((NEED / 2)))"
expect_exit 3 "partly funded: still exit 3" "$NOTARY" "${INIT[@]}"
has "... and it says what it holds now" "it holds   0.0"

# --- 2. funded: the same command finishes -------------------------------------------
fund "$ISSUER" 0xde0b6b3a7640000 # 1 ETH
expect_exit 0 "funded: the same init deploys with the kept key" "$NOTARY" "${INIT[@]}" --json
check "the issuer is the kept key's address" \
    test "$(json_field issuer <<<"$LAST_OUT" 2>/dev/null)" = "$ISSUER"
check "the kept key is the notary's key" test "$(sha256sum < "$NOTARY_DATA/key.json")" = "$keysum"
H=$(printf 'first credential of a new issuer' | sha256sum | cut -c1-64)
expect_exit 0 "submit" "$NOTARY" submit "$H"
expect_exit 0 "close" "$NOTARY" close
expect_exit 0 "anchor with the once-unfunded key" "$NOTARY" anchor --poll-ms 100
expect_exit 0 "proof" "$NOTARY" proof "$H" --out "$tmp/bundle.json"
expect_exit 0 "the bundle verifies VALID for that issuer on the ledger" \
    "$VERIFIER" verify --hash "$H" --proof "$tmp/bundle.json" --rpc "$LEDGER_URL" --issuer "$ISSUER"
expect_exit 1 "init again on the finished notary is refused" "$NOTARY" "${INIT[@]}"
has "... it already holds a notary" "already holds a notary"
finish
