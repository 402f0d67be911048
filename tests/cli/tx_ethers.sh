#!/usr/bin/env bash
# tests/cli/tx_ethers.sh — our transactions and ABI call data against ethers v6,
# an independent implementation, both ways:
#  1. transactions we sign (test_tx tx_emit_for_ethers: legacy and EIP-1559,
#     chain ids up to 2^40, contract creation, empty and long data, a 2^256-1
#     value and fee, nonce 2^53-1, a fixed and a fresh key) parse in ethers'
#     Transaction.from with our sender, hash, signing hash and every field, and
#     re-serialize to the same bytes;
#  2. ABI call data we encode (static args, uint256[], bytes[] with empty,
#     33- and 64-byte items, empty arrays) equals Interface.encodeFunctionData;
#  3. transactions ethers signs (same spread) decode in ours (test_tx
#     tx_decode_ethers_signed) to the same fields, sender and hash.
# Ends with one line "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
T="${BUILD:-build}/tests/test_tx"
require_built "$T" && require_node_tools && scratch_dir tx-ethers

# Count the "ok ..."/"FAIL ..." lines a node check printed, and show them.
tally() { # file
    local n
    sed 's/^/  /' "$1"
    n=$(grep -c '^ok ' "$1"); passed=$((passed + n))
    n=$(grep -c '^FAIL ' "$1"); failed=$((failed + n))
}

# --- 1 and 2. ours -> ethers ---------------------------------------------------
ours="$tmp/ours.json"
if out=$(TX_EMIT_FILE="$ours" "$T" tx_emit_for_ethers 2>&1) && [ -s "$ours" ]; then
    ok "test_tx wrote signed transactions and call data"
else
    fail "test_tx tx_emit_for_ethers failed:"
    sed 's/^/    /' <<<"$out"
    finish
fi

OURS="$ours" node -e '
    const { ethers } = require("ethers");
    const { txs, calls } = JSON.parse(require("fs").readFileSync(process.env.OURS, "utf8"));
    const big = (x) => (x === null || x === undefined ? null : BigInt(x));
    txs.forEach((w, i) => {
        const what = `tx #${i} (type ${w.type}, chain ${w.chainId}, to ${w.to ?? "creation"})`;
        try {
            const t = ethers.Transaction.from(w.raw);
            const bad = [];
            const same = (name, a, b) => { if (a !== b) bad.push(`${name}: ethers ${a}, ours ${b}`); };
            same("from", t.from, w.from);
            same("hash", t.hash, w.hash);
            same("unsignedHash", t.unsignedHash, w.signingHash);
            same("serialized", t.serialized, w.raw);
            same("type", t.type, w.type);
            same("chainId", t.chainId, big(w.chainId));
            same("nonce", BigInt(t.nonce), big(w.nonce));
            same("gasLimit", t.gasLimit, big(w.gasLimit));
            if (w.type === 0) {
                same("gasPrice", t.gasPrice, big(w.gasPrice));
                same("v", t.signature.networkV, 35n + 2n * big(w.chainId) + BigInt(t.signature.yParity));
            } else {
                same("maxPriorityFeePerGas", t.maxPriorityFeePerGas, big(w.maxPriorityFeePerGas));
                same("maxFeePerGas", t.maxFeePerGas, big(w.maxFeePerGas));
            }
            same("to", t.to, w.to);
            same("value", t.value, big(w.value));
            same("data", t.data, w.data);
            if (BigInt(t.signature.s) > ethers.N / 2n) bad.push("high s");
            console.log(bad.length ? `FAIL ${what}: ${bad.join("; ")}` : `ok ${what} matches in ethers`);
        } catch (err) {
            console.log(`FAIL ${what}: ethers throws ${err.message}`);
        }
    });
    calls.forEach((c) => {
        try {
            const iface = new ethers.Interface([`function ${c.signature}`]);
            const name = c.signature.slice(0, c.signature.indexOf("("));
            const want = iface.encodeFunctionData(name, c.args);
            console.log(want === c.calldata ? `ok ${c.signature} call data equals ethers`
                                            : `FAIL ${c.signature}: ethers ${want}, ours ${c.calldata}`);
        } catch (err) {
            console.log(`FAIL ${c.signature}: ethers throws ${err.message}`);
        }
    });
' >"$tmp/check.out" 2>&1
rc=$?
tally "$tmp/check.out"
[ $rc -eq 0 ] || fail "the ethers check exited with status $rc"
if [ "$(grep -c '^ok tx' "$tmp/check.out")" -lt 9 ] || [ "$(grep -c 'call data equals' "$tmp/check.out")" -lt 6 ]; then
    fail "fewer transactions or calls were checked than test_tx writes"
fi

# --- 3. ethers -> ours ---------------------------------------------------------
theirs="$tmp/ethers.json"
THEIRS="$theirs" node -e '
    const { ethers } = require("ethers");
    const MAX = (1n << 256n) - 1n;
    const fixed = new ethers.Wallet("0x6cbed15c793ce57650b9877cf6fa156fbef513c4e6134f022a85b1ffdd59b2a1");
    const to = "0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0";
    const specs = [
        { type: 0, chainId: 1n, nonce: 0, gasLimit: 21000n, gasPrice: 0n, to, value: 0n, data: "0x" },
        { type: 0, chainId: 1337n, nonce: 3, gasLimit: 3000000n, gasPrice: 1n, to: null, value: 0n,
          data: "0x" + "60".repeat(200) },
        { type: 0, chainId: 4294967296n, nonce: 9007199254740991, gasLimit: 50000n,
          gasPrice: 20000000000n, to, value: 10n ** 18n, data: "0x01" },
        { type: 2, chainId: 1n, nonce: 1, gasLimit: 21000n, maxPriorityFeePerGas: 1n,
          maxFeePerGas: MAX, to, value: MAX, data: "0x" },
        { type: 2, chainId: 31337n, nonce: 77, gasLimit: 900000n, maxPriorityFeePerGas: 0n,
          maxFeePerGas: 0n, to: null, value: 0n, data: "0x" + "ab".repeat(1000) },
        { type: 2, chainId: 6179n, nonce: 5, gasLimit: 100000n, maxPriorityFeePerGas: 2n,
          maxFeePerGas: 3n, to, value: 1n, data: "0x755c698a" + "00".repeat(96) },
    ];
    (async () => {
        const out = [];
        for (const [i, spec] of specs.entries()) {
            const w = i % 2 ? ethers.Wallet.createRandom() : fixed;
            const raw = await w.signTransaction(spec);
            const t = ethers.Transaction.from(raw);
            const v = { address: w.address, type: spec.type, chainId: String(spec.chainId),
                        nonce: spec.nonce, gasLimit: String(spec.gasLimit), to: spec.to ?? "",
                        value: String(spec.value), data: spec.data, signedSerialized: raw,
                        txHash: t.hash };
            if (spec.type === 0) v.gasPrice = String(spec.gasPrice);
            else {
                v.maxPriorityFeePerGas = String(spec.maxPriorityFeePerGas);
                v.maxFeePerGas = String(spec.maxFeePerGas);
            }
            out.push(v);
        }
        require("fs").writeFileSync(process.env.THEIRS, JSON.stringify(out, null, 1));
    })().catch((err) => { console.error(err); process.exit(1); });
' >"$tmp/gen.out" 2>&1
if [ ! -s "$theirs" ]; then
    fail "ethers did not sign the transactions:"
    sed 's/^/    /' "$tmp/gen.out"
    finish
fi
n=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).length)' "$theirs")
if out=$(TX_ETHERS_FILE="$theirs" T_VERBOSE=1 "$T" tx_decode_ethers_signed 2>&1); then
    got=$(grep -c '^ok   tx_decode_ethers_signed: ethers-signed' <<<"$out")
    if [ "$got" -eq "$n" ]; then
        ok "ours decodes all $n ethers-signed transactions to their fields, sender and hash"
    else
        fail "ours checked $got of $n ethers-signed transactions"
    fi
else
    fail "ours disagrees with ethers-signed transactions:"
    sed 's/^/    /' <<<"$out"
fi

finish
