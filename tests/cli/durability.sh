#!/usr/bin/env bash
# tests/cli/durability.sh — durability paths under injected I/O failures
# (issue 7, item 4), with Debian's fiu-utils: `fiu-run -x` preloads libfiu's
# POSIX wrappers and fails the chosen calls. The failure points used are the
# ones the notary's writes go through:
#   posix/io/sync/fsync      core/fileio.c (bundles, keystore, their directory)
#   posix/io/sync/fdatasync  SQLite's commit sync (WAL, synchronous=FULL)
#   posix/io/rw/write        core/fileio.c writes
#   posix/io/rw/pwrite       SQLite's page and WAL writes (pwrite64)
#   posix/io/dir/rename      core/fileio.c's atomic replace
# each failed always ("enable") and at random call sites ("enable_random",
# probability 0.5, several runs), during `init` (keystore write), `submit`,
# `close` and `proof` (one bundle over an existing file; a batch export).
#
# Whenever a command fails: exit non-zero with a "notary: ..." message and no
# success line; the store still opens, passes PRAGMA integrity_check and
# holds what it held before (a failed submit's hashes are all there or none;
# a failed close leaves the batch open or wholly closed); an existing bundle
# or keystore is unchanged (or wholly replaced by a valid one when only the
# final directory sync failed); no temporary files are left behind. Whenever
# it succeeds under a fault, what it acknowledged is really there. And a
# submit or close whose commit cannot be synced (fdatasync or pwrite always
# failing) must fail: nothing is acknowledged that was not durably stored.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_bins
if ! command -v fiu-run >/dev/null; then
    if [ "${T_ALLOW_SKIP:-0}" = 1 ]; then echo "skip: fiu-run missing (scripts/setup.sh installs fiu-utils)"; echo "0 passed, 0 failed, 1 skipped"; exit 0; fi
    fail "fiu-run is missing: run scripts/setup.sh (Debian package fiu-utils)"; finish
fi
# Sanitizer builds cannot run under fiu-run: ASan insists on being first in
# the library list, and with that check off libfiu's malloc wrapper crashes
# it at start. The plain build (make test) runs this test.
# (ldd's output is taken whole first: under pipefail, `ldd | grep -q` fails
# when grep exits at the first match and ldd then gets SIGPIPE.)
if grep -Eq 'libasan|libubsan' <<<"$(ldd "$NOTARY" 2>/dev/null)"; then
    echo "skip: $NOTARY is built with sanitizers, which do not run under LD_PRELOAD interposers"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi
notary_test_begin notary-durability

FPS=(posix/io/sync/fsync posix/io/sync/fdatasync posix/io/rw/write posix/io/rw/pwrite posix/io/dir/rename)
RANDOM_RUNS=2
# with_fault SPEC CMD...: run CMD under fiu-run with SPEC ("enable name=..."),
# stdout to $tmp/out, stderr to $tmp/err; returns its exit status.
with_fault() {
    local spec=$1; shift
    fiu-run -x -f "" -c "$spec" "$@" >"$tmp/out" 2>"$tmp/err"
}
specs_for() { # the fault specs to try for one failure point
    echo "enable name=$1"
    local i
    for i in $(seq 1 $RANDOM_RUNS); do echo "enable_random name=$1,probability=0.5"; done
}
# Facts about a store: credentials, open size, every batch's state/size/root/tx.
store_digest() {
    "$NOTARY" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["credentials"], d["openBatchSize"], [(b["seq"], b["state"], b["size"], b.get("root"), b.get("txHash")) for b in d["batches"]])'
}
store_sane() { # the store opens, passes integrity_check, and status works
    [ "$(sqlite3 "$NOTARY_DATA/notary.db" 'PRAGMA integrity_check' 2>&1)" = ok ] && "$NOTARY" status >/dev/null 2>&1
}
clean_error() { # a failed command: a notary message, no success line
    grep -q '^notary' "$tmp/err" && ! grep -Eq "stored durably|^closed batch|^wrote |notary initialised" "$tmp/out"
}
no_temp_files() { ! find "$1" -name '*.tmp*' | grep -q .; }
hashes() { python3 -c 'import os,sys; print("\n".join(os.urandom(32).hex() for _ in range(int(sys.argv[1]))))' "$1"; }
credentials() { "$NOTARY" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["credentials"])'; }

notary_ledger_start default
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
export NOTARY_DATA=$tmp/data
notary_init_evm "$NOTARY_DATA" "$tmp/key.hex" --json > "$tmp/init.json" 2>"$tmp/err" ||
    { fail "init"; cat "$tmp/err"; finish; }
CONTRACT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["contract"])' "$tmp/init.json")
ISSUER=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issuer"])' "$tmp/init.json")

# --- init: the keystore write ----------------------------------------------------
hit=0
for fp in "${FPS[@]}"; do
    while IFS= read -r spec; do
        d=$tmp/init-$RANDOM
        if NOTARY_DATA=$d with_fault "$spec" "$NOTARY" init --rpc "$LEDGER_URL" --contract "$CONTRACT" --import-key "$tmp/key.hex" --kdf-light; then
            NOTARY_DATA=$d "$NOTARY" status >/dev/null 2>&1 && [ "$(stat -c %a "$d/key.json")" = 600 ] \
                && ok "init [$spec]: succeeded, complete" || fail "init [$spec]: exit 0 but incomplete"
        else
            hit=$((hit + 1))
            clean_error && ok "init [$spec]: clean error: $(head -c 120 "$tmp/err")" || fail "init [$spec]: $(cat "$tmp/out" "$tmp/err")"
            # the keystore is absent or whole (never torn), and no temporary file remains
            if [ -e "$d/key.json" ]; then
                python3 -c 'import json,sys; k=json.load(open(sys.argv[1])); assert k["crypto"]["ciphertext"]' "$d/key.json" 2>/dev/null \
                    && ok "init [$spec]: the keystore written is whole" || fail "init [$spec]: torn keystore"
            else
                ok "init [$spec]: no keystore left"
            fi
            no_temp_files "$d" && ok "init [$spec]: no temporary files" || fail "init [$spec]: temporary files left: $(ls "$d")"
        fi
    done < <(specs_for "$fp")
done
[ "$hit" -ge 3 ] && ok "init: faults were hit ($hit runs failed)" || fail "init: only $hit runs hit a fault"

# --- submit ---------------------------------------------------------------------------
hashes 200 > "$tmp/base.txt"
"$NOTARY" submit --file "$tmp/base.txt" >/dev/null
hit=0
for fp in "${FPS[@]}"; do
    while IFS= read -r spec; do
        hashes 500 > "$tmp/h.txt"
        before=$(credentials)
        if with_fault "$spec" "$NOTARY" submit --file "$tmp/h.txt"; then
            after=$(credentials)
            grep -q "stored durably" "$tmp/out" && [ "$after" = $((before + 500)) ] \
                && ok "submit [$spec]: acknowledged and all 500 stored" || fail "submit [$spec]: exit 0, $before -> $after"
        else
            hit=$((hit + 1))
            clean_error && ok "submit [$spec]: clean error, no acknowledgement" || fail "submit [$spec]: $(cat "$tmp/out" "$tmp/err" | tail -3)"
            after=$(credentials)
            { [ "$after" = "$before" ] || [ "$after" = $((before + 500)) ]; } \
                && ok "submit [$spec]: all or nothing ($before -> $after)" || fail "submit [$spec]: half-written: $before -> $after"
            store_sane && ok "submit [$spec]: the store opens, integrity ok" || fail "submit [$spec]: store damaged"
        fi
    done < <(specs_for "$fp")
done
[ "$hit" -ge 4 ] && ok "submit: faults were hit ($hit runs failed)" || fail "submit: only $hit runs hit a fault"
for fp in posix/io/sync/fdatasync posix/io/rw/pwrite; do
    hashes 10 > "$tmp/h.txt"
    with_fault "enable name=$fp" "$NOTARY" submit --file "$tmp/h.txt" \
        && fail "submit [$fp always]: acknowledged without a durable commit" || ok "submit [$fp always]: refused, nothing acknowledged"
done
hashes 10 > "$tmp/h.txt"
"$NOTARY" submit --file "$tmp/h.txt" >/dev/null 2>&1 && ok "submit: works again without faults" || fail "submit after the faults"

# --- close ----------------------------------------------------------------------------
hit=0
for fp in "${FPS[@]}"; do
    while IFS= read -r spec; do
        hashes 50 | "$NOTARY" submit --stdin >/dev/null 2>&1
        before=$(store_digest)
        open_before=$("$NOTARY" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["openBatchSize"])')
        if with_fault "$spec" "$NOTARY" close; then
            "$NOTARY" status --json | python3 -c 'import json,sys; b=json.load(sys.stdin)["batches"][-1]
assert b["state"] == "closed" and b["size"] == int(sys.argv[1]) and b.get("root")' "$open_before" \
                && ok "close [$spec]: closed, whole" || fail "close [$spec]: exit 0 but $(store_digest)"
        else
            hit=$((hit + 1))
            clean_error && ok "close [$spec]: clean error" || fail "close [$spec]: $(cat "$tmp/out" "$tmp/err" | tail -3)"
            store_sane && ok "close [$spec]: the store opens, integrity ok" || fail "close [$spec]: store damaged"
            after=$(store_digest)
            # unchanged, or the batch wholly closed (its commit reached the WAL before the sync failed)
            if [ "$after" = "$before" ]; then ok "close [$spec]: the store is as before"
            else
                "$NOTARY" status --json | python3 -c 'import json,sys; d=json.load(sys.stdin); b=d["batches"][-1]
assert d["openBatchSize"] == 0 and b["state"] == "closed" and b["size"] == int(sys.argv[1]) and b.get("root")' "$open_before" \
                    && ok "close [$spec]: wholly closed" || fail "close [$spec]: half-closed: $before -> $after"
            fi
        fi
    done < <(specs_for "$fp")
done
[ "$hit" -ge 2 ] && ok "close: faults were hit ($hit runs failed)" || fail "close: only $hit runs hit a fault"
"$NOTARY" close >/dev/null 2>&1
"$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1 && ok "anchor every batch after the faults" || fail "anchor after the faults"

# --- proof: one bundle over an existing file; a batch export -----------------------------
h=$(head -n 1 "$tmp/base.txt")
mkdir -p "$tmp/out.d"
"$NOTARY" proof "$h" --out "$tmp/out.d/bundle.json" 2>/dev/null
cp "$tmp/out.d/bundle.json" "$tmp/bundle.orig"
hit=0
for fp in "${FPS[@]}"; do
    while IFS= read -r spec; do
        printf '{"stale": true}\n' > "$tmp/out.d/bundle.json" # an older file the export replaces
        cp "$tmp/out.d/bundle.json" "$tmp/bundle.before"
        if with_fault "$spec" "$NOTARY" proof "$h" --out "$tmp/out.d/bundle.json"; then
            cmp -s "$tmp/out.d/bundle.json" "$tmp/bundle.orig" && ok "proof --out [$spec]: written whole" || fail "proof --out [$spec]: exit 0, wrong content"
        else
            hit=$((hit + 1))
            clean_error && ok "proof --out [$spec]: clean error" || fail "proof --out [$spec]: $(cat "$tmp/err")"
            if cmp -s "$tmp/out.d/bundle.json" "$tmp/bundle.before"; then ok "proof --out [$spec]: the old file is unchanged"
            elif grep -q "fsync of directory" "$tmp/err" && cmp -s "$tmp/out.d/bundle.json" "$tmp/bundle.orig"; then
                ok "proof --out [$spec]: replaced whole; only the directory sync failed"
            else fail "proof --out [$spec]: the old file was damaged"; fi
            no_temp_files "$tmp/out.d" && ok "proof --out [$spec]: no temporary files" || fail "proof --out [$spec]: temporary files left"
        fi
    done < <(specs_for "$fp")
done
[ "$hit" -ge 4 ] && ok "proof --out: faults were hit ($hit runs failed)" || fail "proof --out: only $hit runs hit a fault"

# A batch export: every file present is a whole bundle that verifies.
hashes 20 | "$NOTARY" submit --stdin >/dev/null 2>&1
"$NOTARY" close >/dev/null 2>&1
"$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1
seq=$("$NOTARY" status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["batches"][-1]["seq"])')
hit=0
for fp in posix/io/rw/write posix/io/dir/rename; do
    while IFS= read -r spec; do
        rm -rf "$tmp/export"; mkdir "$tmp/export"
        if with_fault "$spec" "$NOTARY" proof --batch "$seq" --dir "$tmp/export"; then :; else
            hit=$((hit + 1))
            clean_error && ok "proof --batch [$spec]: clean error" || fail "proof --batch [$spec]: $(cat "$tmp/err")"
        fi
        bad=0
        for f in "$tmp"/export/*.json; do
            [ -e "$f" ] || continue
            hh=$(basename "$f" .json)
            "$VERIFIER" verify --hash "$hh" --proof "$f" --offline >/dev/null 2>&1 || bad=$((bad + 1))
        done
        n=$(find "$tmp/export" -name '*.json' | wc -l)
        [ "$bad" = 0 ] && ok "proof --batch [$spec]: the $n bundles present are whole and verify" || fail "proof --batch [$spec]: $bad torn bundles"
        no_temp_files "$tmp/export" && ok "proof --batch [$spec]: no temporary files" || fail "proof --batch [$spec]: temporary files left"
    done < <(specs_for "$fp")
done
[ "$hit" -ge 2 ] && ok "proof --batch: faults were hit ($hit runs failed)" || fail "proof --batch: only $hit runs hit a fault"

# --- after everything: every acknowledged hash has a bundle that verifies online -----
h=$(head -n 1 "$tmp/base.txt")
"$NOTARY" proof "$h" > "$tmp/final.json" 2>/dev/null &&
    "$VERIFIER" verify --hash "$h" --proof "$tmp/final.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" >/dev/null 2>&1 \
    && ok "a hash stored before the faults still verifies online" || fail "final verification"
ledger_stop
finish
