#!/usr/bin/env bash
# tests/cli/pg_cluster.sh — the notary on PostgreSQL (issue 8), end to end on a
# local ledger (ganache) and a PostgreSQL server of our own (tests/lib/pg.sh):
#   - `notary init --store postgresql://…` (kept in DIR/store.url, 0600; no
#     SQLite file), refusals (a store that already holds a notary, a server
#     that does not answer); issue → close → anchor → proof → `verifier verify
#     --rpc` VALID with the CLI, the store on PostgreSQL;
#   - two `notary serve` instances on the one database (the second configured by
#     $NOTARY_STORE): exactly one is leader (advisory lock); submissions spread
#     over both; the leader is killed with SIGKILL as soon as it has closed a
#     batch (its anchoring in flight); the other takes over within seconds and
#     closes and anchors everything;
#   - the crash-trial invariants (scripts/crash-trials.sh): every acknowledged
#     hash is stored once, inside its batch's contiguous leaf range; every
#     closed batch is anchored, with exactly one Anchored event on the ledger
#     carrying the recorded seq, size and transaction; sampled bundles verify.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-pgc --abs
. tests/lib/pg.sh
PIDS=()
stop_pids() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}
notary_on_exit pg_stop
notary_on_exit stop_pids
CURL=(curl -s --noproxy '*' --max-time 20)

pg_start || { fail "PostgreSQL start"; finish; }
notary_ledger_start
DB=$(pg_createdb notary) || { fail "createdb"; finish; }
psqlq() { psql -X -q -At -v ON_ERROR_STOP=1 "$DB" -c "$1"; }

# --- init on PostgreSQL ----------------------------------------------------------
A=$tmp/a
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
NOTARY_DATA=$A "$NOTARY" init --store "$DB" --rpc "$LEDGER_URL" --deploy --import-key "$tmp/key.hex" \
    --kdf-light --json > "$tmp/init.json" 2>"$tmp/init.err" || { fail "init: $(cat "$tmp/init.err")"; finish; }
ok "init --store postgresql://"
ISSUER=$(json_field issuer < "$tmp/init.json")
CONTRACT=$(json_field contract < "$tmp/init.json")
[ "$(cat "$A/store.url")" = "$DB" ] && [ "$(stat -c %a "$A/store.url")" = 600 ] \
    && ok "the store URL is kept in DATA/store.url (0600)" || fail "store.url: $(ls -l "$A")"
[ ! -e "$A/notary.db" ] && ok "no SQLite file beside it" || fail "notary.db created"
[ "$(psqlq "SELECT value FROM meta WHERE key = 'issuer'")" = "$ISSUER" ] \
    && ok "the settings are in the PostgreSQL database" || fail "meta not in PostgreSQL"
[ "$(psqlq "SELECT version FROM schema_version")" = 7 ] && ok "schema version 7 (migrations 1-7)" \
    || fail "schema_version: $(psqlq 'SELECT * FROM schema_version')"
NOTARY_DATA=$tmp/again "$NOTARY" init --store "$DB" --rpc "$LEDGER_URL" --contract "$CONTRACT" \
    --import-key "$tmp/key.hex" --kdf-light >/dev/null 2>"$tmp/again.err"
[ $? -ne 0 ] && grep -q "already holds a notary" "$tmp/again.err" \
    && ok "init refuses a database that already holds a notary" || fail "second init: $(cat "$tmp/again.err")"
NOTARY_DATA=$tmp/down "$NOTARY" init --store "postgresql://notary@127.0.0.1:1/x?connect_timeout=2" \
    --rpc "$LEDGER_URL" --contract "$CONTRACT" --import-key "$tmp/key.hex" --kdf-light >/dev/null 2>"$tmp/down.err"
[ $? -ne 0 ] && grep -q "cannot connect to the PostgreSQL store" "$tmp/down.err" \
    && ok "init against a server that does not answer fails clearly" || fail "init down: $(cat "$tmp/down.err")"
NOTARY_STORE="postgresql://notary@127.0.0.1:$PG_PORT/nosuchdb" NOTARY_DATA=$A "$NOTARY" status >/dev/null 2>"$tmp/nodb.err"
[ $? -ne 0 ] && grep -q "nosuchdb" "$tmp/nodb.err" && ok "\$NOTARY_STORE overrides store.url" \
    || fail "NOTARY_STORE: $(cat "$tmp/nodb.err")"

# --- issue → anchor → verify with the CLI ------------------------------------------
export NOTARY_DATA=$A
h() { hash_of "$1"; }
"$NOTARY" submit "$(h one)" "$(h two)" "$(h three)" >/dev/null 2>"$tmp/sub.err" && ok "submit" || fail "submit: $(cat "$tmp/sub.err")"
"$NOTARY" submit "$(h two)" --json > "$tmp/dup.json" 2>/dev/null
grep -q '"existed": *true' "$tmp/dup.json" && ok "resubmission returns the existing record" || fail "dup: $(cat "$tmp/dup.json")"
"$NOTARY" close >/dev/null 2>"$tmp/close.err" && ok "close" || fail "close: $(cat "$tmp/close.err")"
"$NOTARY" anchor --poll-ms 100 >/dev/null 2>"$tmp/anchor.err" && ok "anchor" || fail "anchor: $(cat "$tmp/anchor.err")"
"$NOTARY" proof "$(h two)" > "$tmp/b2.json" 2>"$tmp/proof.err" && ok "proof" || fail "proof: $(cat "$tmp/proof.err")"
"$VERIFIER" verify --hash "$(h two)" --proof "$tmp/b2.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" >"$tmp/v.out" 2>&1 \
    && ok "bundle from the PostgreSQL store verifies VALID on the ledger" || fail "verify: $(tail -n 5 "$tmp/v.out")"
"$VERIFIER" verify --hash "$(h four)" --proof "$tmp/b2.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" >/dev/null 2>&1
[ $? -ne 0 ] && ok "another hash with that bundle does not verify" || fail "wrong hash accepted"
[ "$(psqlq "SELECT state FROM batches WHERE kind = 0 AND seq = 0")" = 3 ] && ok "batch 0 anchored in the store" || fail "batch 0 state"
TOKEN=$("$NOTARY" token add registrar 2>/dev/null)
[[ "$TOKEN" =~ ^ntk_ ]] && ok "token add (kept in PostgreSQL)" || fail "token add"

# --- two serve instances ----------------------------------------------------------
B=$tmp/b
mkdir -p "$B" && cp "$A/key.json" "$B/key.json" # the same issuer key; store by $NOTARY_STORE
start_serve() { # start_serve NAME DATA [env...]: sets PID_<NAME>, URL_<NAME>
    local name=$1 data=$2; shift 2
    rm -f "$tmp/port.$name"
    env NOTARY_DATA="$data" "$@" "$NOTARY" serve --listen 127.0.0.1:0 --port-file "$tmp/port.$name" \
        --close-every 2 --close-at none --batch-cap 0 --poll-ms 100 2>"$tmp/serve.$name.log" &
    local pid=$!
    PIDS+=("$pid")
    printf -v "PID_$name" %s "$pid"
    wait_port_file "$tmp/port.$name" "$pid" || { fail "serve $name did not start: $(tail -n 3 "$tmp/serve.$name.log")"; return 1; }
    printf -v "URL_$name" %s "http://127.0.0.1:$(cat "$tmp/port.$name")"
}
leader_of() { "${CURL[@]}" "$1/v1/health" | json_field scheduler.leader 2>/dev/null; }
wait_leader() { # wait_leader URL: true once that instance says it leads
    local i
    for i in $(seq 1 150); do [ "$(leader_of "$1")" = True ] && return 0; sleep 0.1; done
    return 1
}
start_serve A "$A" || finish
wait_leader "$URL_A" && ok "the first instance becomes leader" || fail "A not leader: $("${CURL[@]}" "$URL_A/v1/health")"
start_serve B "$B" NOTARY_STORE="$DB" || finish
sleep 1.5
[ "$(leader_of "$URL_B")" = False ] && ok "the second instance stands by (one leader)" || fail "B: $("${CURL[@]}" "$URL_B/v1/health")"

# Submissions spread over both; the leader is killed right after its first close.
: > "$tmp/acked"
submit_to() { # submit_to URL N SEED: acknowledged hashes appended to $tmp/acked
    python3 -c 'import random,sys; r=random.Random(sys.argv[2])
print("{\"hashes\":[" + ",".join("\"%064x\"" % r.getrandbits(256) for _ in range(int(sys.argv[1]))) + "]}")' "$2" "$3" > "$tmp/req.json"
    local st
    st=$("${CURL[@]}" -o "$tmp/resp.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' --data-binary @"$tmp/req.json" "$1/v1/hashes")
    [ "$st" = 200 ] && python3 -c 'import json,sys; [print(x) for x in json.load(open(sys.argv[1]))["hashes"]]' "$tmp/req.json" >> "$tmp/acked"
    [ "$st" = 200 ]
}
killed= ; a_acks=0; b_acks=0; a_fail=0
for i in $(seq 1 120); do
    if [ -z "$killed" ]; then submit_to "$URL_A" 50 "a$i" && a_acks=$((a_acks + 1)) || a_fail=$((a_fail + 1)); fi
    submit_to "$URL_B" 50 "b$i" && b_acks=$((b_acks + 1))
    # once A has taken a few requests: kill it as soon as it logs its next close
    closes=$(grep -c '"batch_closed"' "$tmp/serve.A.log")
    [ "$a_acks" -eq 5 ] && [ -z "${closes_at5:-}" ] && closes_at5=$closes
    if [ -z "$killed" ] && [ -n "${closes_at5:-}" ] && [ "$closes" -gt "$closes_at5" ]; then
        kill -KILL "$PID_A"; wait "$PID_A" 2>/dev/null; killed=$i
    fi
    [ -n "$killed" ] && [ $((i - killed)) -ge 20 ] && break
    sleep 0.05
done
[ -n "$killed" ] && ok "leader killed with SIGKILL right after closing a batch (round $killed)" || fail "the leader never closed a batch"
[ "$a_acks" -gt 0 ] && [ "$b_acks" -gt 0 ] && ok "both instances acknowledged submissions ($a_acks and $b_acks requests)" \
    || fail "acks: A $a_acks, B $b_acks"
wait_leader "$URL_B" && ok "the other instance took over as leader" || fail "B never became leader: $(grep -c leader "$tmp/serve.B.log")"
grep -q '"leader_acquired"' "$tmp/serve.B.log" && ok "takeover logged (leader_acquired)" || fail "no leader_acquired in B's log"

# Wait until everything acknowledged is closed and anchored.
done_=
pg_wait_anchored "$DB" 300 0.2 && done_=1
[ -n "$done_" ] && ok "the new leader closed and anchored every batch" || fail "batches left: $(psqlq 'SELECT seq, state, size FROM batches WHERE kind = 0 ORDER BY seq')"
[ "$(psqlq "SELECT count(*) FROM batches WHERE kind = 0 AND state = 4")" = 0 ] && ok "no batch failed" || fail "failed batches"
kill -TERM "$PID_B"; wait "$PID_B"; rc=$?
[ "$rc" = 0 ] && ok "the survivor stops cleanly" || fail "B exit $rc"

# --- invariants ------------------------------------------------------------------
psql -X -q -At -F ' ' "$DB" -c "SELECT encode(hash, 'hex'), batch_seq, id FROM credentials" > "$tmp/creds.txt"
psql -X -q -At -F ' ' "$DB" -c "SELECT seq, state, size, first_id, upper(encode(root, 'hex')), upper(encode(tx_hash, 'hex')) FROM batches WHERE kind = 0 ORDER BY seq" > "$tmp/batches.txt"
python3 - "$tmp/acked" "$tmp/creds.txt" "$tmp/batches.txt" "$LEDGER_URL" "$CONTRACT" "$ISSUER" > "$tmp/check.out" 2>&1 <<'PY'
import json, random, sys
sys.path.insert(0, "tests/lib")
from anchored import anchored_by_root
acked, creds, batches, url, contract, issuer = sys.argv[1:7]
bad = []
cred = {}
for line in open(creds):
    h, seq, i = line.split()
    if h in cred: bad.append(f"hash {h} stored twice")
    cred[h] = (int(seq), int(i))
B = {}
for line in open(batches):
    f = line.rstrip("\n").split(" ")
    B[int(f[0])] = (int(f[1]), int(f[2]), int(f[3]), f[4], f[5])
ack = set(open(acked).read().split())
# I1: every acknowledged hash stored once, inside its batch's leaf range
for h in ack:
    if h not in cred: bad.append(f"acknowledged {h} missing"); continue
    seq, i = cred[h]
    st, size, first, root, tx = B.get(seq, (None, 0, 0, "", ""))
    if st is None or not (first <= i < first + size): bad.append(f"{h} outside batch {seq}")
per = {}
for h, (seq, i) in cred.items(): per.setdefault(seq, []).append(i)
closed = {s: b for s, b in B.items() if b[0] > 0}
for s, (st, size, first, root, tx) in closed.items():
    ids = sorted(per.get(s, []))
    if ids != list(range(first, first + size)): bad.append(f"batch {s}: ids not {first}..{first+size-1}")
    if st != 3: bad.append(f"batch {s} state {st}, not anchored")
if sum(1 for b in B.values() if b[0] == 0) > 1: bad.append("more than one open batch")
# I2: one Anchored event per closed batch, as recorded; no others
by_root = anchored_by_root(url, contract, issuer)
for s, (st, size, first, root, tx) in closed.items():
    evs = by_root.pop(root, [])
    if len(evs) != 1: bad.append(f"batch {s}: {len(evs)} Anchored events"); continue
    d = evs[0]["data"][2:]
    if (int(d[0:64], 16), int(d[64:128], 16), int(d[128:192], 16)) != (size, s, 0):
        bad.append(f"batch {s}: event fields differ")
    if evs[0]["transactionHash"][2:].upper() != tx: bad.append(f"batch {s}: other transaction")
for root, evs in by_root.items(): bad.append(f"{len(evs)} events for unknown root {root}")
for b in bad: print("violation:", b)
print("batches:", len(closed), "acked:", len(ack))
rnd = random.Random(8)
for s, (st, size, first, root, tx) in closed.items():
    mine = [h for h, (q, i) in cred.items() if q == s]
    for h in rnd.sample(mine, min(2, len(mine))): print("sample:", h)
PY
grep -q '^violation' "$tmp/check.out" && fail "invariants: $(grep '^violation' "$tmp/check.out" | head -5)" \
    || { grep -q '^batches:' "$tmp/check.out" && ok "I1+I2: every acknowledged hash once in its batch range; every batch anchored exactly once ($(grep '^batches:' "$tmp/check.out"))" \
         || fail "checker: $(tail -n 5 "$tmp/check.out")"; }
nb=$(grep '^batches:' "$tmp/check.out" | cut -d' ' -f2)
[ "${nb:-0}" -ge 3 ] && ok "several batches were closed across the takeover ($nb)" || fail "only ${nb:-0} batches"
vbad=0; vn=0
while read -r _ hh; do
    vn=$((vn + 1))
    NOTARY_STORE="$DB" NOTARY_DATA=$B "$NOTARY" proof "$hh" > "$tmp/s.json" 2>>"$tmp/proofs.err" &&
        "$VERIFIER" verify --hash "$hh" --proof "$tmp/s.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" >/dev/null 2>&1 || vbad=$((vbad + 1))
done < <(grep '^sample:' "$tmp/check.out")
[ "$vn" -gt 0 ] && [ "$vbad" = 0 ] && ok "I3: $vn sampled bundles verify VALID" || fail "I3: $vbad of $vn bundles do not verify"
finish
