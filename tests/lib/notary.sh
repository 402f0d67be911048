# tests/lib/notary.sh — the opening that the notary's scripted tests
# (tests/cli/*.sh) share, and the ledger readings several of them make.
# Source it instead of check.sh (it sources check.sh) after the `cd` to the
# project root:
#
#   . tests/lib/notary.sh
#   notary_test_begin notary-evm      # NOTARY, VERIFIER, $tmp, ledger.sh, cleanup
#   notary_ledger_start               # or: notary_ledger_start berlin
#   notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
#   notary_init_evm "$tmp/data" "$tmp/key.hex" --json >"$tmp/init.json"
#   ... checks (check.sh) ...
#   finish
#
# Every function that fails the test says so with `fail` and calls `finish`
# (the script ends there with its summary line); the others return a status.

. "${BASH_SOURCE[0]%/*}/check.sh"

# notary_bins [--abs]: BUILD defaults to build; NOTARY and VERIFIER name
# $BUILD/bin/notary and $BUILD/bin/verifier (prefixed with $PWD with --abs,
# for tests that run them from another directory).
notary_bins() {
    local root=
    [ "${1:-}" = --abs ] && root=$PWD/
    BUILD=${BUILD:-build}
    NOTARY="$root$BUILD/bin/notary"
    VERIFIER="$root$BUILD/bin/verifier"
}

# notary_test_begin NAME [--abs]: the common opening of a test that runs the
# notary or the verifier on a local ledger.
#   - notary_bins [--abs];
#   - installs the pinned Node tools (scripts/setup.sh --npm .) or fails the
#     test and finishes;
#   - sources tests/lib/ledger.sh (nothing is started yet);
#   - makes the scratch folder $tmp (NAME.XXXXXX under $TMPDIR) and puts the
#     ledger logs there (LEDGER_LOG_DIR);
#   - on exit runs what notary_on_exit added, stops the ledger and removes
#     $tmp (kept when KEEP_TMP is set); SIGINT/SIGTERM exit 130/143 through
#     the same cleanup;
#   - exports NOTARY_PASSWORD="test password" (a test that wants another one
#     exports it afterwards) and unsets NOTARY_STORE and NOTARY_EBSI_TOKEN, so
#     that the caller's environment does not choose the store or the token.
# Call it directly, not in $(...): it sets variables and traps of the script.
notary_test_begin() {
    local name=$1
    notary_bins "${2:-}"
    scripts/setup.sh --npm . >/dev/null || { fail "setup: npm ci"; finish; }
    . tests/lib/ledger.sh
    scratch_dir "$name"
    export LEDGER_LOG_DIR=$tmp
    NOTARY_ON_EXIT=
    trap _notary_test_end EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export NOTARY_PASSWORD="test password"
    unset NOTARY_STORE NOTARY_EBSI_TOKEN
}

# notary_on_exit COMMAND: run the shell COMMAND at exit, before the ledger
# is stopped and $tmp removed (later additions run first: what was started
# last stops first).
notary_on_exit() { NOTARY_ON_EXIT="$1; ${NOTARY_ON_EXIT:-}"; }

_notary_test_end() {
    eval "${NOTARY_ON_EXIT:-}"
    ledger_stop >/dev/null 2>&1
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"
}

# notary_ledger_start [PROFILE]: ledger_start PROFILE, or fail the test
# ("ledger start") and finish.
notary_ledger_start() { ledger_start "$@" || { fail "ledger start"; finish; }; }

# notary_key_file PATH SECRET: write SECRET and a newline to PATH, mode 0600
# from the start (a key or token file as an operator would keep it).
notary_key_file() { (umask 077; printf '%s\n' "$2" >"$1"); }

# notary_identity_keystore PASSWORD JSON SECRET: a fresh NotaryRegistry2
# identity key (no funds) in a keystore v3 made by ethers (light scrypt,
# N 4096) at JSON, and its private key (hex, no 0x) and address on two lines
# in SECRET; both mode 0600. Returns non-zero when node fails.
notary_identity_keystore() {
    node -e '
        const { ethers } = require("ethers");
        const w = ethers.Wallet.createRandom();
        const j = ethers.encryptKeystoreJsonSync({ address: w.address, privateKey: w.privateKey },
            process.argv[1], { scrypt: { N: 4096 } });
        const fs = require("fs");
        fs.writeFileSync(process.argv[2], j, { mode: 0o600 });
        fs.writeFileSync(process.argv[3], w.privateKey.slice(2) + "\n" + w.address + "\n", { mode: 0o600 });
    ' "$1" "$2" "$3"
}

# notary_dir [NAME]: the usual setting of a test's notary: d=$tmp/NAME
# (default n) made, NOTARY_DATA=$d/data exported, and the issuer key
# $DEV_KEY_0 in $d/key.hex (0600) for notary_init_evm / notary_init_ebsi.
notary_dir() {
    d=$tmp/${1:-n}
    mkdir -p "$d"
    export NOTARY_DATA=$d/data
    notary_key_file "$d/key.hex" "$DEV_KEY_0"
}

# notary_init_evm DATA KEYFILE [ARGS...]: `notary init` of a new EVM notary
# in DATA with the key in KEYFILE, deploying its own registry on
# $LEDGER_URL (light KDF: tests only). Its output and exit status are
# init's own.
notary_init_evm() {
    local data=$1 key=$2; shift 2
    NOTARY_DATA=$data "$NOTARY" init --rpc "$LEDGER_URL" --deploy --import-key "$key" --kdf-light "$@"
}

# notary_gateway_start [TOKENS_JSON]: the EBSI setting: a berlin ledger
# (gasPrice 0), the gateway (tests/gateway/gateway.sh) in front of it with
# the tokens TOKENS_JSON (default: "good-token-1" with timestamp_write), and
# $tmp/token holding good-token-1. Stopped at exit. Fails the test and
# finishes when the ledger or the gateway does not start. Exports
# GATEWAY_API, GATEWAY_LEDGER, GATEWAY_CONTRACT ... (gateway.sh).
notary_gateway_start() {
    local tokens=${1:-'{"tokens": [{"token": "good-token-1", "scopes": ["timestamp_write"], "exp": 4102444800}]}'}
    . tests/gateway/gateway.sh
    notary_on_exit 'gateway_stop >/dev/null 2>&1'
    notary_ledger_start berlin
    printf '%s\n' "$tokens" >"$tmp/tokens.json"
    gateway_start "$tmp/tokens.json" || { fail "gateway start"; finish; }
    notary_key_file "$tmp/token" good-token-1
}

# notary_init_ebsi DATA KEYFILE [ARGS...]: `notary init --ledger ebsi` of a
# notary in DATA with the key in KEYFILE, anchoring through the gateway
# that notary_gateway_start started (token file $tmp/token, light KDF).
notary_init_ebsi() {
    local data=$1 key=$2; shift 2
    NOTARY_DATA=$data "$NOTARY" init --ledger ebsi --rpc "$GATEWAY_LEDGER" --timestamp-api "$GATEWAY_API" \
        --timestamp-contract "$GATEWAY_CONTRACT" --token-file "$tmp/token" --import-key "$key" --kdf-light "$@"
}

# hash_of TEXT: the SHA-256 of TEXT (no newline added), 64 hex digits.
hash_of() { printf '%s' "$1" | sha256sum | cut -c1-64; }

# topic_of_address ADDRESS: the 32-byte log topic of a 20-byte address.
topic_of_address() { printf '0x000000000000000000000000%s\n' "$(tr 'A-F' 'a-f' <<<"${1#0x}")"; }

# ledger_logs CONTRACT TOPIC0 TOPIC1 [URL]: the JSON answer of eth_getLogs
# for CONTRACT's events with those two topics, from block 0 to the latest,
# asked of URL (default: the ledger itself, $LEDGER_URL).
ledger_logs() {
    ledger_rpc eth_getLogs "[{\"address\":\"$1\",\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"topics\":[\"$2\",\"$3\"]}]" "${4:-}"
}

# count_results < JSON-RPC ANSWER: how many items its "result" holds.
count_results() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["result"]))'; }

# The topic of NotaryRegistry's Anchored(address indexed issuer, bytes32
# indexed root, uint64, uint64, uint8) event.
ANCHORED_TOPIC=0x44073773c3302df727dabefe604d8b96c27a2615d89d0f9f7a83f923285ed1f1

# anchored_logs ISSUER CONTRACT: the JSON answer of eth_getLogs for the
# Anchored events of ISSUER in the registry CONTRACT, read from the ledger
# directly (not through the notary).
anchored_logs() { ledger_logs "$2" "$ANCHORED_TOPIC" "$(topic_of_address "$1")"; }

# The topic of the Timestamp contract's TimestampedHashes(bytes32[] timestampIds,
# uint256[] hashAlgorithmIds, bytes[] hashValues, bytes[] timestampData) event
# (EBSI's timestamp-v4; keccak-256 of that signature, as ethers.id gives it).
# Nothing is indexed and the event names no sender.
HASHTIMESTAMPED_TOPIC=0x306c2544c45d1ccf2ebbd744e9396906704a33212d781f5ba3f92dd7cc8b4d5b

# timestamped_count FROM [URL]: how many TimestampedHashes events of the
# gateway's Timestamp contract ($GATEWAY_CONTRACT) were emitted by
# transactions sent by FROM (each log's transaction read with
# eth_getTransactionByHash), asked of URL (default: the ledger directly).
timestamped_count() {
    local url=${2:-${LEDGER_URL:-}} logs
    logs=$(ledger_rpc eth_getLogs "[{\"address\":\"$GATEWAY_CONTRACT\",\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"topics\":[\"$HASHTIMESTAMPED_TOPIC\"]}]" "$url")
    python3 -c 'import json, sys, urllib.request as u
u.install_opener(u.build_opener(u.ProxyHandler({})))
url, who = sys.argv[1], sys.argv[2].lower()
n = 0
for log in json.loads(sys.argv[3])["result"]:
    req = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionByHash", "params": [log["transactionHash"]]})
    r = u.Request(url, data=req.encode(), headers={"Content-Type": "application/json"})
    tx = json.loads(u.urlopen(r, timeout=10).read().decode())["result"]
    n += tx["from"].lower() == who
print(n)' "$url" "$1" "$logs"
}

# batch_field SEQ FIELD: FIELD of batch SEQ in `notary status --json` of the
# current NOTARY_DATA ("" when the batch has no such field).
batch_field() {
    "$NOTARY" status --json | python3 -c 'import json,sys
print(json.load(sys.stdin)["batches"][int(sys.argv[1])].get(sys.argv[2], ""))' "$1" "$2"
}

# new_batch: submit one new hash (the SHA-256 of "$BATCH_TAG N", N counting
# from 1) and close it as a batch of its own, in the current NOTARY_DATA.
# Remembers the hash in HASHES and the count in nb; the status is close's.
# cur: the seq of the batch new_batch closed last (batches counted from 0).
HASHES=()
nb=0
BATCH_TAG=batch
new_batch() {
    nb=$((nb + 1))
    local h
    h=$(printf '%s %d' "$BATCH_TAG" "$nb" | sha256sum | cut -c1-64)
    HASHES+=("$h")
    "$NOTARY" submit "$h" >/dev/null && "$NOTARY" close >/dev/null
}
cur() { echo $((nb - 1)); }

# findings < AUDIT-JSON: the names of `verifier audit --json`'s findings,
# space-separated ("" when there are none).
findings() { python3 -c 'import json,sys; print(" ".join(f["name"] for f in json.load(sys.stdin)["findings"]))'; }

# revlog_mutate LOG OUT PYTHON: write to OUT the revocation log export LOG
# after the Python statements PYTHON ran on it (d = the log, e = its
# entries): a tampered copy.
revlog_mutate() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
e = d["entries"]
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"), indent=1)
PY
}

# --- reading and moving the ledger and the store (reorg tests) ---------------------

# raw_tx SEQ: the signed bytes (0x-hex) that the SQLite store in NOTARY_DATA
# holds for issuance batch SEQ's current transaction.
raw_tx() {
    python3 - "$NOTARY_DATA/notary.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
(raw,) = db.execute("SELECT t.raw FROM txs t JOIN batches b ON b.tx_hash = t.tx_hash "
                    "WHERE b.kind = 0 AND b.seq = ?", (int(sys.argv[2]),)).fetchone()
print("0x" + raw.hex())
PY
}
# st PATH: the member at PATH of `notary status --json` (json_field).
st() { "$NOTARY" status --json | json_field "$1"; }
# block_number: the ledger's latest block number, in decimal.
block_number() { ledger_rpc eth_blockNumber | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["result"], 16))'; }
# snapshot: take a ganache snapshot, print its id (for evm_revert).
snapshot() { ledger_rpc evm_snapshot | json_field result; }
# mine N: mine N empty blocks.
mine() { for _ in $(seq 1 "$1"); do ledger_rpc evm_mine >/dev/null; done; }
# batch TEXT: submit hash_of TEXT and close it as a batch of its own.
batch() { "$NOTARY" submit "$(hash_of "$1")" >/dev/null && "$NOTARY" close >/dev/null; }

# wait_port_file FILE PID: wait (up to ~10 s) until FILE is not empty (a
# `notary serve --port-file FILE` has bound its port) or PID has exited.
# Succeeds when FILE is not empty.
wait_port_file() {
    local i
    for i in $(seq 1 200); do
        [ -s "$1" ] && break
        kill -0 "$2" 2>/dev/null || break
        sleep 0.05
    done
    [ -s "$1" ]
}
