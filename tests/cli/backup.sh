#!/usr/bin/env bash
# tests/cli/backup.sh — `notary backup` and `notary restore` (issue 17,
# items 1 and 4) on a real local ledger with `notary serve` running:
#   - a backup taken while a bulk load runs against the server (which closes
#     and anchors every 2 s) holds every hash acknowledged (2xx) before it
#     began; the server is then SIGKILLed in the middle of the load, and a
#     backup of what it left, restored, holds every acknowledged hash and
#     every batch root the original store holds;
#   - the first backup, older than the ledger by then, restored: the
#     batches anchored after it are listed (seq, root, block, tx) and kept
#     as `lost`, the backup's open batch moves past them, the next anchor
#     takes the registry's next seq and succeeds, nothing is anchored twice;
#   - --with-key: a directory with notary.db and the encrypted key.json;
#   - refusals with clear messages: a non-empty target, a damaged backup, a
#     file that is not a notary backup, an existing --to; PostgreSQL points
#     to pg_dump (and pg_dump / pg_restore round-trips, when a server can be
#     started: tests/lib/pg.sh).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-backup
require_built "$NOTARY"
CURL=(curl -s --noproxy '*' --max-time 20)

notary_ledger_start default
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
export NOTARY_DATA=$tmp/data
notary_init_evm "$NOTARY_DATA" "$tmp/key.hex" --json >"$tmp/init.json" 2>"$tmp/err" ||
    { fail "init: $(cat "$tmp/err")"; finish; }
CONTRACT=$(json_field contract <"$tmp/init.json")
ISSUER=$(json_field issuer <"$tmp/init.json")
TOKEN=$("$NOTARY" token add loader 2>/dev/null)

SERVE_PID= LOAD_PID=
stop_all() {
    [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null
    [ -n "$SERVE_PID" ] && kill -9 "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null
    LOAD_PID= SERVE_PID=
}
notary_on_exit stop_all

# hashes_in DB: every credential hash of a SQLite store, one per line, sorted.
hashes_in() {
    python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
out = []
for (blob,) in db.execute("SELECT hashes FROM chunks"):
    out += [blob[i:i + 32].hex() for i in range(0, len(blob), 32)]
print("\n".join(sorted(out)))
PY
}
# roots: "seq root" of every issuance batch with a root in the current NOTARY_DATA.
roots() {
    "$NOTARY" status --json | python3 -c 'import json,sys
for b in json.load(sys.stdin)["batches"]:
    if b.get("root"): print(b["seq"], b["root"], b["state"])'
}
# anchored_seqs: "seq root" of every Anchored event of the issuer (kind 0), from the ledger.
anchored_seqs() {
    anchored_logs "$ISSUER" "$CONTRACT" | python3 -c 'import json,sys
for l in json.load(sys.stdin)["result"]:
    d = l["data"][2:]
    if int(d[128:192], 16) == 0: print(int(d[64:128], 16), l["topics"][2])'
}

# --- a backup while serving under load, a SIGKILL in the middle -----------------------
rm -f "$tmp/port"
"$NOTARY" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --close-every 2 --close-at none \
    --poll-ms 100 2>"$tmp/serve.log" &
SERVE_PID=$!
wait_port_file "$tmp/port" "$SERVE_PID" || { fail "serve did not start: $(tail -n 3 "$tmp/serve.log")"; finish; }
URL=http://127.0.0.1:$(cat "$tmp/port")
# The loader: 200 hashes per request; a hash is written to acked.txt only
# after its request was answered 2xx.
python3 - "$URL" "$TOKEN" "$tmp/acked.txt" <<'PY' 2>"$tmp/load.err" &
import json, os, sys, urllib.request
url, token, acked = sys.argv[1:4]
with open(acked, "a") as out:
    while True:
        hs = [os.urandom(32).hex() for _ in range(200)]
        req = urllib.request.Request(url + "/v1/hashes", data=json.dumps({"hashes": hs}).encode(),
                                     headers={"Authorization": "Bearer " + token,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                if 200 <= r.status < 300:
                    out.write("\n".join(hs) + "\n"); out.flush()
        except Exception:
            pass
PY
LOAD_PID=$!
for _ in $(seq 1 100); do [ "$(cat "$tmp/acked.txt" 2>/dev/null | wc -l)" -ge 2000 ] && break; sleep 0.1; done
# wait until at least one batch is anchored, so the ledger is ahead later
for _ in $(seq 1 100); do roots | grep -q anchored && break; sleep 0.2; done
before1=$(wc -l <"$tmp/acked.txt")
expect_exit 0 "backup while serving under load" "$NOTARY" backup --to "$tmp/b1.db"
has "backup names the file" "backup written: $tmp/b1.db"
[ "$(stat -c %a "$tmp/b1.db")" = 600 ] && ok "the backup is mode 0600" || fail "backup mode $(stat -c %a "$tmp/b1.db")"
! ls "$tmp" | grep -q 'b1.db.tmp' && ok "no temporary file is left" || fail "temporary files: $(ls "$tmp")"
hashes_in "$tmp/b1.db" >"$tmp/b1.hashes"
head -n "$before1" "$tmp/acked.txt" | sort >"$tmp/acked1"
missing=$(comm -23 "$tmp/acked1" "$tmp/b1.hashes" | wc -l)
[ "$before1" -ge 1000 ] && [ "$missing" = 0 ] && ok "the backup holds all $before1 hashes acknowledged before it began" ||
    fail "backup 1: $missing of $before1 acknowledged hashes missing"
# more load and anchors, then SIGKILL the server in the middle of it
for _ in $(seq 1 100); do [ "$(roots | grep -c anchored)" -ge 3 ] && break; sleep 0.2; done
sleep 1
kill -9 "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null; SERVE_PID=
sleep 0.3; kill "$LOAD_PID"; wait "$LOAD_PID" 2>/dev/null; LOAD_PID=
acked_all=$(wc -l <"$tmp/acked.txt")
expect_exit 0 "backup of the store the killed server left" "$NOTARY" backup --to "$tmp/b2.db"
expect_exit 0 "restore it into a new directory" "$NOTARY" restore "$tmp/b2.db" --data "$tmp/r2"
has "restore says where" "restored: $tmp/r2/notary.db"
! grep -q "^lost" <<<"$LAST_OUT" && ok "nothing lost: the backup is as new as the ledger" || fail "lost batches listed: $LAST_OUT"
sort "$tmp/acked.txt" >"$tmp/acked2"
missing=$(comm -23 "$tmp/acked2" <(hashes_in "$tmp/r2/notary.db") | wc -l)
[ "$missing" = 0 ] && ok "every one of the $acked_all acknowledged hashes is in the restored store" ||
    fail "$missing of $acked_all acknowledged hashes missing after the restore"
roots >"$tmp/roots.orig"
NOTARY_DATA=$tmp/r2 roots >"$tmp/roots.r2"
[ -s "$tmp/roots.orig" ] && cmp -s "$tmp/roots.orig" "$tmp/roots.r2" &&
    ok "every batch root (and state) is equal: $(wc -l <"$tmp/roots.orig") batches" || fail "roots differ: $(diff "$tmp/roots.orig" "$tmp/roots.r2" | head -5)"
[ "$(sqlite3 "$tmp/r2/notary.db" 'PRAGMA integrity_check')" = ok ] && ok "the restored store passes integrity_check" || fail "restored store integrity"

# --- restore of the old backup against a ledger that moved on -----------------------------
"$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1 # the original finishes what the kill left
anchored_seqs >"$tmp/events.before"
next=$(wc -l <"$tmp/events.before")
b1_last=$(python3 -c 'import sqlite3,sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT coalesce(max(seq), -1) FROM batches WHERE kind = 0 AND state <> 0").fetchone()[0])' "$tmp/b1.db")
expect_exit 0 "restore of the older backup" "$NOTARY" restore "$tmp/b1.db" --data "$tmp/r1" --json
echo "$LAST_OUT" >"$tmp/r1.json"
python3 - "$tmp/r1.json" "$tmp/events.before" "$b1_last" <<'PY' && ok "the batches anchored after the backup are listed by seq, root, block and tx" || fail "lost list: $(head -c 600 "$tmp/r1.json")"
import json, sys
r = json.load(open(sys.argv[1]))
ev = {int(l.split()[0]): l.split()[1] for l in open(sys.argv[2])}
first = int(sys.argv[3]) + 1
lost = [x for x in r["lost"] if x["kind"] == "batch"]
assert [x["seq"] for x in lost] == list(range(first, len(ev))), (lost, first, len(ev))
for x in lost:
    assert x["root"] == ev[x["seq"]], x
    assert x["block"] > 0 and len(x["tx"]) == 66 and x["size"] > 0, x
assert r["ledger_checked"] is True
PY
NOTARY_DATA=$tmp/r1 "$NOTARY" status --json >"$tmp/r1.status"
python3 - "$tmp/r1.status" "$next" <<'PY' && ok "the lost batches are in the store as 'lost', the open batch after them" || fail "status after restore: $(head -c 800 "$tmp/r1.status")"
import json, sys
d = json.load(open(sys.argv[1])); nxt = int(sys.argv[2])
bs = {b["seq"]: b for b in d["batches"]}
lost = [s for s, b in bs.items() if b["state"] == "lost"]
assert lost and max(lost) == nxt - 1, (lost, nxt)
opens = [s for s, b in bs.items() if b["state"] == "open"]
assert opens in ([], [nxt]), opens
PY
cp "$NOTARY_DATA/key.json" "$tmp/r1/" # b1 is a plain backup: the operator's copy of the key
NOTARY_DATA=$tmp/r1 "$NOTARY" submit "$(hash_of after-restore)" >/dev/null 2>&1
NOTARY_DATA=$tmp/r1 "$NOTARY" close >/dev/null 2>&1
expect_exit 0 "the restored notary anchors its next batch" env NOTARY_DATA="$tmp/r1" "$NOTARY" anchor --poll-ms 100
new_seq=$(NOTARY_DATA=$tmp/r1 roots | awk '$3 == "anchored" {s = $1} END {print s}')
[ "$new_seq" = "$next" ] && ok "it took the registry's next seq ($next)" || fail "new batch seq $new_seq, want $next"
anchored_seqs >"$tmp/events.after"
[ "$(wc -l <"$tmp/events.after")" = $((next + 1)) ] && [ "$(cut -d' ' -f1 "$tmp/events.after" | sort -n | uniq -d)" = "" ] &&
    [ "$(cut -d' ' -f2 "$tmp/events.after" | sort | uniq -d)" = "" ] &&
    ok "nothing was anchored twice (one new event, seqs and roots unique)" || fail "events: $(cat "$tmp/events.after")"
h_open=$(comm -12 "$tmp/acked1" <(python3 -c 'import sqlite3,sys
db = sqlite3.connect(sys.argv[1])
for (b,) in db.execute("SELECT hashes FROM chunks WHERE batch_seq = (SELECT seq FROM batches WHERE kind = 0 AND state = 0)"):
    print("\n".join(b[i:i+32].hex() for i in range(0, len(b), 32)))' "$tmp/b1.db" | sort) | head -n 1)
if [ -n "$h_open" ]; then
    NOTARY_DATA=$tmp/r1 "$NOTARY" proof "$h_open" --out "$tmp/open.proof" 2>/dev/null
    "$VERIFIER" verify --hash "$h_open" --proof "$tmp/open.proof" --rpc "$LEDGER_URL" --issuer "$ISSUER" >"$tmp/v.out" 2>&1 &&
        ok "a hash of the backup's open batch is anchored again in the new batch and verifies" || fail "open-batch hash: $(tail -3 "$tmp/v.out")"
fi
expect_exit 0 "anchor again: nothing to do" env NOTARY_DATA="$tmp/r1" "$NOTARY" anchor --poll-ms 100
[ "$(anchored_seqs | wc -l)" = $((next + 1)) ] && ok "the lost batches are never anchored again" || fail "more events after a second anchor"

# --- --with-key ----------------------------------------------------------------------------------
expect_exit 0 "backup --with-key" "$NOTARY" backup --to "$tmp/bk" --with-key
[ -d "$tmp/bk" ] && [ "$(stat -c %a "$tmp/bk/key.json")" = 600 ] && cmp -s "$tmp/bk/key.json" "$NOTARY_DATA/key.json" &&
    ok "the directory holds the keystore as it was (still encrypted, 0600)" || fail "with-key: $(ls -l "$tmp/bk")"
expect_exit 0 "restore from the --with-key directory" "$NOTARY" restore "$tmp/bk" --data "$tmp/rk"
cmp -s "$tmp/rk/key.json" "$NOTARY_DATA/key.json" && NOTARY_DATA=$tmp/rk "$NOTARY" status >/dev/null 2>&1 &&
    ok "the restored directory has key.json and a working store" || fail "restored with key: $(ls "$tmp/rk")"

# --- refusals ----------------------------------------------------------------------------------
expect_exit 2 "backup over an existing file is refused" "$NOTARY" backup --to "$tmp/b1.db"
has "it says so" "already exists"
mkdir "$tmp/full"; echo x >"$tmp/full/something"
expect_exit 2 "restore into a non-empty directory is refused" "$NOTARY" restore "$tmp/b2.db" --data "$tmp/full"
has "it says so" "is not empty"
[ "$(ls "$tmp/full")" = something ] && ok "the non-empty directory is untouched" || fail "full dir: $(ls "$tmp/full")"
cp "$tmp/b2.db" "$tmp/bad.db"
page=$(sqlite3 "$tmp/bad.db" "SELECT rootpage FROM sqlite_master WHERE name = 'batches'")
psize=$(sqlite3 "$tmp/bad.db" "PRAGMA page_size")
printf '\x0d\xff\xff\xff\xff\xff\xff\xff' | dd of="$tmp/bad.db" bs=1 seek=$(((page - 1) * psize)) conv=notrunc status=none
expect_exit 2 "a damaged backup is refused" "$NOTARY" restore "$tmp/bad.db" --data "$tmp/rbad"
has "it says it is damaged" "damaged\|not a backup"
[ ! -e "$tmp/rbad" ] && ok "nothing is left behind" || fail "left: $(ls -a "$tmp/rbad")"
expect_exit 2 "a file that is not a backup is refused" "$NOTARY" restore "$tmp/init.json" --data "$tmp/rwrong"
has "it says what it is" "is not a backup of a notary"
[ ! -e "$tmp/rwrong" ] && ok "nothing is left behind" || fail "left: $(ls -a "$tmp/rwrong")"
sqlite3 "$tmp/other.db" 'CREATE TABLE t(x)'
expect_exit 2 "another SQLite database is refused" "$NOTARY" restore "$tmp/other.db" --data "$tmp/rother"
has "it says so" "without the notary's schema"
expect_exit 2 "a missing backup is refused" "$NOTARY" restore "$tmp/no-such.db" --data "$tmp/rnone"

# --- a backup at night, the batch closed in the morning with nothing added ----------------------
# (issue 17 item 1: the backup's open batch holds exactly the leaves of the
# batch anchored after it) and a backup whose open batch holds a lost batch's
# leaves and more (a history the ledger does not share). A new registry, so
# the seqs start at 0.
export NOTARY_DATA=$tmp/n3
notary_init_evm "$NOTARY_DATA" "$tmp/key.hex" --json >"$tmp/init3.json" 2>"$tmp/err" || { fail "init n3: $(cat "$tmp/err")"; finish; }
CONTRACT=$(json_field contract <"$tmp/init3.json")
n3_events() { anchored_seqs | sort -n; }
for i in 0 1 2; do "$NOTARY" submit "$(hash_of night-$i)" >/dev/null; done
expect_exit 0 "the night's backup (batch 0 open, 3 hashes)" "$NOTARY" backup --to "$tmp/night.db"
"$NOTARY" close >/dev/null 2>&1
expect_exit 0 "the morning: batch 0 closed as it was and anchored" timeout 60 "$NOTARY" anchor --poll-ms 100
expect_exit 0 "restore the night's backup" "$NOTARY" restore "$tmp/night.db" --data "$tmp/r3" --json
echo "$LAST_OUT" >"$tmp/r3.json"
python3 - "$tmp/r3.json" "$(n3_events | head -n 1)" <<'PY' && ok "batch 0 is recovered (its leaves were the open batch), with the ledger's root and tx; nothing lost or moved" || fail "restore: $(head -c 600 "$tmp/r3.json")"
import json, sys
r = json.load(open(sys.argv[1])); seq, root = sys.argv[2].split()
assert [(x["kind"], x["seq"], x["root"], x["size"]) for x in r["recovered"]] == [("batch", 0, root, 3)], r
assert r["lost"] == [] and "open_batch_moved_to" not in r, r
PY
cp "$NOTARY_DATA/key.json" "$tmp/r3/"
check "the restored batch 0 is anchored with the original's root, tx and block" \
    test "$(NOTARY_DATA=$tmp/r3 "$NOTARY" status --json | json_field batches.0.state) $(sqlite3 "$tmp/r3/notary.db" "SELECT hex(root), hex(tx_hash), block_number FROM batches WHERE kind = 0 AND seq = 0")" = \
         "anchored $(sqlite3 "$NOTARY_DATA/notary.db" "SELECT hex(root), hex(tx_hash), block_number FROM batches WHERE kind = 0 AND seq = 0")"
expect_exit 1 "the restored notary has nothing open to close" env NOTARY_DATA="$tmp/r3" "$NOTARY" close
expect_exit 0 "its anchor finishes (it used to stop on 'no matching event')" env NOTARY_DATA="$tmp/r3" timeout 60 "$NOTARY" anchor --poll-ms 100
expect_exit 0 "its proof of a night hash" env NOTARY_DATA="$tmp/r3" "$NOTARY" proof "$(hash_of night-1)" --out "$tmp/night.proof"
expect_exit 0 "verifies VALID against the ledger" "$VERIFIER" verify --hash "$(hash_of night-1)" --proof "$tmp/night.proof" --rpc "$LEDGER_URL" --issuer "$ISSUER"
NOTARY_DATA=$tmp/r3 "$NOTARY" submit "$(hash_of day-0)" >/dev/null 2>&1
NOTARY_DATA=$tmp/r3 "$NOTARY" close >/dev/null 2>&1
expect_exit 0 "the restored notary anchors its next batch" env NOTARY_DATA="$tmp/r3" timeout 60 "$NOTARY" anchor --poll-ms 100
check "as seq 1; one Anchored event per seq and per root" \
    test "$(n3_events | cut -d' ' -f1 | tr '\n' ' ')|$(n3_events | cut -d' ' -f2 | sort | uniq -d)" = "0 1 |"
# The superset: two backups of one store, with 2 and then 3 hashes open; the
# first restored elsewhere anchors batch 2 with its 2; the second restored.
export NOTARY_DATA=$tmp/r3
for i in 0 1; do "$NOTARY" submit "$(hash_of sup-$i)" >/dev/null; done
expect_exit 0 "backup with 2 hashes open" "$NOTARY" backup --to "$tmp/sup2.db"
"$NOTARY" submit "$(hash_of sup-2)" >/dev/null
expect_exit 0 "backup with the same 2 and 1 more open" "$NOTARY" backup --to "$tmp/sup3.db"
expect_exit 0 "the first restored elsewhere" "$NOTARY" restore "$tmp/sup2.db" --data "$tmp/r4"
cp "$tmp/r3/key.json" "$tmp/r4/"
NOTARY_DATA=$tmp/r4 "$NOTARY" close >/dev/null 2>&1
expect_exit 0 "which anchors batch 2 with the 2 hashes" env NOTARY_DATA="$tmp/r4" timeout 60 "$NOTARY" anchor --poll-ms 100
expect_exit 0 "restore the backup whose open batch holds them and 1 more" "$NOTARY" restore "$tmp/sup3.db" --data "$tmp/r5" --json
echo "$LAST_OUT" >"$tmp/r5.json"
python3 - "$tmp/r5.json" <<'PY' && ok "batch 2 is lost, the open batch holding its leaves and more moves to 3 and says so" || fail "superset restore: $(head -c 600 "$tmp/r5.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert [(x["seq"], x["size"]) for x in r["lost"]] == [(2, 2)] and r["recovered"] == [], r
assert r["open_batch_moved_to"] == 3 and r["open_batch_holds_lost"] == 2, r
PY
cp "$tmp/r3/key.json" "$tmp/r5/"
NOTARY_DATA=$tmp/r5 "$NOTARY" close >/dev/null 2>&1
expect_exit 0 "its 3 hashes are anchored as batch 3" env NOTARY_DATA="$tmp/r5" timeout 60 "$NOTARY" anchor --poll-ms 100
check "seqs 0..3 anchored once each, no root twice" \
    test "$(n3_events | cut -d' ' -f1 | tr '\n' ' ')|$(n3_events | cut -d' ' -f2 | sort | uniq -d)" = "0 1 2 3 |"
expect_exit 0 "a proof of sup-0 from the restored store" env NOTARY_DATA="$tmp/r5" "$NOTARY" proof "$(hash_of sup-0)" --out "$tmp/sup.proof"
expect_exit 0 "verifies VALID (batch 3)" "$VERIFIER" verify --hash "$(hash_of sup-0)" --proof "$tmp/sup.proof" --rpc "$LEDGER_URL" --issuer "$ISSUER"

# --- PostgreSQL: the notary points to pg_dump; pg_dump / pg_restore round-trip ------------------------
. tests/lib/pg.sh
if pg_available && pg_start >/dev/null 2>&1; then
    notary_on_exit 'pg_stop >/dev/null 2>&1'
    PGURL=$(pg_createdb notary1)
    notary_init_evm "$tmp/pgdata" "$tmp/key.hex" --store "$PGURL" >/dev/null 2>&1 || fail "init on PostgreSQL"
    NOTARY_DATA=$tmp/pgdata "$NOTARY" submit "$(hash_of pg-one)" >/dev/null && NOTARY_DATA=$tmp/pgdata "$NOTARY" close >/dev/null
    expect_exit 2 "backup of a PostgreSQL store points to pg_dump" env NOTARY_DATA="$tmp/pgdata" "$NOTARY" backup --to "$tmp/pg.db"
    has "it names pg_dump" "pg_dump"
    URL2=$(pg_createdb notary2)
    if "$PG_BIN/pg_dump" -Fc -d "$PGURL" -f "$tmp/pg.dump" 2>"$tmp/pgd.err" && "$PG_BIN/pg_restore" --no-owner -d "$URL2" "$tmp/pg.dump" 2>>"$tmp/pgd.err"; then
        a=$(NOTARY_DATA=$tmp/pgdata "$NOTARY" status --json | json_field batches.0.root)
        b=$(NOTARY_DATA=$tmp/pgdata NOTARY_STORE=$URL2 "$NOTARY" status --json | json_field batches.0.root)
        [ -n "$a" ] && [ "$a" = "$b" ] && ok "pg_dump -Fc / pg_restore gives the same store (README procedure)" || fail "pg round trip: '$a' '$b'"
    else
        fail "pg_dump / pg_restore: $(tail -3 "$tmp/pgd.err")"
    fi
else
    echo "skip: no PostgreSQL server could be started (tests/lib/pg.sh)"
fi
finish
