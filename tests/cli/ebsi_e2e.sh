#!/usr/bin/env bash
# tests/cli/ebsi_e2e.sh — issue 15's "done when", through the local EBSI double
# (tests/gateway/: Timestamp API, Ledger API, Authorisation API with jose, and
# the read-only DID Registry v5 / TIR v5 over HTTPS with a test CA) in front of
# ganache, with no token file anywhere. One DID document serves the token
# endpoint and the verifier: the DID the notary gives to `init --did`, listing
# its P-256 presentation key under authentication and the notary's transaction
# key (secp256k1) under capabilityInvocation (EBSI's controller rule), with an
# accreditation in the TIR:
#   - init --ledger ebsi --did --vp-key confirms GET /timestamp/v4/hash-algorithms/ID
#     is sha2-256 and active; a revoked algorithm, an unknown id, another
#     algorithm (sha3-256 inserted by the contract's admin) and an unreachable
#     API are refused with a clear message and nothing written;
#   - token (from the DID, resolved in the DID Registry) → anchor → proof →
#     verifier verify --issuer did:ebsi:… → VALID naming the legal entity and
#     its accreditation; the VC's own issuer (did:ebsi, nothing pinned) → VALID;
#   - EBSI's gas-estimation fallback (gasLimit 0x1000000): the notary refuses
#     to sign and says why and what to do, the batch stays pending and nothing
#     is sent; the fault cleared, `notary anchor` anchors it;
#   - revoke → the token expires mid-run → checkpoint renews it once and is
#     timestamped; verify --issuer did:ebsi:… says REVOKED / VALID as of the
#     checkpoint, one `verify --batch` over both bundles says the same, and
#     `verifier audit --ledger ebsi` is clean, all read from the real event
#     shape (TimestampedHashes, nothing indexed: counted by sender);
#   - checkController on send: a second notary of the DID whose transaction key
#     the DID document does not list gets sendSignedTransaction refused with
#     EBSI's answer (HTTP 400, -32600 "The DID … is not controlled by the
#     address …"), a message that says to register the key; the batch stays
#     pending with its signed transaction, nothing reaches the ledger; once the
#     DID lists the key, `notary anchor` anchors that same transaction.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
. tests/lib/ebsi_did.sh
. tests/lib/ebsi_registries.sh
notary_test_begin ebsi-e2e
unset NOTARY_CA_FILE

# --- the issuer's DID: one document in the DID Registry, an accreditation in the TIR ------
ebsi_registries_pki
DID=$(did_ebsi_new)
ebsi_did_fixture "$DID"
unset GATEWAY_DIDS # the token endpoint resolves the DID in the gateway's DID Registry, as EBSI's does
issuer=$DEV_ADDR_0
PUB0=$(eth_public_key "$DEV_KEY_0") || { fail "public key (node, ethers)"; finish; }
ebsi_registries_write <<PY
dids = {"$DID": {"controllers": ["$DID"], "keys": [key("$PUB0"), jwk_key("$tmp/kid", "$tmp/vp.jwk")]}}
tir = {"$DID": [accr("$DID", name="E2E Test University")]}
PY
notary_gateway_start '{"tokens": []}'
ebsi_registries_ready
rm -f "$tmp/token" # no static token: every token comes from the DID
out=$("${EBSI_CURL[@]}" "$EBSI_API/did-registry/v5/identifiers/$DID")
check "the DID Registry lists the notary's key (capabilityInvocation) and the presentation key (authentication)" \
    python3 -c '
import json, sys
d = json.loads(sys.argv[1]); ids = [m["id"] for m in d["verificationMethod"]]
assert d["controller"] == [sys.argv[2]] and d["capabilityInvocation"] == [sys.argv[2] + "#keys-1"], d
assert sys.argv[3] in ids and sys.argv[3] in d["authentication"], d' "$out" "$DID" "$KID"
notary_dir n
INIT=("$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API"
      --timestamp-contract "$GATEWAY_CONTRACT" --did "$DID" --vp-key "$tmp/vp.pem"
      --import-key "$d/key.hex" --kdf-light)
nothing_written() { # nothing_written NAME: init left no trace in $d/data
    [ ! -e "$d/data" ] && ok "$1: nothing written" || { fail "$1: init wrote $(ls -A "$d/data")"; rm -rf "$d/data"; }
}
state_of() { "$NOTARY" status --json | python3 -c 'import json,sys
b=[x for x in json.load(sys.stdin)["batches"] if x["seq"]==int(sys.argv[1]) and x.get("kind","issuance")==sys.argv[2]][0]
print(b[sys.argv[3]] if len(sys.argv) > 3 else b["state"])' "$@"; }
credential() { # credential TAG: submit one credential issued by the DID (kept as $tmp/TAG.json) and close its batch
    printf '{"issuer": "%s", "credentialSubject": {"name": "Holder %s"}, "type": ["VerifiableCredential"]}\n' \
        "$DID" "$1" >"$tmp/$1.json"
    "$NOTARY" submit --credential "$tmp/$1.json" >/dev/null && "$NOTARY" close >/dev/null
}
ANCHOR=("$NOTARY" anchor --poll-ms 100 --timeout 60 --rpc-attempts 2)
L=(--rpc "$GATEWAY_LEDGER" --contract "$GATEWAY_CONTRACT" "${EBSI_ARGS[@]}")
V() { # V TAG [ARGS...]: verify credential TAG with its proof through the Ledger API, the issuer pinned as the DID
    "$VERIFIER" verify "$tmp/$1.json" --proof "$tmp/$1.proof.json" --issuer "$DID" "${L[@]}" "${@:2}"
}

# --- init: the hash algorithm --------------------------------------------------------------
out=$(curl -s --noproxy '*' --max-time 10 "${GATEWAY_API%/jsonrpc}/hash-algorithms/0")
[ "$(json_field multiHash <<<"$out")" = sha2-256 ] && [ "$(json_field status <<<"$out")" = active ] \
    && ok "the API says algorithm 0 is sha2-256, active ($out)" || fail "hash-algorithms/0: $out"
gateway_fault revoked-algorithm
expect_exit 1 "init refuses a revoked hash algorithm" "${INIT[@]}"
has "... says it is revoked and what to do" 'status "revoked", not "active".*--hash-algorithm-id'
nothing_written "revoked"
gateway_fault none
expect_exit 2 "init refuses an unknown hash algorithm id" "${INIT[@]}" --hash-algorithm-id 7
has "... says the API knows no such id" "knows no hash algorithm 7 (.*HTTP 404)"
nothing_written "unknown id"
# the contract's admin (the gateway's deployer) adds sha3-256 as algorithm 1
node -e '
const { ethers } = require("ethers");
(async () => {
  const p = new ethers.JsonRpcProvider(process.env.LEDGER_URL, undefined, { staticNetwork: true });
  const accounts = await p.send("eth_accounts", []);
  const admin = await p.getSigner(accounts[accounts.length - 1]);
  const c = new ethers.Contract(process.env.GATEWAY_CONTRACT,
      ["function insertHashAlgorithm(uint256,string,string,uint8,string)"], admin);
  await (await c.insertHashAlgorithm(256, "sha3-256", "2.16.840.1.101.3.4.2.8", 1, "sha3-256", { type: 0, gasPrice: 0 })).wait();
})().catch((e) => { console.error(e.shortMessage || e.message); process.exit(1); });' \
    && ok "algorithm 1 = sha3-256 inserted" || fail "insertHashAlgorithm"
expect_exit 2 "init refuses another algorithm (sha3-256)" "${INIT[@]}" --hash-algorithm-id 1
has "... names it and asks for the id of sha2-256" "hash algorithm 1 is sha3-256.*not sha2-256.*--hash-algorithm-id"
nothing_written "sha3-256"
gateway_fault down
expect_exit 3 "init with the Timestamp API unreachable: exit 3" "${INIT[@]}"
has "... says it could not confirm the algorithm" "could not confirm that hash algorithm 0 is sha2-256"
nothing_written "unreachable"
gateway_fault none
expect_exit 0 "init --did --vp-key (no token file)" "${INIT[@]}" --json
[ "$(json_field hashAlgorithm.multihash <<<"$LAST_OUT")" = sha2-256 ] && [ "$(json_field hashAlgorithm.id <<<"$LAST_OUT")" = 0 ] \
    && ok "init reports algorithm 0 = sha2-256" || fail "init json: $LAST_OUT"
has "init names the transaction key to register as the DID's controller" "$issuer as a controller"
has "... and its public key to register" "its public key ${PUB0,,}\$"
has "... as a capabilityInvocation secp256k1 key (the controller rule)" "secp256k1 verification method with the capabilityInvocation"
[ "$(gateway_stat tokensIssued)" = 0 ] && ok "init asked for no token" || fail "tokensIssued $(gateway_stat tokensIssued)"

# --- token → anchor → proof → VALID --------------------------------------------------------
credential c0
expect_exit 0 "anchor: a token from the DID, then timestampHashes" "${ANCHOR[@]}"
[ "$(gateway_stat tokensIssued)" = 1 ] && ok "one token issued" || fail "tokensIssued $(gateway_stat tokensIssued)"
[ "$(state_of 0 issuance)" = anchored ] && ok "batch 0 anchored" || fail "batch 0 $(state_of 0 issuance)"
"$NOTARY" proof --credential "$tmp/c0.json" >"$tmp/c0.proof.json"
AD=$(tr A-F a-f <<<"$issuer")
expect_exit 0 "verifier verify --issuer did:ebsi:…: VALID" V c0
has "... names the DID, the legal entity and the anchoring address" "Status: VALID: .*issued by $DID — E2E Test University ($AD"
has "... the address is a controller in EBSI's DID Registry" "makes $AD a controller of it (capabilityInvocation secp256k1 key $DID#keys-1)"
has "... and the accreditation" "issuer.accreditation .*Trusted Issuers Registry: TI, VerifiableAccreditationToAttest for VerifiableDiploma by $TAO, valid "
expect_exit 0 "--json: VALID" V c0 --timestamp-code --json
[ "$(json_field status <<<"$LAST_OUT")" = VALID ] && [ "$(json_field issuerName <<<"$LAST_OUT")" = "$DID" ] &&
    [ "$(json_field issuerDisplayName <<<"$LAST_OUT")" = "E2E Test University" ] \
    && ok "JSON: VALID, issuerName the DID, issuerDisplayName the legal name" || fail "verify: $LAST_OUT"
expect_exit 0 "the VC's own issuer did:ebsi:…, nothing pinned: VALID" \
    "$VERIFIER" verify "$tmp/c0.json" --proof "$tmp/c0.proof.json" "${L[@]}"
has "... established by the credential's DID" "issued by $DID .*DID from the credential"

# --- EBSI's gas-estimation fallback ----------------------------------------------------------
credential c1
sent=$(gateway_stat sendReceived)
gateway_fault gas-fallback
expect_exit 1 "gas fallback: anchor refuses to sign" "${ANCHOR[@]}"
has "... says why (EBSI's gas estimation failed)" "fallback gas limit 0x1000000.*gas estimation failed"
has "... and what to do" "Check GET /timestamp/v4/hash-algorithms/ID and run again"
[ "$(state_of 1 issuance)" = closed ] && ok "gas fallback: batch 1 stays pending (closed)" || fail "batch 1 $(state_of 1 issuance)"
expect_grep "gas fallback: the reason is in status" "0x1000000" "$(state_of 1 issuance reason)"
[ "$(gateway_stat sendReceived)" = "$sent" ] && ok "gas fallback: nothing sent" || fail "sendReceived $(gateway_stat sendReceived)"
[ "$(timestamped_count "$issuer" "$GATEWAY_LEDGER")" = 1 ] && ok "gas fallback: nothing timestamped" || fail "events"
gateway_fault none
expect_exit 0 "fault cleared: anchor anchors batch 1" "${ANCHOR[@]}"
[ "$(state_of 1 issuance)" = anchored ] && ok "batch 1 anchored" || fail "batch 1 $(state_of 1 issuance)"
"$NOTARY" proof --credential "$tmp/c1.json" >"$tmp/c1.proof.json"
expect_exit 0 "batch 1: VALID" V c1

# --- revocation checkpoint with the token expiring mid-run, then audit ----------------------
expect_exit 0 "revoke c0" "$NOTARY" revoke --credential "$tmp/c0.json" --reason superseded
gateway_fault expire-tokens
refused=$(gateway_stat authRefused)
expect_exit 0 "checkpoint: the token expired mid-run, renewed once, timestamped" \
    "$NOTARY" checkpoint --poll-ms 100 --timeout 60
[ "$(gateway_stat authRefused)" -gt "$refused" ] && ok "the expired token was refused (401) first" || fail "authRefused $(gateway_stat authRefused)"
[ "$(gateway_stat tokensIssued)" = 2 ] && ok "exactly one new token" || fail "tokensIssued $(gateway_stat tokensIssued)"
[ "$(timestamped_count "$issuer" "$GATEWAY_LEDGER")" = 3 ] \
    && ok "three TimestampedHashes events sent by the issuer (two batches, one checkpoint)" || fail "events"
"$NOTARY" revocations export --out "$tmp/log.json" >/dev/null
expect_exit 4 "c0: REVOKED" V c0 --revocations "$tmp/log.json"
has "... bound by checkpoint 0" "no later than checkpoint 0"
has "... issued by the DID, its legal entity" "issued by $DID — E2E Test University"
expect_exit 0 "c1: VALID as of checkpoint 0" V c1 --revocations "$tmp/log.json"
has "... as of checkpoint 0" "not revoked as of checkpoint 0"
V_STATUS=()
for c in c0 c1; do
    V "$c" --revocations "$tmp/log.json" --json >"$tmp/$c.verdict" 2>/dev/null
    V_STATUS+=("$c=$(json_field status <"$tmp/$c.verdict")")
done
printf '{"credential": "%s", "proof": "%s"}\n' "$tmp/c0.json" "$tmp/c0.proof.json" "$tmp/c1.json" "$tmp/c1.proof.json" >"$tmp/list"
expect_exit 4 "verify --batch --issuer did:ebsi:… over both bundles: REVOKED among them" \
    "$VERIFIER" verify --batch "$tmp/list" --issuer "$DID" --revocations "$tmp/log.json" "${L[@]}"
b_status=$(python3 -c 'import json, os, sys
for line in sys.stdin.read().splitlines():
    if line.startswith("{"):
        o = json.loads(line)
        assert o["issuerName"] == sys.argv[1], o
        print("%s=%s" % (os.path.basename(o["input"]["credential"])[:-5], o["status"]))' "$DID" <<<"$LAST_OUT" | tr '\n' ' ')
[ "$b_status" = "${V_STATUS[*]} " ] && [ "${V_STATUS[*]}" = "c0=REVOKED c1=VALID" ] \
    && ok "... the same verdicts as one verify each: $b_status" || fail "batch '$b_status' vs single '${V_STATUS[*]}'"
expect_exit 0 "verifier audit --ledger ebsi: clean" "$VERIFIER" audit --issuer "$issuer" --rpc "$GATEWAY_LEDGER" \
    --ledger ebsi --contract "$GATEWAY_CONTRACT" --revocations "$tmp/log.json" --timestamp-code --json
[ "$(findings <<<"$LAST_OUT")" = "" ] && [ "$(json_field counts.batches <<<"$LAST_OUT")" = 2 ] \
    && [ "$(json_field counts.checkpoints <<<"$LAST_OUT")" = 1 ] \
    && ok "audit: no findings, 2 batches and 1 checkpoint found on the ledger" || fail "audit: $LAST_OUT"

# --- checkController on send: a transaction key the DID does not list ----------------------
# A second notary of the same DID whose transaction key ($DEV_KEY_1) is not in the DID
# document: EBSI's sendSignedTransaction refuses the send for the token's DID; the batch
# stays pending with its signed transaction; once the DID lists the key, `notary anchor`
# sends that same transaction and it is anchored.
notary_dir n2
notary_key_file "$d/key.hex" "$DEV_KEY_1"
AD1=$(tr A-F a-f <<<"$DEV_ADDR_1")
PUB1=$(eth_public_key "$DEV_KEY_1") || { fail "public key (node, ethers)"; finish; }
expect_exit 0 "second notary: init --did with a transaction key the DID does not list" \
    "$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API" \
    --timestamp-contract "$GATEWAY_CONTRACT" --did "$DID" --vp-key "$tmp/vp.pem" --import-key "$d/key.hex" --kdf-light
has "... init prints the public key to register" "its public key ${PUB1,,}\$"
credential k0
refused=$(gateway_stat controllerRefused)
expect_exit 1 "anchor: sendSignedTransaction refused (the signer does not control the DID)" "${ANCHOR[@]}"
has "... quotes EBSI's refusal" "The DID $DID is not controlled by the address $AD1"
has "... says what is wrong" "the transaction key is not a controller of the DID"
has "... and what to do" "register its public key (printed by \`notary init\`) as a secp256k1 capabilityInvocation method of the DID"
[ "$(gateway_stat controllerRefused)" = $((refused + 1)) ] && ok "the gateway refused one send by checkController" \
    || fail "controllerRefused $(gateway_stat controllerRefused)"
[ "$(state_of 0 issuance)" = sent ] && ok "the batch stays pending (sent: its signed transaction stored)" \
    || fail "batch 0 of n2: $(state_of 0 issuance)"
expect_grep "... the reason is in status" "is not controlled by the address $AD1" "$(state_of 0 issuance reason)"
tx1=$(state_of 0 issuance txHash)
[ "$(timestamped_count "$DEV_ADDR_1" "$GATEWAY_LEDGER")" = 0 ] && ok "nothing reached the ledger" || fail "events of $DEV_ADDR_1"
# EBSI's answer, byte for byte in shape: HTTP 400, InvalidRequestJsonRpcError (-32600), the request's id
out=$(node -e '
const fs = require("fs"), { ethers } = require("ethers");
(async () => {
  const [api, cache, key, did] = process.argv.slice(1);
  const token = JSON.parse(fs.readFileSync(cache, "utf8")).access_token;
  const w = new ethers.Wallet(key);
  const call = async (id, method, params) => {
    const r = await fetch(api, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params }) });
    return [r.status, await r.json()];
  };
  const [, b] = await call(1, "timestampHashes", [{ from: w.address, hashAlgorithmIds: [0], hashValues: [ethers.hexlify(ethers.randomBytes(32))] }]);
  const u = b.result;
  const signed = await w.signTransaction({ type: 0, to: u.to, data: u.data, nonce: Number(u.nonce), gasLimit: u.gasLimit, gasPrice: 0, value: 0, chainId: BigInt(u.chainId) });
  const sig = ethers.Transaction.from(signed).signature;
  const [st, body] = await call("45", "sendSignedTransaction", [{ protocol: "eth", unsignedTransaction: u, r: sig.r, s: sig.s, v: `0x${sig.v.toString(16)}`, signedRawTransaction: signed }]);
  const want = { jsonrpc: "2.0", id: "45", error: { code: -32600, message: `The DID ${did} is not controlled by the address ${w.address.toLowerCase()}` } };
  console.log(st === 400 && JSON.stringify(body) === JSON.stringify(want) ? "same" : `got ${st} ${JSON.stringify(body)}`);
})().catch((e) => { console.log(e.message); process.exit(1); });' "$GATEWAY_API" "$d/data/ebsi-token.json" "$DEV_KEY_1" "$DID")
[ "$out" = same ] && ok "the refusal is EBSI's: HTTP 400, {jsonrpc, id, error: {code -32600, message}}" || fail "refusal: $out"
# the DID's controller (its own first key) adds the key: capabilityInvocation, keys-2
ebsi_registries_write <<PY
dids = {"$DID": {"controllers": ["$DID"], "keys": [key("$PUB0"), key("$PUB1", rels=("capabilityInvocation",), id="keys-2"),
                                                   jwk_key("$tmp/kid", "$tmp/vp.jwk")]}}
tir = {"$DID": [accr("$DID", name="E2E Test University")]}
PY
expect_exit 0 "the DID lists the key: notary anchor anchors the pending batch" "${ANCHOR[@]}"
[ "$(state_of 0 issuance)" = anchored ] && ok "batch 0 of the second notary anchored" || fail "batch 0 of n2: $(state_of 0 issuance)"
[ "$(state_of 0 issuance txHash)" = "$tx1" ] && ok "... by the transaction signed before (nothing re-signed, nothing lost)" \
    || fail "txHash $(state_of 0 issuance txHash), was $tx1"
"$NOTARY" proof --credential "$tmp/k0.json" >"$tmp/k0.proof.json"
expect_exit 0 "its credential: VALID with --issuer did:ebsi:…" V k0
has "... the address is a controller through the key just registered" "makes $AD1 a controller of it (capabilityInvocation secp256k1 key $DID#keys-2)"

finish
