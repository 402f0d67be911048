#!/usr/bin/env bash
# tests/cli/secrets.sh — the issuer key and its password appear nowhere in
# clear after a full run on a real local ledger (ganache):
#   init with an imported key, submit, close, anchor, proof, verify (offline
#   and online), revoke, checkpoint, revocations export, status — and
#   `notary serve` when the command exists — with every stdout and stderr
#   captured. Then everything written is searched: the logs, the outputs
#   (bundles, exports), the whole data directory (SQLite database and WAL
#   included, the keystore too) and any core file, for the private key in
#   hex (with and without 0x, any case), as raw bytes, and for the password.
#   The only place the key may live is inside the keystore's ciphertext.
# Also: a notary killed by SIGABRT while it holds the key leaves no core file
# (PR_SET_DUMPABLE 0), while a dumpable process aborted the same way does —
# so the check proves something on this machine.
# The key is a fresh random one (funded from ganache's public development
# account), so any hit is a real leak and not ganache's banner.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin secrets --abs
secret=$tmp/secret # the inputs that hold the secrets: never searched
out=$tmp/run       # everything the run produces: searched
mkdir -p "$secret" "$out/logs" "$out/files" "$out/cwd"
chmod 700 "$secret"
export LEDGER_LOG_DIR=$secret # ganache's log (it prints its own dev keys) stays out of the search
export NOTARY_DATA=$out/data
unset NOTARY_PASSWORD

# --- the secrets ----------------------------------------------------------------
KEY=$(openssl rand -hex 32)
PASSWORD="pw-$(openssl rand -hex 12)-Secr3t"
(umask 077; printf '0x%s\n' "$KEY" > "$secret/key.hex"; printf '%s\n' "$PASSWORD" > "$secret/password")
ADDR=$(KEY=$KEY node -e 'console.log(new (require("ethers").Wallet)("0x" + process.env.KEY).address)') ||
    { fail "derive the address (node + ethers)"; finish; }

notary_ledger_start
# Fund the fresh key from the first (unlocked) development account.
ledger_rpc eth_sendTransaction "[{\"from\":\"$DEV_ADDR_0\",\"to\":\"$ADDR\",\"value\":\"0x56bc75e2d63100000\"}]" >/dev/null ||
    { fail "fund the test key"; finish; }

# run NAME WANT COMMAND...: run from $out/cwd (where a core file would land),
# stdout and stderr to $out/logs/NAME.{out,err}; the exit status must be WANT.
run() {
    local name=$1 want=$2; shift 2
    local rc
    (cd "$out/cwd" && ulimit -c unlimited 2>/dev/null; "$@") >"$out/logs/$name.out" 2>"$out/logs/$name.err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$name (exit $rc)"; else
        fail "$name: exit $rc, want $want"; tail -n 5 "$out/logs/$name.err" | sed 's/^/    /'; fi
}
N() { "$NOTARY" --password-file "$secret/password" "$@"; }

# --- a full run -------------------------------------------------------------------
run init 0 N init --rpc "$LEDGER_URL" --chain-id 1337 --deploy --import-key "$secret/key.hex" --kdf-light --json
grep -qi "${ADDR#0x}" "$out/logs/init.out" && ok "the imported key is the issuer" || fail "issuer is not $ADDR"
for i in 0 1 2 3 4; do
    printf '{"credentialSubject": {"id": "holder-%d"}, "type": ["VerifiableCredential"]}\n' "$i" > "$out/files/c$i.json"
done
run submit 0 N submit --json --credential "$out/files/c0.json" --credential "$out/files/c1.json" \
    --credential "$out/files/c2.json" --credential "$out/files/c3.json" --credential "$out/files/c4.json"
run close 0 N close --json
run anchor 0 N anchor --poll-ms 100 --json
run proof 0 N proof --credential "$out/files/c0.json" --out "$out/files/b0.json"
run proof-batch 0 N proof --batch 0 --dir "$out/files/bundles"
run verify-offline 0 "$VERIFIER" verify "$out/files/c0.json" --proof "$out/files/b0.json" --offline
run verify-online 0 "$VERIFIER" verify "$out/files/c0.json" --proof "$out/files/b0.json" --rpc "$LEDGER_URL" --issuer "$ADDR"
run revoke 0 N revoke --credential "$out/files/c1.json" --reason fraud --note "test revocation"
run checkpoint 0 N checkpoint --poll-ms 100 --json
run export 0 N revocations export --out "$out/files/revocations.json"
run status 0 N status --json
# Wrong passwords and bad keys: the messages must not echo what was typed.
printf 'not-the-%s\n' "$PASSWORD" > "$secret/wrong"
run wrong-password 1 "$NOTARY" --password-file "$secret/wrong" anchor --poll-ms 100
run no-password 2 "$NOTARY" anchor --poll-ms 100
(umask 077; printf '0x%s\n' "${KEY:0:63}" > "$secret/short.hex")
run bad-import 2 env NOTARY_DATA="$out/data2" "$NOTARY" --password-file "$secret/password" init \
    --rpc "$LEDGER_URL" --deploy --import-key "$secret/short.hex" --kdf-light
# notary serve: an API token (a secret too: it must not reach the logs either),
# a submission over HTTP, the scheduler closing and anchoring it with the key,
# the proof fetched over HTTP, then SIGTERM. Its JSON log lines are searched.
if "$NOTARY" serve --help >/dev/null 2>&1; then
    N token add secrets-test --json > "$secret/token.json" 2>"$out/logs/token.err" ||
        fail "token add: $(cat "$out/logs/token.err")"
    TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$secret/token.json" 2>/dev/null)
    [ -n "$TOKEN" ] && ok "an API token was made" || fail "no token in $(cat "$secret/token.json")"
    (cd "$out/cwd" && exec "$NOTARY" --password-file "$secret/password" serve --listen 127.0.0.1:0 \
        --port-file "$out/port" --close-every 1 --close-at none --poll-ms 100 --access-log) \
        >"$out/logs/serve.out" 2>"$out/logs/serve.err" &
    spid=$!
    for _ in $(seq 1 100); do [ -s "$out/port" ] && break; sleep 0.1; done
    port=$(cat "$out/port" 2>/dev/null)
    H=$(printf 'served credential' | sha256sum | cut -c1-64)
    st=$(curl -s --noproxy '*' --max-time 10 -o "$out/files/submit.json" -w '%{http_code}' \
        -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data "{\"hashes\":[\"$H\"]}" "http://127.0.0.1:$port/v1/hashes")
    [ "${st:0:1}" = 2 ] && ok "serve: submission accepted ($st)" || fail "serve: submission answered $st"
    anchored=""
    for _ in $(seq 1 150); do # until the scheduler has closed and anchored it (15 s)
        curl -s --noproxy '*' --max-time 5 -o "$out/files/served-proof.json" \
            "http://127.0.0.1:$port/v1/proofs/$H" 2>/dev/null
        grep -q '"txHash"' "$out/files/served-proof.json" 2>/dev/null && { anchored=1; break; }
        sleep 0.1
    done
    [ -n "$anchored" ] && ok "serve: the scheduler anchored it with the key; proof over HTTP" ||
        fail "serve: no anchored proof: $(tail -n 3 "$out/logs/serve.err")"
    kill -TERM "$spid" 2>/dev/null
    wait "$spid"
    src=$?
    [ "$src" -eq 0 ] && ok "serve stopped cleanly on SIGTERM" || fail "serve exit $src"
    if [ -n "$TOKEN" ] && grep -rqF "$TOKEN" "$out"; then
        fail "the API token appears in: $(grep -rlF "$TOKEN" "$out" | tr '\n' ' ')"
    else
        ok "the API token appears in no output, log or file"
    fi
fi

# --- no core file from a notary that holds the key ----------------------------------
# Wait for confirmations that will not come (ganache mines only on demand): the
# notary sits in `anchor` with the key loaded. Then abort it.
printf '{"late": true}\n' > "$out/files/late.json"
N submit --credential "$out/files/late.json" >"$out/logs/late-submit.out" 2>&1
N close >"$out/logs/late-close.out" 2>&1
{ # stderr of this block (the shell's "Aborted" notice) is dropped
    (cd "$out/cwd" && ulimit -c unlimited && exec "$NOTARY" --password-file "$secret/password" anchor \
        --confirmations 50 --timeout 60 --poll-ms 200) >"$out/logs/abort.out" 2>"$out/logs/abort.err" &
    pid=$!
    for _ in $(seq 1 100); do # until it has sent its transaction (or 10 s)
        grep -qi "recorded in transaction\|sent\|waiting" "$out/logs/abort.err" "$out/logs/abort.out" 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.5
    kill -ABRT "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
} 2>/dev/null
grep -qi "recorded in transaction\|sent\|waiting" "$out/logs/abort.err" "$out/logs/abort.out" &&
    ok "the notary had sent its transaction and was waiting, key loaded" ||
    fail "the notary was not yet waiting: $(tail -n 3 "$out/logs/abort.err")"
[ "$rc" -eq 134 ] && ok "the notary was aborted while holding the key (exit 134)" || fail "abort: exit $rc, want 134"
cores=$(find "$out/cwd" -name 'core*' | wc -l)
[ "$cores" -eq 0 ] && ok "no core file from the notary" || fail "the notary left $cores core file(s)"
# Control: a dumpable process aborted in the same place does leave one.
(cd "$out/cwd" && ulimit -c unlimited && exec sleep 30) &
cpid=$!
sleep 0.3
kill -ABRT "$cpid"
{ wait "$cpid"; } 2>/dev/null
if [ "$(find "$out/cwd" -name 'core*' | wc -l)" -gt 0 ]; then
    ok "control: a dumpable process does leave a core here"
    find "$out/cwd" -name 'core*' -delete
else
    echo "# this machine writes no core files (core_pattern $(cat /proc/sys/kernel/core_pattern)): the no-core check proves little"
fi
# The aborted run is recoverable: its transaction is found, not sent twice.
run anchor-after-abort 0 N anchor --poll-ms 100 --json

# --- the search ---------------------------------------------------------------------
[ -s "$out/data/notary.db" ] && ok "the database is there to search" || fail "no notary.db in $out/data"
[ -s "$out/data/key.json" ] && ok "the keystore is there to search" || fail "no key.json in $out/data"
nfiles=$(find "$out" -type f | wc -l)
# search ROOT: one line per (what, file) found; hex is matched in any case
# (which also covers the 0x-prefixed form), raw bytes and password exactly.
search() {
    python3 - "$1" "$KEY" "$PASSWORD" <<'EOF'
import os, sys
root, key, pw = sys.argv[1], sys.argv[2].lower(), sys.argv[3].encode()
for d, _, files in os.walk(root):
    for f in sorted(files):
        p = os.path.join(d, f)
        data = open(p, "rb").read()
        rel = os.path.relpath(p, root)
        if key.encode() in data.lower():
            print("key in hex in", rel)
        if bytes.fromhex(key) in data:
            print("key as raw bytes in", rel)
        if pw in data:
            print("password in", rel)
EOF
}
report=$(search "$out")
if [ -z "$report" ]; then
    ok "no key (hex in any case, with or without 0x, or raw) and no password in $nfiles files"
else
    fail "secrets found in clear:"; sed 's/^/    /' <<<"$report"
fi
# The search itself works: plant the key (upper case, 0x, and raw) and the password.
mkdir -p "$tmp/planted"
printf 'x0X%sx\n' "$(tr 'a-f' 'A-F' <<<"$KEY")" > "$tmp/planted/a.log"
printf 'pw=%s\n' "$PASSWORD" > "$tmp/planted/b.log"
python3 -c 'import sys; open(sys.argv[1], "wb").write(b"\x00" + bytes.fromhex(sys.argv[2]))' "$tmp/planted/c.bin" "$KEY"
[ "$(search "$tmp/planted" | wc -l)" -eq 3 ] && ok "the search finds a planted key (hex, raw) and password" ||
    fail "the search is blind: $(search "$tmp/planted" | tr '\n' ';')"
finish
