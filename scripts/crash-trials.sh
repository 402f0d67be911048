#!/usr/bin/env bash
# scripts/crash-trials.sh — crash-consistency trials for the notary (issue 7).
#
# N times (default 50): pick a phase (submit of a large file of hashes, close,
# or anchor against a local ganache), start `notary` for it, SIGKILL it at a
# random moment within the phase's measured duration, restart it (finish the
# close and the anchoring), and check the invariants. The store is SQLite, or
# with --store pg a PostgreSQL database on a throwaway server of our own
# (tests/lib/pg.sh); there a trial may instead SIGKILL the PostgreSQL backend
# serving the notary at that moment (the server then crash-recovers: it ends
# every session and replays its WAL), so a COMMIT that returned must survive
# the database's own crash too.
#
#   I1 every acknowledged hash (a submit that exited 0) is stored, in exactly
#      one batch, inside that batch's leaf range; every closed batch holds
#      exactly `size` credentials in one contiguous id range
#   I2 every closed batch is anchored exactly once on the ledger: one
#      Anchored event of the issuer per batch root (counted on the ledger),
#      with the seq, size and transaction the store recorded, and no others
#   I3 bundles verify: a sample per batch (`notary proof` + `verifier verify
#      --rpc`) is VALID
#   I4 the sequence is contiguous: issuance batches are 0..n-1, no gap, no
#      seq twice, at most one open batch
#   I5 `notary check` (the scrub, online) is clean: every closed batch's
#      root rebuilt from its stored leaves equals the root anchored on the
#      ledger
#
# Then prints "trials: N, violations: V" and exits non-zero if V > 0.
#
# usage: scripts/crash-trials.sh [--trials N] [--min-hashes N] [--max-hashes N]
#                                [--seed S] [--samples K] [--build DIR] [--keep]
#                                [--store sqlite|pg] [--self-test]
# --self-test: afterwards, also show that the checker catches a lost hash, a
# store/ledger mismatch and a gap in the sequence (each on a tampered copy of
# the store): "self-test: caught 3 of 3".
# Needs a built notary and verifier ($BUILD or --build, default build), node
# with the pinned ganache (scripts/setup.sh --npm .), python3 and the sqlite3
# CLI (--self-test); --store pg also the PostgreSQL server binaries
# (tests/lib/pg.sh) and psql.
set -uo pipefail
cd "$(dirname "$0")/.."

TRIALS=50
MIN_HASHES=20000
MAX_HASHES=100000
SEED=${SEED:-$$}
SAMPLES=2
BUILD=${BUILD:-build}
KEEP=0
SELF_TEST=0
ENGINE=sqlite
while [ $# -gt 0 ]; do
    case "$1" in
        --trials) TRIALS=$2; shift 2 ;;
        --min-hashes) MIN_HASHES=$2; shift 2 ;;
        --max-hashes) MAX_HASHES=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --samples) SAMPLES=$2; shift 2 ;;
        --build) BUILD=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --self-test) SELF_TEST=1; shift ;;
        --store) ENGINE=$2; shift 2 ;;
        -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
        *) echo "crash-trials: unknown option $1" >&2; exit 2 ;;
    esac
done
NOTARY=$BUILD/bin/notary
VERIFIER=$BUILD/bin/verifier
[ -x "$NOTARY" ] && [ -x "$VERIFIER" ] || { echo "crash-trials: build first (make BUILD=$BUILD)" >&2; exit 2; }
case "$ENGINE" in sqlite|pg) ;; *) echo "crash-trials: --store is sqlite or pg, not $ENGINE" >&2; exit 2 ;; esac

. tests/lib/ledger.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/crash-trials.XXXXXX")
export LEDGER_LOG_DIR=$tmp
[ "$ENGINE" = pg ] && . tests/lib/pg.sh
cleanup() {
    ledger_stop >/dev/null 2>&1
    [ "$ENGINE" = pg ] && pg_stop >/dev/null 2>&1
    if [ "$KEEP" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
RANDOM=$SEED
echo "crash-trials: seed $SEED, $TRIALS trials, $MIN_HASHES-$MAX_HASHES hashes per submit, store $ENGINE"

ledger_start default || { echo "crash-trials: cannot start the ledger" >&2; exit 1; }
export NOTARY_PASSWORD="crash trials" NOTARY_DATA=$tmp/data
unset NOTARY_STORE
STORE_ARGS=()
if [ "$ENGINE" = pg ]; then
    pg_start || { echo "crash-trials: cannot start PostgreSQL" >&2; exit 1; }
    DB=$(pg_createdb notary) || { echo "crash-trials: createdb failed" >&2; exit 1; }
    STORE_ARGS=(--store "$DB")
fi
(umask 077; printf '%s\n' "$DEV_KEY_0" > "$tmp/key.hex")
"$NOTARY" init --rpc "$LEDGER_URL" --chain-id 1337 --deploy --import-key "$tmp/key.hex" --kdf-light --json \
    "${STORE_ARGS[@]}" > "$tmp/init.json" 2> "$tmp/init.err" || { cat "$tmp/init.err" >&2; exit 1; }
CONTRACT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["contract"])' "$tmp/init.json")
ISSUER=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issuer"])' "$tmp/init.json")
: > "$tmp/acked.txt"   # every acknowledged hash, one per line

# The checker (I1, I2; prints hashes to sample for I3). Reads the store
# read-only and the ledger over JSON-RPC; prints "violation: ..." lines.
cat > "$tmp/check.py" <<'PY'
import json, random, sqlite3, sys
sys.path.insert(0, "tests/lib")
from anchored import anchored_by_root
src, acked, url, contract, issuer, samples, seed, only_new = sys.argv[1:9]
samples, only_new = int(samples), int(only_new)
bad = []
if src.startswith("pg:"):  # pg:CREDS:BATCHES, the tables as psql COPY text (dump_pg)
    _, creds, batches_txt = src.split(":", 2)
    con = sqlite3.connect(":memory:")
    con.execute("ATTACH ':memory:' AS m")
    con.execute("CREATE TABLE batches(kind INTEGER, seq INTEGER, state INTEGER, size INTEGER,"
                " first_id INTEGER, root BLOB, tx_hash BLOB)")
    nul = lambda x: None if x == "\\N" else x
    con.executemany("INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((int(k), int(q), int(st), int(sz), int(fi), nul(r) and bytes.fromhex(r), nul(t) and bytes.fromhex(t))
         for k, q, st, sz, fi, r, t in (l.rstrip("\n").split("\t") for l in open(batches_txt))))
    con.execute("CREATE TABLE m.cred(id INTEGER PRIMARY KEY, hash BLOB NOT NULL, batch_seq INTEGER)")
    con.executemany("INSERT INTO m.cred VALUES (?, ?, ?)",
        ((int(i), bytes.fromhex(h), int(q)) for i, h, q in (l.split() for l in open(creds))))
else:
    con = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    con.execute("ATTACH ':memory:' AS m")
    # The store keeps hashes in chunks (notary/store/sqlite_index.c): one row per hash here.
    con.execute("CREATE TABLE m.cred(id INTEGER PRIMARY KEY, hash BLOB NOT NULL, batch_seq INTEGER)")
    con.executemany("INSERT INTO m.cred VALUES (?, ?, ?)",
        ((cid + i, hs[32 * i:32 * i + 32], seq)
         for cid, n, hs, seq in con.execute("SELECT id, n, hashes, batch_seq FROM chunks").fetchall()
         for i in range(n)))
con.execute("CREATE TABLE m.ack(h BLOB PRIMARY KEY) WITHOUT ROWID")
lines = open(acked).read().split()
if only_new >= 0:  # the last only_new lines (this trial's); -1 = all
    lines = lines[len(lines) - only_new:]
con.executemany("INSERT OR IGNORE INTO m.ack VALUES (?)", ((bytes.fromhex(x),) for x in lines))
con.execute("CREATE INDEX m.cred_hash ON cred(hash)")
# I0: no hash is stored twice (the open batch has no UNIQUE constraint to say so)
n = con.execute("SELECT count(*) - count(DISTINCT hash) FROM m.cred").fetchone()[0]
if n: bad.append(f"{n} hashes are stored more than once")
# I1: acknowledged hashes are stored, each in one batch, inside its range
n = con.execute("SELECT count(*) FROM m.ack a LEFT JOIN m.cred c ON c.hash = a.h WHERE c.id IS NULL").fetchone()[0]
if n: bad.append(f"{n} acknowledged hashes are missing from the store")
n = con.execute("""SELECT count(*) FROM m.ack a JOIN m.cred c ON c.hash = a.h
    LEFT JOIN batches b ON b.kind = 0 AND b.seq = c.batch_seq
    WHERE b.seq IS NULL OR (b.state > 0 AND (c.id < b.first_id OR c.id >= b.first_id + b.size))""").fetchone()[0]
if n: bad.append(f"{n} acknowledged hashes are outside their batch")
batches = con.execute("SELECT seq, state, size, first_id, hex(root), hex(tx_hash) FROM batches WHERE kind = 0 ORDER BY seq").fetchall()
counts = {s: (k, lo, hi) for s, k, lo, hi in con.execute(
    "SELECT batch_seq, count(*), min(id), max(id) FROM m.cred GROUP BY batch_seq")}
closed = [b for b in batches if b[1] > 0]
for seq, state, size, first, root, tx in closed:
    k, lo, hi = counts.get(seq, (0, None, None))
    if k != size or (size and (lo != first or hi != first + size - 1)):
        bad.append(f"batch {seq}: {k} credentials in ids {lo}..{hi}, want {size} from {first}")
    if state != 3:
        bad.append(f"batch {seq} is not anchored after the restart (state {state})")
open_ = [b for b in batches if b[1] == 0]
if len(open_) > 1: bad.append(f"{len(open_)} open batches")
# I4: the sequence is contiguous (0..n-1, each once)
seqs = [b[0] for b in batches]
if seqs != list(range(len(seqs))):
    gaps = sorted(set(range(max(seqs) + 1)) - set(seqs)) if seqs else []
    bad.append(f"batch sequence not contiguous: {len(seqs)} batches, max seq {max(seqs) if seqs else None}, missing {gaps[:5]}")
# I2: one Anchored event per closed batch, as recorded
by_root = anchored_by_root(url, contract, issuer)
for seq, state, size, first, root, tx in closed:
    evs = by_root.pop(root, [])
    if len(evs) != 1:
        bad.append(f"batch {seq}: {len(evs)} Anchored events on the ledger"); continue
    d = evs[0]["data"][2:]
    esize, eseq, ekind = int(d[0:64], 16), int(d[64:128], 16), int(d[128:192], 16)
    if (esize, eseq, ekind) != (size, seq, 0):
        bad.append(f"batch {seq}: event says size {esize} seq {eseq} kind {ekind}")
    if evs[0]["transactionHash"][2:].upper() != tx:
        bad.append(f"batch {seq}: anchored by {evs[0]['transactionHash']}, store says 0x{tx.lower()}")
for root, evs in by_root.items():
    bad.append(f"{len(evs)} Anchored events for root {root.lower()} that no batch has")
for b in bad:
    print("violation:", b)
# I3: hashes to sample, `samples` per batch (only the newest batches unless all)
rnd = random.Random(int(seed))
want = closed if only_new < 0 else closed[-3:]
for seq, state, size, first, root, tx in want:
    for _ in range(min(samples, size)):
        i = first + rnd.randrange(size)
        h = con.execute("SELECT hex(hash) FROM m.cred WHERE id = ?", (i,)).fetchone()
        if h: print("sample:", h[0].lower())
PY

now_ms() { date +%s%3N; }
# Run a notary phase to completion, remembering how long it took.
declare -A EST=([submit]=150 [close]=40 [anchor]=200)
run_full() { # run_full PHASE ARGS... (exit status of notary)
    local phase=$1; shift
    local t0 rc
    t0=$(now_ms)
    "$NOTARY" "$@" >>"$tmp/notary.log" 2>&1; rc=$?
    [ "$rc" -eq 0 ] && EST[$phase]=$(( ( $(now_ms) - t0 + EST[$phase] ) / 2 ))
    return $rc
}
gen_hashes() { # gen_hashes FILE TRIAL
    local n=$(( MIN_HASHES + (RANDOM * 32768 + RANDOM) % (MAX_HASHES - MIN_HASHES + 1) ))
    python3 -c 'import random,sys; r=random.Random(int(sys.argv[2]))
sys.stdout.write("".join("%064x\n" % r.getrandbits(256) for _ in range(int(sys.argv[1]))))' "$n" "$SEED$2" > "$1"
}
# Finish whatever the killed run left: close what is open, anchor until done.
recover() {
    "$NOTARY" status >>"$tmp/notary.log" 2>&1 || return 1
    "$NOTARY" close >>"$tmp/notary.log" 2>&1 # exit 1 when nothing is open: fine
    local i
    for i in 1 2 3 4 5; do
        "$NOTARY" anchor --poll-ms 100 --timeout 20 >>"$tmp/notary.log" 2>&1 && return 0
    done
    return 1
}
# dump_pg DBURL PREFIX: the two tables the checker reads, as psql COPY text;
# prints the checker's source argument.
dump_pg() {
    psql -X -q -v ON_ERROR_STOP=1 "$1" -c "COPY (SELECT id, encode(hash, 'hex'), batch_seq FROM credentials) TO STDOUT" > "$2.creds" &&
    psql -X -q -v ON_ERROR_STOP=1 "$1" -c "COPY (SELECT kind, seq, state, size, first_id, encode(root, 'hex'), encode(tx_hash, 'hex') FROM batches) TO STDOUT" > "$2.batches" &&
    echo "pg:$2.creds:$2.batches"
}
source_of() { # the checker's view of the live store
    if [ "$ENGINE" = pg ]; then dump_pg "$DB" "$tmp/dump"; else echo "$NOTARY_DATA/notary.db"; fi
}
# kill_backends: SIGKILL the client backends of our database (not this
# query's own), by PID; the postmaster then crash-recovers. True if any.
kill_backends() {
    local pids p n=0
    pids=$(psql -X -q -At "$PG_URL" -c "SELECT pid FROM pg_stat_activity WHERE datname = 'notary' AND backend_type = 'client backend' AND pid <> pg_backend_pid()" 2>/dev/null)
    for p in $pids; do kill -KILL "$p" 2>/dev/null && n=$((n + 1)); done
    [ "$n" -gt 0 ]
}
pg_ready() { # wait up to 30 s for the server to accept connections after its crash recovery
    local i
    for i in $(seq 1 300); do
        psql -X -q -At "$DB" -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
check() { # check NEW_LINES(-1 = all) TRIAL: prints violations, runs the samples
    local out v=0 h src
    src=$(source_of) || { echo "  violation: cannot read the store"; return 1; }
    out=$(python3 "$tmp/check.py" "$src" "$tmp/acked.txt" "$LEDGER_URL" "$CONTRACT" \
        "$ISSUER" "$SAMPLES" "$SEED$2" "$1" 2>&1) || { echo "  violation: checker failed: $out"; return 1; }
    # I5: the scrub, online: every closed batch's leaves give the anchored root
    "$NOTARY" check >"$tmp/check.out" 2>&1 ||
        { echo "  violation: notary check: $(head -n 3 "$tmp/check.out" | tr '\n' ' ')"; v=$((v + 1)); }
    while IFS= read -r line; do
        case "$line" in
            "") ;;
            violation:*) echo "  $line"; v=$((v + 1)) ;;
            sample:*)
                h=${line#sample: }
                if ! "$NOTARY" proof "$h" > "$tmp/b.json" 2>>"$tmp/notary.log" ||
                   ! "$VERIFIER" verify --hash "$h" --proof "$tmp/b.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" >/dev/null 2>&1; then
                    echo "  violation: the bundle of $h does not verify"; v=$((v + 1))
                fi ;;
            *) echo "  violation: checker: $line"; v=$((v + 1)) ;;
        esac
    done <<<"$out"
    return $(( v > 0 ))
}

violations=0
hits=0
for t in $(seq 1 "$TRIALS"); do
    f=$tmp/h$t.txt
    gen_hashes "$f" "$t"
    count=$(wc -l < "$f")
    new=0
    case $(( RANDOM % 3 )) in
        0) phase=submit; args=(submit --file "$f") ;;
        1) phase=close; args=(close) ;;
        2) phase=anchor; args=(anchor --poll-ms 100 --timeout 20) ;;
    esac
    # Bring the store to the phase's starting point, without faults.
    if [ "$phase" != submit ]; then
        run_full submit submit --file "$f" || { echo "trial $t: set-up submit failed"; violations=$((violations + 1)); continue; }
        cat "$f" >> "$tmp/acked.txt"; new=$count
    fi
    if [ "$phase" = anchor ]; then
        run_full close close || { echo "trial $t: set-up close failed"; violations=$((violations + 1)); continue; }
    fi
    # The faulty run: SIGKILL at a random moment of the phase's usual duration
    # — of the notary, or (PostgreSQL, one trial in three) of the database
    # backend serving it.
    target=notary
    [ "$ENGINE" = pg ] && [ $(( RANDOM % 3 )) -eq 0 ] && target=database
    delay=$(( (RANDOM * 32768 + RANDOM) % (EST[$phase] * 12 / 10 + 1) ))
    "$NOTARY" "${args[@]}" >"$tmp/run.out" 2>>"$tmp/notary.log" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
    if [ "$target" = notary ]; then
        kill -KILL "$pid" 2>/dev/null
        { wait "$pid"; rc=$?; } 2>/dev/null
        if [ "$rc" -eq 137 ]; then hits=$((hits + 1)); how="killed"; else how="finished first (exit $rc)"; fi
    else
        if kill_backends; then how="its database backend killed"; else how="no database session to kill"; fi
        # the notary sees its connection end; give it 60 s to say so, then SIGKILL it
        for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        { wait "$pid"; rc=$?; } 2>/dev/null
        how="$how, notary exit $rc"
        [ "$rc" -ne 0 ] && hits=$((hits + 1))
        pg_ready || { echo "trial $t: PostgreSQL did not come back"; violations=$((violations + 1)); break; }
    fi
    if [ "$phase" = submit ] && [ "$rc" -eq 0 ]; then
        cat "$f" >> "$tmp/acked.txt"; new=$count
    fi
    # Restart and check.
    tv=0
    if ! recover; then echo "  violation: the restarted notary could not finish (see notary.log)"; tv=1; fi
    out=$(check "$new" "$t"); cv=$?
    [ -n "$out" ] && echo "$out"
    tv=$(( tv + $(grep -c 'violation' <<<"$out") ))
    [ "$cv" -ne 0 ] && [ "$tv" -eq 0 ] && tv=1
    violations=$((violations + tv))
    printf 'trial %d: %s of %d hashes, %s after %d ms: %s\n' "$t" "$phase" "$count" "$how" "$delay" \
        "$([ "$tv" -eq 0 ] && echo ok || echo "$tv violation(s)")"
    rm -f "$f"
done

# Final sweep: every acknowledged hash, every batch, a sample of bundles per batch.
echo "final check: $(wc -l < "$tmp/acked.txt") acknowledged hashes, all batches"
out=$(check -1 0); cv=$?
[ -n "$out" ] && echo "$out"
fv=$(grep -c 'violation' <<<"$out")
[ "$cv" -ne 0 ] && [ "$fv" -eq 0 ] && fv=1
violations=$((violations + fv))
echo "killed mid-phase: $hits of $TRIALS"
[ "$ENGINE" = pg ] && echo "database crash recoveries: $(grep -c 'terminating any other active server processes' "$PG_LOG" 2>/dev/null)"
echo "trials: $TRIALS, violations: $violations"
# tamper SQL: a copy of the store with SQL applied (SQLite: the file; PostgreSQL:
# a database made from ours as its template); prints the checker's source.
tamper() {
    if [ "$ENGINE" = pg ]; then
        local t="postgresql://notary@127.0.0.1:$PG_PORT/tampered"
        PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "DROP DATABASE IF EXISTS tampered" -c "CREATE DATABASE tampered TEMPLATE notary" &&
            psql -X -q -v ON_ERROR_STOP=1 "$t" -c "$1" >/dev/null && dump_pg "$t" "$tmp/tampered"
    else
        cp "$NOTARY_DATA/notary.db" "$tmp/tampered.db" && sqlite3 "$tmp/tampered.db" "$1" && echo "$tmp/tampered.db"
    fi
}
if [ "$SELF_TEST" = 1 ]; then
    # grep without -q reads the checker's whole output: with -q it exits at the
    # first match, the checker's next line dies of EPIPE, and pipefail
    # turned a caught violation into a miss (1 run in 2 here).
    caught=0
    last=$(tail -n 1 "$tmp/acked.txt")
    anchored_max="(SELECT max(seq) FROM batches WHERE kind = 0 AND state = 3)"
    # 1. an acknowledged hash disappears from the store (overwritten in place)
    if [ "$ENGINE" = pg ]; then
        src=$(tamper "UPDATE credentials SET hash = decode(repeat('00', 32), 'hex') WHERE hash = decode('$last', 'hex')")
    else
        cp "$NOTARY_DATA/notary.db" "$tmp/tampered.db"; src=$tmp/tampered.db
        python3 - "$tmp/tampered.db" "$last" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); h = bytes.fromhex(sys.argv[2])
for cid, hs in c.execute("SELECT id, hashes FROM chunks").fetchall():
    at = next((i for i in range(0, len(hs), 32) if hs[i:i + 32] == h), None)
    if at is not None:  # overwrite it in its chunk: the hash is lost
        c.execute("UPDATE chunks SET hashes = ? WHERE id = ?", (hs[:at] + bytes(32) + hs[at + 32:], cid))
c.commit()
PY
    fi
    python3 "$tmp/check.py" "$src" "$tmp/acked.txt" "$LEDGER_URL" "$CONTRACT" "$ISSUER" 0 0 1 |
        grep "missing from the store" >/dev/null && caught=$((caught + 1)) && echo "self-test: a lost hash is caught"
    # 2. the store's record of an anchored batch no longer matches the ledger
    # (its root rewritten): that batch has no event, and an event has no batch.
    zero=$([ "$ENGINE" = pg ] && echo "decode(repeat('00', 32), 'hex')" || echo "zeroblob(32)")
    src=$(tamper "UPDATE batches SET root = $zero WHERE kind = 0 AND seq = $anchored_max")
    python3 "$tmp/check.py" "$src" "$tmp/acked.txt" "$LEDGER_URL" "$CONTRACT" "$ISSUER" 0 0 0 |
        grep "Anchored events" >/dev/null && caught=$((caught + 1)) && echo "self-test: a root the ledger does not have is caught"
    # 3. a gap in the sequence (the last anchored batch renumbered)
    src=$(tamper "UPDATE batches SET seq = seq + 1000 WHERE kind = 0 AND seq = $anchored_max")
    python3 "$tmp/check.py" "$src" "$tmp/acked.txt" "$LEDGER_URL" "$CONTRACT" "$ISSUER" 0 0 0 |
        grep "not contiguous" >/dev/null && caught=$((caught + 1)) && echo "self-test: a gap in the sequence is caught"
    echo "self-test: caught $caught of 3"
    [ "$caught" -eq 3 ] || violations=$((violations + 1))
fi
[ "$violations" -eq 0 ]
