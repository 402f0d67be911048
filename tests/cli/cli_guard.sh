#!/usr/bin/env bash
# tests/cli/cli_guard.sh — the `notary` command refuses what it must, says why,
# and loses nothing (issue 19):
#   - every notary command is non-dumpable from the start (no core file, no
#     same-user ptrace or /proc/PID/environ with $NOTARY_PASSWORD in it), also
#     those that never load the key (`submit`, `serve --no-anchor`): the
#     kernel gives /proc/PID/status of a non-dumpable process to root, so a notary
#     run as an ordinary user shows owner 0 there (and a control process of
#     the same user shows its own uid: the check can fail);
#   - a notary.db that is not a notary's database (0 bytes, random bytes, a
#     text file, an empty SQLite file, another program's SQLite database) is
#     refused by every command like a missing one (exit 2, "not a notary
#     database"), byte for byte unchanged, no -wal or -shm created beside it;
#     `init` refuses it too unless --replace-unrecognised-store, which sets
#     it aside (renamed, not deleted) and creates a working notary.
# Runs a real local ledger (ganache) for `init`.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
BUILD=${BUILD:-build}
NOTARY="$PWD/$BUILD/bin/notary"

scripts/setup.sh --npm . >/dev/null || { fail "setup: npm ci"; finish; }
. tests/lib/ledger.sh
ledger_trap
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli-guard.XXXXXX")
export LEDGER_LOG_DIR=$tmp
trap 'ledger_stop >/dev/null 2>&1; rm -rf "$tmp"' EXIT
export NOTARY_PASSWORD="test password"
unset NOTARY_STORE NOTARY_DATA
(umask 077; printf '%s\n' "$DEV_KEY_0" > "$tmp/key.hex")
H1=$(printf 'credential one' | sha256sum | cut -c1-64)

# --- 1. unrecognisable notary.db ------------------------------------------------
# make_bad KIND DIR: put a notary.db of KIND in DIR.
make_bad() {
    mkdir -p "$2"
    case $1 in
        zero) : > "$2/notary.db" ;;
        random) head -c 8192 /dev/urandom > "$2/notary.db" ;;
        text) printf 'these are my notes\nnot a database\n' > "$2/notary.db" ;;
        emptysqlite) python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA user_version=0"); c.execute("VACUUM"); c.close()' "$2/notary.db" ;;
        foreign) python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("CREATE TABLE invoices(id INTEGER, total REAL)"); c.execute("INSERT INTO invoices VALUES(1, 9.5)"); c.commit(); c.close()' "$2/notary.db" ;;
    esac
}
for kind in zero random text emptysqlite foreign; do
    d=$tmp/bad-$kind
    make_bad "$kind" "$d"
    before=$(sha256sum < "$d/notary.db")
    for cmd in "status" "submit $H1" "close" "anchor --timeout 1" "proof $H1" \
               "revoke $H1 --reason fraud" "checkpoint --no-anchor" "revocations export" \
               "token list" "serve --no-anchor --listen 127.0.0.1:0"; do
        # shellcheck disable=SC2086 # split the command line on purpose
        expect_exit 2 "$kind: '${cmd%% *}' refuses the store" \
            timeout 20 "$NOTARY" --data "$d" $cmd
        has "$kind: '${cmd%% *}' says it is not a notary database" "is not a notary database"
    done
    check "$kind: notary.db is unchanged, nothing created beside it" \
        test "$(sha256sum < "$d/notary.db")" = "$before" --and \
        test ! -e "$d/notary.db-wal" --and test ! -e "$d/notary.db-shm" --and \
        test ! -e "$d/notary.db-journal"
done
expect_grep "the empty file is called empty" "empty (0 bytes)" \
    "$("$NOTARY" --data "$tmp/bad-zero" status 2>&1)"
expect_grep "the foreign database names its tables" "without the notary's schema (tables: invoices)" \
    "$("$NOTARY" --data "$tmp/bad-foreign" status 2>&1)"
expect_grep "random bytes are not SQLite" "not a SQLite database" \
    "$("$NOTARY" --data "$tmp/bad-random" status 2>&1)"
# The same through NOTARY_STORE=sqlite:PATH.
expect_exit 2 "NOTARY_STORE=sqlite:PATH: refused too" \
    env NOTARY_STORE="sqlite:$tmp/bad-zero/notary.db" "$NOTARY" --data "$tmp/nowhere" submit "$H1"
has "NOTARY_STORE=sqlite:PATH: says why" "is not a notary database"

ledger_start || { fail "ledger start"; finish; }
for kind in zero foreign; do
    d=$tmp/bad-$kind
    before=$(sha256sum < "$d/notary.db")
    expect_exit 2 "$kind: init refuses to overwrite it" \
        "$NOTARY" --data "$d" init --rpc "$LEDGER_URL" --deploy --import-key "$tmp/key.hex" --kdf-light
    has "$kind: init says what it is and how to go on" "replace-unrecognised-store"
    check "$kind: init left it unchanged and wrote no key" \
        test "$(sha256sum < "$d/notary.db")" = "$before" --and test ! -e "$d/key.json"
    expect_exit 0 "$kind: init --replace-unrecognised-store creates the notary" \
        "$NOTARY" --data "$d" init --rpc "$LEDGER_URL" --deploy --import-key "$tmp/key.hex" \
        --kdf-light --replace-unrecognised-store
    kept=$(ls "$d"/notary.db.unrecognised-* 2>/dev/null | head -n 1)
    check "$kind: the old file is kept, byte for byte, under a new name" \
        test -n "$kept" --and test "$(sha256sum < "${kept:-/nonexistent}")" = "$before"
    expect_exit 0 "$kind: the new notary works (submit)" "$NOTARY" --data "$d" submit "$H1"
    expect_exit 1 "$kind: init refuses a real notary even with the flag" \
        "$NOTARY" --data "$d" init --rpc "$LEDGER_URL" --deploy --import-key "$tmp/key.hex" \
        --kdf-light --replace-unrecognised-store
    has "$kind: ... because it holds a notary" "already holds a notary"
done

# --- 2. non-dumpable from the start -----------------------------------------------
# owner_of_proc NAME COMMAND...: run COMMAND as an ordinary user (nobody when we
# are root) with NOTARY_PASSWORD set, its stdin a pipe that stays open (so
# `submit --stdin` waits there), and print the owner of its /proc/PID once it
# is up: the user's own uid while dumpable, 0 once it is not.
if [ "$(id -u)" = 0 ]; then RUNAS=(setpriv --reuid=65534 --regid=65534 --clear-groups); uid=65534
else RUNAS=(); uid=$(id -u); fi
owner_of_proc() {
    local ready=$1; shift
    rm -f "$tmp/fifo"; mkfifo "$tmp/fifo"
    (cd "$tmp/pub" && exec env NOTARY_PASSWORD="dump me" "${RUNAS[@]}" "$@") <"$tmp/fifo" \
        >"$tmp/pub/out" 2>"$tmp/pub/err" &
    local pid=$! i
    exec 7>"$tmp/fifo" # the writer end: the reader's open returns, and read() blocks
    for i in $(seq 1 100); do [ -e "$ready" ] && break; sleep 0.05; done
    sleep 0.2
    stat -c %u "/proc/$pid/status" 2>/dev/null || echo gone
    kill -TERM "$pid" 2>/dev/null; exec 7>&-; wait "$pid" 2>/dev/null
}
mkdir -p "$tmp/pub" && chmod 777 "$tmp/pub" && chmod 755 "$tmp"
cp -r "$tmp/bad-zero" "$tmp/pub/data" && chown -R "$uid" "$tmp/pub/data" 2>/dev/null
touch "$tmp/pub/now"
control=$(owner_of_proc "$tmp/pub/now" sleep 30)
check "control: a dumpable process of that user owns its /proc/PID/status ($control)" test "$control" = "$uid"
got=$(owner_of_proc "$tmp/pub/now" "$NOTARY" --data "$tmp/pub/data" submit --stdin)
check "'notary submit --stdin' (no key) is non-dumpable: /proc/PID/status owner $got, want 0" test "$got" = 0
got=$(owner_of_proc "$tmp/pub/port" "$NOTARY" --data "$tmp/pub/data" serve --no-anchor \
    --listen 127.0.0.1:0 --port-file "$tmp/pub/port")
check "'notary serve --no-anchor' is non-dumpable: /proc/PID/status owner $got, want 0" test "$got" = 0
check "serve had started (port file written)" test -s "$tmp/pub/port"

finish
