#!/usr/bin/env bash
# tests/cli/upgrade.sh — upgrading the notary over an old store (README
# "Operating", upgrade). A store at schema version 1 is built from the
# repository's own migration history (migration 1's SQL read from
# notary/store/sqlite_schema.c by tests/lib/migrations.py) and filled with
# the rows of a real store anchored on a local ledger (ganache): two batches
# anchored, one closed and not anchored yet, one open with three hashes.
# The new binary opens it; asserts:
#   - every migration ran (PRAGMA user_version = the latest) in one start;
#   - every leaf is kept, in its batch, at its position; every batch's state,
#     size, root and transaction are kept;
#   - `notary check` (online) is clean: the leaves give the anchored roots;
#   - a proof of an old leaf verifies VALID against the ledger;
#   - the closed batch is anchored and the open one closed as it was (no
#     hash added: the case of a nightly backup and a morning close) and
#     anchored after the upgrade, the sequence continuing (seq 0..3, each
#     anchored once), and check is clean again;
#   - the version-1 file restored as a backup by the new binary (`notary
#     restore`), the ledger having moved on: migrated, leaves kept, batch 2
#     (closed in the backup) and batch 3 (its open batch, the same leaves)
#     recovered with the ledger's transactions, nothing lost; `anchor` then
#     has nothing to do (it used to stop on "no matching event"), the next
#     batch is 4, one Anchored event per root;
#   - a store whose schema is newer than the binary is refused with a message
#     that says to upgrade the notary, and is left unchanged (rollback is
#     restoring the backup taken before the upgrade).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin upgrade
command -v sqlite3 >/dev/null || { fail "sqlite3 CLI not installed"; finish; }
h() { hash_of "$1"; }

notary_ledger_start default
notary_dir
db=$NOTARY_DATA/notary.db
expect_exit 0 "init" notary_init_evm "$NOTARY_DATA" "$d/key.hex" --json
ISSUER=$(json_field issuer <<<"$LAST_OUT")
CONTRACT=$(json_field contract <<<"$LAST_OUT")
for i in 0 1 2 3 4; do h a$i; done >"$d/a.txt"
"$NOTARY" submit --file "$d/a.txt" >/dev/null && "$NOTARY" close >/dev/null
for i in 0 1 2 3 4 5 6; do h b$i; done >"$d/b.txt"
"$NOTARY" submit --file "$d/b.txt" >/dev/null && "$NOTARY" close >/dev/null
expect_exit 0 "anchor batches 0 and 1" "$NOTARY" anchor --poll-ms 100
for i in 0 1 2; do h c$i; done >"$d/c.txt"
"$NOTARY" submit --file "$d/c.txt" >/dev/null && "$NOTARY" close >/dev/null # closed, not anchored
for i in 0 1 2; do h d$i; done >"$d/d.txt"
"$NOTARY" submit --file "$d/d.txt" >/dev/null # open
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null

leaves() { sqlite3 "$1" "SELECT batch_seq, id, hex(hash), hashing FROM credentials ORDER BY id"; }
batches() { sqlite3 "$1" "SELECT kind, seq, state, size, first_id, hex(root), hex(tx_hash), block_number FROM batches ORDER BY kind, seq"; }
leaves "$db" >"$d/leaves.before"
batches "$db" >"$d/batches.before"
check "the source store: 4 batches, 18 leaves" \
    test "$(wc -l <"$d/batches.before") $(wc -l <"$d/leaves.before")" = "4 18"

# --- the store at schema version 1, from migration 1's SQL --------------------------
latest=$(python3 tests/lib/migrations.py notary/store/sqlite_schema.c)
python3 tests/lib/migrations.py notary/store/sqlite_schema.c 1 >"$d/m1.sql"
old=$d/old.db
sqlite3 "$old" <"$d/m1.sql" && sqlite3 "$old" "
PRAGMA user_version = 1;
ATTACH '$db' AS cur;
INSERT INTO meta SELECT key, value FROM cur.meta;
INSERT INTO credentials SELECT id, hash, hashing, batch_seq, submitted_at FROM cur.credentials;
INSERT INTO batches SELECT kind, seq, state, size, first_id, root, opened_at, closed_at, tx_hash, nonce,
    sent_at, block_number, block_hash, block_time, anchored_at, last_error FROM cur.batches;
INSERT INTO txs SELECT tx_hash, kind, seq, nonce, raw, created_at FROM cur.txs;"
check "a version-1 store built from migration 1 (no chunks table, user_version 1)" \
    test "$(sqlite3 "$old" "PRAGMA user_version; SELECT count(*) FROM sqlite_master WHERE name = 'chunks'")" = $'1\n0'
check "it holds the same leaves" test "$(leaves "$old")" = "$(cat "$d/leaves.before")"
rm -f "$db" "$db-wal" "$db-shm"
cp "$old" "$db"

# --- the new binary opens it -----------------------------------------------------------
expect_exit 0 "status on the version-1 store" "$NOTARY" status
check "every migration ran: user_version $latest" test "$(sqlite3 "$db" "PRAGMA user_version")" = "$latest"
check "every leaf kept, in its batch, at its position, with its hashing" \
    test "$(leaves "$db")" = "$(cat "$d/leaves.before")"
check "every batch kept: state, size, first id, root, transaction, block" \
    test "$(batches "$db")" = "$(cat "$d/batches.before")"
expect_exit 0 "notary check after the upgrade: clean" "$NOTARY" check
has "says clean" "^clean"
has "both anchored batches compared with the ledger" "2 compared with the ledger"
a2=$(h a2)
expect_exit 0 "proof of an old leaf" "$NOTARY" proof "$a2" --out "$d/a2.json"
expect_exit 0 "the old leaf's bundle verifies VALID" "$VERIFIER" verify --hash "$a2" --proof "$d/a2.json" \
    --rpc "$LEDGER_URL" --issuer "$ISSUER"

# --- it goes on from there -----------------------------------------------------------------
expect_exit 0 "close the open batch as it was" "$NOTARY" close
expect_exit 0 "anchor the batches closed before and after the upgrade" "$NOTARY" anchor --poll-ms 100
check "the sequence continues: batches 0..3, all anchored" \
    test "$(sqlite3 "$db" "SELECT group_concat(seq || ':' || state, ' ') FROM (SELECT seq, state FROM batches WHERE kind = 0 ORDER BY seq)")" = "0:3 1:3 2:3 3:3"
check "the new batches' leaves are the ones submitted" \
    test "$(sqlite3 "$db" "SELECT count(*) FROM credentials WHERE batch_seq IN (2, 3)")" = 6
expect_exit 0 "notary check: clean, 4 batches" "$NOTARY" check --json
check "--json: 4 batches, 18 leaves, 4 compared with the ledger" \
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(not (r["status"] == "clean" and r["batches"] == 4 and r["leaves"] == 18 and r["anchored_checked"] == 4))' "$LAST_OUT"

# --- the version-1 file as a backup restored by the new binary, the ledger moved on ---------
expect_exit 0 "restore the version-1 backup into a new directory" "$NOTARY" restore "$old" --data "$d/restored" --json
cp "$NOTARY_DATA/key.json" "$d/restored/key.json"
rdb=$d/restored/notary.db
check "restored: migrated to user_version $latest" test "$(sqlite3 "$rdb" "PRAGMA user_version")" = "$latest"
check "restored: the leaves of batches 0 and 1 kept" \
    test "$(sqlite3 "$rdb" "SELECT batch_seq, id, hex(hash), hashing FROM credentials WHERE batch_seq < 2 ORDER BY id")" = \
         "$(grep -E '^[01]\|' "$d/leaves.before")"
echo "$LAST_OUT" >"$d/restore.json"
check "restore recovers batches 2 (closed in the backup) and 3 (its open batch, the same leaves) from the ledger, loses nothing, moves nothing" \
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(not ([(l["kind"], l["seq"]) for l in r["recovered"]] == [("batch", 2), ("batch", 3)] and r["lost"] == [] and "open_batch_moved_to" not in r))' "$d/restore.json"
check "restored: batches 2 and 3 carry the ledger's transactions and blocks" \
    test "$(sqlite3 "$rdb" "SELECT seq, state, size, hex(root), hex(tx_hash), block_number FROM batches WHERE kind = 0 AND seq IN (2, 3) ORDER BY seq")" = \
         "$(sqlite3 "$db" "SELECT seq, state, size, hex(root), hex(tx_hash), block_number FROM batches WHERE kind = 0 AND seq IN (2, 3) ORDER BY seq")"
expect_exit 0 "restored: check clean, every batch compared with the ledger" "$NOTARY" --data "$d/restored" check --json
check "restored check: 4 batches, 18 leaves, 4 compared with the ledger" \
    python3 -c 'import json,sys; r=json.loads(sys.argv[1]); sys.exit(not (r["status"] == "clean" and r["batches"] == 4 and r["leaves"] == 18 and r["anchored_checked"] == 4))' "$LAST_OUT"
expect_exit 1 "restored: the morning close finds nothing open (the backup's open batch is batch 3, recovered)" \
    "$NOTARY" --data "$d/restored" close
expect_exit 0 "restored: anchor finishes (nothing to anchor)" timeout 60 "$NOTARY" --data "$d/restored" anchor --poll-ms 100
expect_exit 0 "restored: submit a new hash" "$NOTARY" --data "$d/restored" submit "$(h f0)"
expect_exit 0 "restored: close it" "$NOTARY" --data "$d/restored" close
expect_exit 0 "restored: anchor it" timeout 60 "$NOTARY" --data "$d/restored" anchor --poll-ms 100
check "restored: batches 0..4 all anchored, the new one as seq 4" \
    test "$(sqlite3 "$rdb" "SELECT group_concat(seq || ':' || state, ' ') FROM (SELECT seq, state FROM batches WHERE kind = 0 ORDER BY seq)")" = "0:3 1:3 2:3 3:3 4:3"
check "nothing anchored twice: one Anchored event per root on the ledger, 5 in all" python3 -c '
import sys; sys.path.insert(0, "tests/lib"); from anchored import anchored_by_root
r = anchored_by_root(*sys.argv[1:4]); sys.exit(not (len(r) == 5 and all(len(v) == 1 for v in r.values())))' \
    "$LEDGER_URL" "$CONTRACT" "$ISSUER"

# --- a schema newer than the binary ------------------------------------------------------
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA user_version = $((latest + 1));" >/dev/null
sum=$(sha256sum "$db" | cut -d' ' -f1)
expect_exit 2 "a store newer than the binary is refused (exit 2)" "$NOTARY" status
has "the message says to upgrade the notary" "newer than this notary.*upgrade the notary"
check "the newer store is left unchanged" test "$(sha256sum "$db" | cut -d' ' -f1)" = "$sum"
finish
