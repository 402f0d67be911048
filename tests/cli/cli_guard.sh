#!/usr/bin/env bash
# tests/cli/cli_guard.sh — the `notary` command refuses what it must, says why,
# and loses nothing (issue 19):
#   - every notary command is non-dumpable from the start (no core file, no
#     same-user ptrace or /proc/PID/environ with $NOTARY_PASSWORD in it), also
#     those that never load the key (`submit`, `serve --no-anchor`): the
#     kernel gives /proc/PID/status of a non-dumpable process to root, so a notary
#     run as an ordinary user shows owner 0 there (and a control process of
#     the same user shows its own uid: the check can fail);
#   - secrets are not echoed: an RPC URL whose path and query carry API keys
#     is shown by `init` and `status` (text and --json) as its origin only,
#     and still used whole; a PostgreSQL keyword/value string in
#     NOTARY_STORE or --store (host=... password=...) is a PostgreSQL store,
#     and no message shows its password (nor a URI's);
#   - input mistakes get a clear refusal: `submit --file A --stdin` (or two
#     --file) instead of silently dropping one source, a UTF-8 BOM in a hash
#     file named as such, a read-only data directory or database file named
#     as such (not "unable to open database file"), a raw byte from a damaged
#     schema escaped (valid JSON with --json); `submit --help` states the
#     100 MiB --file limit;
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
. tests/lib/notary.sh
notary_test_begin cli-guard --abs
unset NOTARY_DATA
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
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

notary_ledger_start
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

# --- 3. secrets in URLs are not echoed ------------------------------------------------
. tests/faultproxy/proxy.sh
proxy_start || { fail "proxy start"; finish; }
# The proxy forwards any path to the ledger: a URL shaped like a provider's.
SECRET_URL="$PROXY_URL/v3/SeCrEtPaTh0123456789?apikey=SeCrEtQuErY987654"
d=$tmp/secret-url
no_secret() { # NAME: the last expect_exit's output holds neither secret part
    if grep -q 'SeCrEt' <<<"$LAST_OUT$LAST_ERR"; then
        fail "$1: the URL's secret is echoed: $(grep -o '.\{0,30\}SeCrEt.\{0,20\}' <<<"$LAST_OUT$LAST_ERR" | head -n 2)"
    else ok "$1: no secret of the URL in the output"; fi
}
expect_exit 0 "init with an API key in the RPC URL's path and query" \
    "$NOTARY" --data "$d" init --rpc "$SECRET_URL" --deploy --import-key "$tmp/key.hex" --kdf-light
no_secret "init"
has "init shows the ledger's origin" "ledger          http://127.0.0.1:[0-9]*/\*\*\* (chain 1337)"
expect_exit 0 "status" "$NOTARY" --data "$d" status
no_secret "status"
expect_exit 0 "status --json" "$NOTARY" --data "$d" status --json
no_secret "status --json"
expect_grep "status --json: rpc_url is the origin" "\"rpc_url\": \"$PROXY_URL/\*\*\*\"" "$LAST_OUT"
H2=$(printf 'credential two' | sha256sum | cut -c1-64)
expect_exit 0 "the whole URL is still what the notary uses (submit)" "$NOTARY" --data "$d" submit "$H2"
expect_exit 0 "... close" "$NOTARY" --data "$d" close
expect_exit 0 "... anchor through the URL with its key" "$NOTARY" --data "$d" anchor --poll-ms 100
no_secret "anchor"
proxy_stop

PW=KvPaSsWoRd0123456
for store in "host=127.0.0.1 port=1 dbname=notary user=notary password=$PW connect_timeout=2" \
             "host=127.0.0.1 password='$PW with space' dbname" \
             "host = 127.0.0.1 password = $PW port" \
             "postgresql://notary:$PW@127.0.0.1:1/notary?connect_timeout=2" \
             "postgresql://notary@127.0.0.1:1/notary?password=$PW&connect_timeout=2"; do
    for cmd in status "submit $H1" "token list"; do
        # shellcheck disable=SC2086
        # (from $tmp: a notary that took the string for a SQLite path creates it there)
        LAST_OUT=$(cd "$tmp" && NOTARY_STORE=$store "$NOTARY" --data "$tmp/nowhere" $cmd 2>&1); rc=$?
        check "NOTARY_STORE='${store%% *} ...': ${cmd%% *} fails (exit $rc)" test "$rc" -ne 0
        if grep -q "$PW" <<<"$LAST_OUT"; then fail "NOTARY_STORE='${store%% *} ...': ${cmd%% *} echoes the password: $LAST_OUT"
        else ok "NOTARY_STORE='${store%% *} ...': ${cmd%% *} does not echo the password"; fi
    done
    LAST_OUT=$(cd "$tmp" && "$NOTARY" --data "$tmp/pg-init" init --rpc "$LEDGER_URL" --deploy \
        --import-key "$tmp/key.hex" --kdf-light --store "$store" 2>&1)
    if grep -q "$PW" <<<"$LAST_OUT"; then fail "init --store '${store%% *} ...' echoes the password: $LAST_OUT"
    else ok "init --store '${store%% *} ...' does not echo the password"; fi
done
expect_exit 1 "a keyword/value NOTARY_STORE is a PostgreSQL store (it tries to connect)" \
    env NOTARY_STORE="host=127.0.0.1 port=1 dbname=notary connect_timeout=2" "$NOTARY" --data "$tmp/nowhere" status
has "... and says so" "cannot connect to the PostgreSQL store"

# --- 4. input mistakes and damaged stores: clear messages ------------------------------
d=$tmp/bad-zero # a working notary (section 1); H1 is in it
count() { "$NOTARY" --data "$d" status --json | json_field credentials; }
n0=$(count)
H3=$(printf 'credential three' | sha256sum | cut -c1-64)
printf '%s\n' "$H3" > "$tmp/h3.txt"
expect_exit 2 "submit --file A --stdin is refused" \
    sh -c 'printf "%s\n" "$1" | "$2" --data "$3" submit --file "$4" --stdin' _ "$H1" "$NOTARY" "$d" "$tmp/h3.txt"
has "... saying to give one source" "give one --file or --stdin"
expect_exit 2 "submit --stdin --file A is refused" \
    sh -c 'printf "%s\n" "$1" | "$2" --data "$3" submit --stdin --file "$4"' _ "$H1" "$NOTARY" "$d" "$tmp/h3.txt"
expect_exit 2 "submit --file A --file B is refused" "$NOTARY" --data "$d" submit --file "$tmp/h3.txt" --file "$tmp/h3.txt"
check "nothing was stored by the refused submits" test "$(count)" = "$n0"
printf '\xef\xbb\xbf%s\n' "$H3" > "$tmp/bom.txt"
expect_exit 2 "a hash file with a UTF-8 BOM is refused" "$NOTARY" --data "$d" submit --file "$tmp/bom.txt"
has "... naming the BOM and the line" "bom.txt:1: the line starts with a UTF-8 byte order mark"
check "nothing was stored from it" test "$(count)" = "$n0"
expect_exit 0 "submit --help" "$NOTARY" submit --help
has "submit --help states the --file size limit" "at most 100 MiB"

# Read-only: run as an ordinary user (section 2's RUNAS) on a copy of the notary.
ro=$tmp/pub/ro; mkdir -p "$ro"; cp "$d/notary.db" "$d/key.json" "$ro/"
chown "$uid" "$ro/notary.db" 2>/dev/null; chmod 755 "$ro"
if [ "$(id -u)" != 0 ]; then chmod 555 "$ro"; fi # ours: take our own write right away
before=$(sha256sum < "$ro/notary.db")
expect_exit 1 "read-only data directory: refused" "${RUNAS[@]}" "$NOTARY" --data "$ro" submit "$H3"
has "... saying the directory is read-only, and which" "the directory $ro is read-only"
check "... and the database is unchanged" test "$(sha256sum < "$ro/notary.db")" = "$before"
chmod 755 "$ro"; [ "$(id -u)" = 0 ] && chown "$uid" "$ro"; chmod 444 "$ro/notary.db"
expect_exit 1 "read-only database file: refused" "${RUNAS[@]}" "$NOTARY" --data "$ro" submit "$H3"
has "... saying the file is read-only" "notary.db: the database file is read-only"

# A damaged schema with a raw 0xFF byte in it.
cs=$tmp/corrupt; mkdir -p "$cs"; cp "$d/notary.db" "$cs/"
python3 - "$cs/notary.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("PRAGMA writable_schema=ON")
c.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL'"
          " || CAST(X'FF' AS TEXT) || ') WITHOUT ROWID' WHERE name = 'meta'")
c.commit()
PY
"$NOTARY" --data "$cs" status --json >"$tmp/cs.out" 2>"$tmp/cs.err"; rc=$?
check "a damaged schema fails (exit $rc)" test "$rc" = 1
check "... --json still prints valid JSON with the message" \
    python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["message"]; sys.exit(0 if "\\xff" in m else 1)' "$tmp/cs.out"
check "... and no raw byte above 0x7f reaches stderr" \
    python3 -c 'import sys; b=open(sys.argv[1],"rb").read(); sys.exit(0 if b and max(b) < 0x80 else 1)' "$tmp/cs.err"

finish
