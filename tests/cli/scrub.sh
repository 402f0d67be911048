#!/usr/bin/env bash
# tests/cli/scrub.sh — `notary check` (issue 17 item 2) on a real local ledger
# (ganache) with a SQLite store:
#   - a clean store (two anchored batches, an anchored revocation checkpoint)
#     → exit 0, "clean", --json parsed with jq;
#   - the store corrupted directly with the sqlite3 CLI (leaves live in the
#     chunk blobs of table `chunks`, notary/store/sqlite_index.c), each from a
#     pristine copy, each finding by name with the batch seq: a flipped byte
#     in a leaf → leaf-changed; a deleted leaf → leaf-missing; two swapped
#     leaves → order-changed; a root changed in the store → root-mismatch
#     (online: against the ledger; --offline: against the leaves); a leaf
#     copied from another batch → duplicate-hash; a revocation entry changed
#     → revlog-mismatch;
#   - the ledger down → exit 3 (incomplete), --offline still 0.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin scrub
command -v sqlite3 >/dev/null || { fail "sqlite3 CLI not installed"; finish; }
command -v jq >/dev/null || { fail "jq not installed"; finish; }
h() { hash_of "$1"; }
jqc() { jq -e "$@" >/dev/null; }

notary_ledger_start default
notary_dir
db=$NOTARY_DATA/notary.db
expect_exit 0 "init" notary_init_evm "$NOTARY_DATA" "$d/key.hex" --json
# batch 0: one hash per commit (one chunk each); batch 1: eight in one chunk
for i in 0 1 2 3; do "$NOTARY" submit "$(h a$i)" >/dev/null; done
"$NOTARY" close >/dev/null
for i in 0 1 2 3 4 5 6 7; do h b$i; done >"$d/b.txt"
"$NOTARY" submit --file "$d/b.txt" >/dev/null
"$NOTARY" close >/dev/null
"$NOTARY" revoke "$(h b5)" --reason 1 >/dev/null
expect_exit 0 "anchor both batches" "$NOTARY" anchor --poll-ms 100
expect_exit 0 "checkpoint anchored" "$NOTARY" checkpoint --poll-ms 100

expect_exit 0 "clean store: check exit 0" "$NOTARY" check
has "says clean" "^clean"
has "compared with the ledger" "3 compared with the ledger"
expect_exit 0 "clean store: check --json" "$NOTARY" check --json
check "--json: status clean, no findings, 2 batches, 12 leaves, 1 checkpoint" \
    jqc '.status == "clean" and (.findings | length) == 0 and .batches == 2 and .leaves == 12
           and .checkpoints == 1 and .anchored_checked == 3 and .incomplete == false' <<<"$LAST_OUT"

# Keep a pristine copy of the store; each corruption starts from it.
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
cp "$db" "$d/pristine.db"
restore() { rm -f "$db-wal" "$db-shm"; cp "$d/pristine.db" "$db"; }
chunk_hex() { sqlite3 "$db" "SELECT hex(hashes) FROM chunks WHERE batch_seq = 1"; }
set_chunk() { # HEX N HASHING_HEX: batch 1's only chunk
    sqlite3 "$db" "UPDATE chunks SET hashes = X'$1', n = $2, hashing = X'$3' WHERE batch_seq = 1"
}
check "batch 1 is one chunk of 8 leaves" \
    test "$(sqlite3 "$db" "SELECT count(*) || ' ' || sum(n) FROM chunks WHERE batch_seq = 1")" = "1 8"

# finding NAME SEQ [LEAF]: the last --json output holds finding NAME for batch SEQ (at LEAF).
finding() {
    local q=".findings[] | select(.finding == \"$1\" and .seq == $2)"
    [ -n "${3:-}" ] && q="$q | select(.leaf == $3)"
    check "finding $1 in batch $2${3:+ leaf $3}" jqc "[$q] | length == 1" <<<"$LAST_OUT"
}
only() { # N: exactly N findings
    check "exactly $1 finding(s)" jqc ".status == \"findings\" and (.findings | length) == $1" <<<"$LAST_OUT"
}

# --- a flipped byte in leaf 3 of batch 1 ---------------------------------------
hex=$(chunk_hex)
p=$((64 * 3 + 10))
c=${hex:p:1}; [ "$c" = 0 ] && c=1 || c=0
set_chunk "${hex:0:p}$c${hex:p+1}" 8 0000000000000000
expect_exit 1 "flipped byte: exit 1" "$NOTARY" check --json
finding leaf-changed 1 3
only 1
expect_exit 1 "flipped byte: the table names it" "$NOTARY" check
has "table: leaf-changed, batch 1" "^leaf-changed *batch *1 *3 "
restore

# --- a deleted leaf (leaf 5 of batch 1) ----------------------------------------
hex=$(chunk_hex)
set_chunk "${hex:0:64*5}${hex:64*6}" 7 00000000000000
expect_exit 1 "deleted leaf: exit 1" "$NOTARY" check --json
finding leaf-missing 1
only 1
restore

# --- two swapped leaves (2 and 6 of batch 1) -----------------------------------
hex=$(chunk_hex)
l2=${hex:128:64}; l6=${hex:384:64}
set_chunk "${hex:0:128}$l6${hex:192:192}$l2${hex:448}" 8 0000000000000000
expect_exit 1 "swapped leaves: exit 1" "$NOTARY" check --json
finding order-changed 1 2
only 1
restore

# --- two swapped chunks of batch 0 (one leaf each) ------------------------------
sqlite3 "$db" "UPDATE chunks SET hashes = (SELECT hashes FROM chunks c WHERE c.batch_seq = 0 AND c.id = (SELECT min(id) FROM chunks WHERE batch_seq = 0) + 1) WHERE batch_seq = 0 AND id = (SELECT min(id) FROM chunks WHERE batch_seq = 0);
UPDATE chunks SET hashes = X'$(h a0 | tr a-f A-F)' WHERE batch_seq = 0 AND id = (SELECT min(id) FROM chunks WHERE batch_seq = 0) + 1;"
expect_exit 1 "swapped rows of batch 0: exit 1" "$NOTARY" check --json
finding order-changed 0 0
only 1
restore

# --- a root changed in the store (batch 0) --------------------------------------
sqlite3 "$db" "UPDATE batches SET root = X'$(printf '%064x' 1)' WHERE kind = 0 AND seq = 0"
expect_exit 1 "changed root: exit 1" "$NOTARY" check --json
finding root-mismatch 0
only 1
check "online: compared with the ledger's root" jqc '.findings[0].detail | test("anchored on the ledger")' <<<"$LAST_OUT"
expect_exit 1 "changed root, --offline: exit 1" "$NOTARY" check --offline --json
finding root-mismatch 0
only 1
restore

# --- the store's root and transaction of batch 1 both changed --------------------
sqlite3 "$db" "UPDATE batches SET root = X'$(printf '%064x' 2)', tx_hash = X'$(printf '%064x' 3)' WHERE kind = 0 AND seq = 1"
expect_exit 1 "root and transaction changed: exit 1" "$NOTARY" check --json
finding not-anchored 1
finding root-mismatch 1
only 2
restore

# --- a leaf of batch 0 copied into batch 1 (leaf 4) -----------------------------
hex=$(chunk_hex)
a1=$(h a1 | tr a-f A-F)
set_chunk "${hex:0:256}$a1${hex:320}" 8 0000000000000000
expect_exit 1 "duplicate: exit 1" "$NOTARY" check --json
finding duplicate-hash 1 4
finding leaf-changed 1 4
only 2
restore

# --- a revocation entry changed (its time) --------------------------------------
sqlite3 "$db" "DROP TRIGGER revocations_no_update; UPDATE revocations SET revoked_at = revoked_at + 1;"
expect_exit 1 "changed revocation entry: exit 1" "$NOTARY" check --json
check "finding revlog-mismatch for checkpoint 0" \
    jqc '[.findings[] | select(.finding == "revlog-mismatch" and .seq == 0 and .kind == "checkpoint")] | length == 1' <<<"$LAST_OUT"
only 1
restore

expect_exit 0 "restored: clean again" "$NOTARY" check

# --- the ledger down --------------------------------------------------------------
ledger_stop >/dev/null 2>&1
expect_exit 3 "ledger down: exit 3 (incomplete)" "$NOTARY" check --json
check "--json: incomplete, no findings" jqc '.status == "incomplete" and .incomplete == true' <<<"$LAST_OUT"
expect_exit 0 "ledger down, --offline: exit 0" "$NOTARY" check --offline
has "says offline" "(offline)"
expect_exit 2 "unknown option: exit 2" "$NOTARY" check --bogus
finish
