#!/usr/bin/env bash
# tests/cli/lookalike.sh — a fake registry that behaves exactly like the real
# one is refused by the verifier (docs/security.md §3.5).
#
# The look-alike is the committed NotaryRegistry with one byte changed in the
# CBOR metadata at the end of its runtime code: data that is never executed,
# so the contract works identically — same anchor(), same Anchored event,
# same anchoredAt() view — but its code is not ours. The issuer's address
# anchors a real batch root in it, and a bundle is made that points at it
# (contract, transaction, block). Every ledger fact in that bundle is true,
# except that the contract is not the registry: `ledger.contract` must fail
# and the status be INVALID. The same bundle pointed back at the real
# registry is VALID (the control). A bundle naming a contract address with no
# code fails the same way.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin lookalike
export NOTARY_DATA=$tmp/data NOTARY_PASSWORD="lookalike test"

rpc_result() { # rpc_result METHOD PARAMS: the "result" member, as JSON
    ledger_rpc "$1" "$2" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["result"]))'
}
# wait_receipt TXHASH: the receipt JSON once mined (ganache mines at once)
wait_receipt() {
    local r
    for _ in $(seq 1 50); do
        r=$(rpc_result eth_getTransactionReceipt "[\"$1\"]")
        [ "$r" != null ] && { echo "$r"; return 0; }
        sleep 0.1
    done
    return 1
}
# verify BUNDLE: run the online verifier (trusting DEV_ADDR_0), JSON output
verify() {
    "$VERIFIER" verify --hash "$HASH" --proof "$1" --rpc "$LEDGER_URL" --issuer "$DEV_ADDR_0" --json
}
check_outcome() { # check_outcome JSON NAME: the outcome of check NAME
    python3 -c 'import json,sys; d=json.loads(sys.argv[1])
print(next((c["outcome"] for c in d["checks"] if c["name"] == sys.argv[2]), "absent"))' "$1" "$2"
}

notary_ledger_start

# --- a real batch, anchored in the real registry -----------------------------------
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
notary_init_evm "$NOTARY_DATA" "$tmp/key.hex" --json > "$tmp/init.json" 2>"$tmp/err" ||
    { fail "init: $(cat "$tmp/err")"; finish; }
HASH=$(printf 'lookalike credential' | sha256sum | cut -c1-64)
"$NOTARY" submit "$HASH" "$(printf other | sha256sum | cut -c1-64)" >/dev/null &&
    "$NOTARY" close >/dev/null && "$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1 &&
    "$NOTARY" proof "$HASH" > "$tmp/real.json" || { fail "issue and anchor a batch"; finish; }
out=$(verify "$tmp/real.json"); rc=$?
[ "$rc" -eq 0 ] && ok "the real bundle is VALID" || fail "real bundle: exit $rc: $out"
ROOT=$(json_field batch.root < "$tmp/real.json")
SIZE=$(json_field batch.size < "$tmp/real.json")

# --- the look-alike: same code but one metadata byte --------------------------------
lookalike_code=$(python3 - <<'EOF'
import json
creation = open("contracts/build/NotaryRegistry.bin").read().strip()
runtime = json.load(open("contracts/build/NotaryRegistry.json"))["deployedBytecode"][2:]
at = creation.find(runtime)
assert at > 0, "runtime code not found in the creation code"
# The runtime ends with CBOR metadata: a2 64 'ipfs' 58 22 <34-byte multihash>
# 64 'solc' 43 <version> 00 33. Change one byte of the multihash (never run).
meta = runtime.rfind("a264697066735822")
assert meta > 0, "no metadata"
pos = at + meta + 16 + 10  # inside the multihash
b = int(creation[pos:pos + 2], 16) ^ 0xff
print("0x" + creation[:pos] + "%02x" % b + creation[pos + 2:])
EOF
) || { fail "build the look-alike creation code"; finish; }
tx=$(rpc_result eth_sendTransaction "[{\"from\":\"$DEV_ADDR_1\",\"data\":\"$lookalike_code\",\"gas\":\"0x300000\"}]" | tr -d '"')
FAKE=$(wait_receipt "$tx" | json_field contractAddress) || { fail "deploy the look-alike"; finish; }
[ -n "$FAKE" ] && [ "$FAKE" != None ] && ok "look-alike deployed at $FAKE" || { fail "no look-alike address"; finish; }
real_code=$(rpc_result eth_getCode "[\"$(json_field contract < "$tmp/init.json")\",\"latest\"]")
fake_code=$(rpc_result eth_getCode "[\"$FAKE\",\"latest\"]")
[ "${#real_code}" -eq "${#fake_code}" ] && [ "$real_code" != "$fake_code" ] &&
    ok "its code has the registry's length but differs" || fail "look-alike code: ${#fake_code} vs ${#real_code}"

# The issuer anchors the same root in the look-alike, exactly as in the registry.
calldata=$(ROOT=$ROOT SIZE=$SIZE node -e '
const { Interface } = require("ethers");
const abi = require("./contracts/build/NotaryRegistry.json").abi;
console.log(new Interface(abi).encodeFunctionData("anchor", ["0x" + process.env.ROOT, process.env.SIZE, 0, 0]));') ||
    { fail "encode anchor()"; finish; }
tx=$(rpc_result eth_sendTransaction "[{\"from\":\"$DEV_ADDR_0\",\"to\":\"$FAKE\",\"data\":\"$calldata\",\"gas\":\"0x100000\"}]" | tr -d '"')
rcpt=$(wait_receipt "$tx") || { fail "anchor in the look-alike"; finish; }
[ "$(json_field status <<<"$rcpt")" = 0x1 ] && ok "the look-alike accepted the anchor" || fail "look-alike anchor reverted"
topic=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["logs"][0]["topics"][0])' "$rcpt")
real_topic=$(node -e 'const { Interface } = require("ethers");
console.log(new Interface(require("./contracts/build/NotaryRegistry.json").abi).getEvent("Anchored").topicHash)')
[ "$topic" = "$real_topic" ] && ok "it emitted a genuine-looking Anchored event" || fail "event topic $topic"
bn=$(json_field blockNumber <<<"$rcpt"); bh=$(json_field blockHash <<<"$rcpt")
bt=$(rpc_result eth_getBlockByNumber "[\"$bn\",false]" | json_field timestamp)

# A bundle whose every ledger fact is true — except that the contract is fake.
make_bundle() { # make_bundle OUT CONTRACT TX BLOCKNUMBER BLOCKHASH BLOCKTIME
    python3 - "$tmp/real.json" "$@" <<'EOF'
import json, sys
src, out, contract, tx, bn, bh, bt = sys.argv[1:8]
b = json.load(open(src))
a = b["anchor"]
a["contract"] = contract.lower()
a["txHash"], a["blockHash"] = tx, bh
a["blockNumber"], a["blockTime"] = int(bn, 16), int(bt, 16)
open(out, "w").write(json.dumps(b, indent=2) + "\n")
EOF
}
make_bundle "$tmp/fake.json" "$FAKE" "$tx" "$bn" "$bh" "$bt"
"$VERIFIER" verify --hash "$HASH" --proof "$tmp/fake.json" --offline >/dev/null &&
    ok "the look-alike bundle is self-consistent offline" || fail "look-alike bundle broken offline"
out=$(verify "$tmp/fake.json"); rc=$?
[ "$rc" -eq 1 ] && ok "the look-alike bundle is INVALID (exit 1)" || fail "look-alike bundle: exit $rc: $out"
[ "$(check_outcome "$out" ledger.contract)" = fail ] && ok "... on ledger.contract" ||
    fail "ledger.contract is $(check_outcome "$out" ledger.contract)"
[ "$(check_outcome "$out" ledger.chainId)" = pass ] && ok "... while the chain id passed" || fail "chain id check"

# The same fields pointed at a contract address with no code.
make_bundle "$tmp/nocode.json" "0x000000000000000000000000000000000000dEaD" "$tx" "$bn" "$bh" "$bt"
out=$(verify "$tmp/nocode.json"); rc=$?
[ "$rc" -eq 1 ] && [ "$(check_outcome "$out" ledger.contract)" = fail ] &&
    ok "a contract address without code is INVALID on ledger.contract" || fail "no-code contract: exit $rc: $out"

# Control: the real registry's facts in the same crafting path are VALID.
real_contract=$(json_field anchor.contract < "$tmp/real.json")
real_tx=$(json_field anchor.txHash < "$tmp/real.json")
real_rcpt=$(wait_receipt "$real_tx")
rbn=$(json_field blockNumber <<<"$real_rcpt"); rbh=$(json_field blockHash <<<"$real_rcpt")
rbt=$(rpc_result eth_getBlockByNumber "[\"$rbn\",false]" | json_field timestamp)
make_bundle "$tmp/control.json" "$real_contract" "$real_tx" "$rbn" "$rbh" "$rbt"
out=$(verify "$tmp/control.json"); rc=$?
[ "$rc" -eq 0 ] && ok "control: the same crafting with the real registry is VALID" || fail "control: exit $rc: $out"
finish
