#!/usr/bin/env bash
# tests/cli/keystore_ethers.sh — our keystore v3 files and ethers v6's are
# interchangeable, both ways:
#  1. a keystore we write (test_keystore ethers_emit, light scrypt) opens in
#     ethers (decryptKeystoreJsonSync and Wallet.fromEncryptedJsonSync) to the
#     address we derived, and ethers refuses it under a wrong password;
#  2. keystores ethers writes (light scrypt with r = 8 and with r = 4, p = 2,
#     and ethers' own default parameters from Wallet.encryptSync) open in ours
#     (test_keystore ethers_check) to the address ethers reports, and ours
#     refuses them under a wrong password or when another address is expected.
# Passwords travel in the environment (KEYSTORE_PASSWORD), never in argv.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
T="${BUILD:-build}/tests/test_keystore"
require_built "$T" && require_node_tools && scratch_dir keystore-ethers
export KEYSTORE_PASSWORD='pässword with spaces & "quotes"'

# --- 1. ours -> ethers ---------------------------------------------------------
ours="$tmp/ours.json"
if out=$(KEYSTORE_EMIT="$ours" "$T" ethers_emit 2>&1) && [ -s "$ours" ] && [ -s "$ours.addr" ]; then
    ok "test_keystore wrote a keystore"
else
    fail "test_keystore ethers_emit failed:"
    sed 's/^/    /' <<<"$out"
    finish
fi
want=$(cat "$ours.addr")

mode=$(stat -c %a "$ours")
if [ "$mode" = 600 ]; then ok "our keystore has mode 0600"; else fail "our keystore has mode $mode"; fi

got=$(KS="$ours" node -e '
    const { ethers } = require("ethers");
    const fs = require("fs");
    const json = fs.readFileSync(process.env.KS, "utf8");
    const a = ethers.decryptKeystoreJsonSync(json, process.env.KEYSTORE_PASSWORD);
    const w = ethers.Wallet.fromEncryptedJsonSync(json, process.env.KEYSTORE_PASSWORD);
    if (w.address !== a.address || w.privateKey !== a.privateKey) throw new Error("ethers disagrees with itself");
    console.log(a.address);
' 2>&1)
if [ "$got" = "$want" ]; then
    ok "ethers opens our keystore to $want"
else
    fail "ethers opened our keystore to \"$got\", we derived $want"
fi

if KS="$ours" KEYSTORE_PASSWORD="not the password" node -e '
    const { ethers } = require("ethers");
    const json = require("fs").readFileSync(process.env.KS, "utf8");
    ethers.decryptKeystoreJsonSync(json, process.env.KEYSTORE_PASSWORD);
' >/dev/null 2>&1; then
    fail "ethers opened our keystore with a wrong password"
else
    ok "ethers refuses our keystore with a wrong password"
fi

# --- 2. ethers -> ours ---------------------------------------------------------
# name and ethers encrypt options (JSON; "default" = Wallet.encryptSync)
cases=(
    'light|{"scrypt":{"N":1024,"r":8,"p":1}}'
    'r4p2|{"scrypt":{"N":2048,"r":4,"p":2}}'
    'default|default'
)
for c in "${cases[@]}"; do
    name=${c%%|*}
    opts=${c#*|}
    file="$tmp/ethers-$name.json"
    addr=$(KS="$file" OPTS="$opts" node -e '
        const { ethers } = require("ethers");
        const w = ethers.Wallet.createRandom();
        const pw = process.env.KEYSTORE_PASSWORD;
        const json = process.env.OPTS === "default"
            ? w.encryptSync(pw)
            : ethers.encryptKeystoreJsonSync({ address: w.address, privateKey: w.privateKey }, pw,
                                             JSON.parse(process.env.OPTS));
        require("fs").writeFileSync(process.env.KS, json, { mode: 0o600 });
        console.log(w.address);
    ' 2>&1)
    if [ ! -s "$file" ]; then
        fail "ethers ($name) did not write a keystore: $addr"
        continue
    fi
    if out=$(KEYSTORE_CHECK="$file" KEYSTORE_ADDRESS="$addr" "$T" ethers_check 2>&1); then
        ok "ours opens the ethers keystore ($name) to $addr"
    else
        fail "ours cannot open the ethers keystore ($name):"
        sed 's/^/    /' <<<"$out"
    fi
    if KEYSTORE_CHECK="$file" KEYSTORE_ADDRESS="$addr" KEYSTORE_PASSWORD="wrong" \
        "$T" ethers_check >"$tmp/out" 2>&1; then
        fail "ours opened the ethers keystore ($name) with a wrong password"
    elif grep -q "wrong password (MAC mismatch" "$tmp/out"; then
        ok "ours refuses the ethers keystore ($name) with a wrong password"
    else
        fail "ours refused the ethers keystore ($name) with a wrong password, but not for that reason:"
        sed 's/^/    /' "$tmp/out"
    fi
    if KEYSTORE_CHECK="$file" KEYSTORE_ADDRESS="$want" "$T" ethers_check >"$tmp/out" 2>&1; then
        fail "ours matched the ethers keystore ($name) to another address"
    elif grep -q "addr20_eq(&got, &want)" "$tmp/out"; then
        ok "ours does not match the ethers keystore ($name) to another address"
    else
        fail "ours refused the ethers keystore ($name) for another reason than the address:"
        sed 's/^/    /' "$tmp/out"
    fi
done

finish
