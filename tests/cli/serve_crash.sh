#!/usr/bin/env bash
# tests/cli/serve_crash.sh — `notary serve` killed (SIGKILL) in the middle of
# bulk submissions, while its checkpointer thread copies the SQLite log into
# the database file (store_wal_background: the writer's commits no longer
# checkpoint themselves): every hash whose request was answered 200 is in
# the store after the crash, the database file received the log's pages
# while serve ran (the checkpointer works), and a restarted serve refuses
# none of them as new (they are all "already stored").
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-serve-crash --abs
SERVE_PID=
kill_serve() { [ -n "$SERVE_PID" ] && kill -KILL "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null; SERVE_PID=; }
notary_on_exit kill_serve
export NOTARY_DATA=$tmp/data

start_serve() {
    rm -f "$tmp/port"
    "$NOTARY" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --no-anchor --close-at none \
        --batch-cap 0 --max-body 16777216 2>>"$tmp/serve.log" &
    SERVE_PID=$!
    wait_port_file "$tmp/port" "$SERVE_PID" || { fail "serve did not start: $(tail -n 3 "$tmp/serve.log")"; finish; }
    URL=http://127.0.0.1:$(cat "$tmp/port")
}

notary_ledger_start
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
notary_init_evm "$NOTARY_DATA" "$tmp/key.hex" --json >/dev/null 2>"$tmp/init.err" ||
    { fail "init: $(cat "$tmp/init.err")"; finish; }
TOKEN=$("$NOTARY" token add crash 2>/dev/null)
export TOKEN
db=$(ls "$NOTARY_DATA"/*.db | head -n 1)
start_serve
size0=$(stat -c %s "$db")

# Two clients post 5,000 fresh hashes per request until killed; each writes
# a request's hashes to its file only after the 200 (acknowledged).
client() { # URL OUT
    python3 - "$1" "$2" <<'PY'
import http.client, json, os, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
out = open(sys.argv[2], "a")
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
while True:
    hs = [os.urandom(32).hex() for _ in range(5000)]
    try:
        c.request("POST", "/v1/hashes", json.dumps({"hashes": hs}),
                  {"Authorization": "Bearer " + os.environ["TOKEN"], "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
    except Exception:
        break
    if r.status != 200:
        print("status", r.status, file=sys.stderr)
        break
    out.write("".join(h + "\n" for h in hs))
    out.flush()
PY
}
client "$URL" "$tmp/acked1.txt" 2>"$tmp/client1.err" &
c1=$!
client "$URL" "$tmp/acked2.txt" 2>"$tmp/client2.err" &
c2=$!
# Kill once ~40 MB of rows were acknowledged (several checkpoints' worth),
# or after 60 s.
for _ in $(seq 1 600); do
    n=$(cat "$tmp"/acked*.txt 2>/dev/null | wc -l)
    [ "$n" -ge 300000 ] && break
    sleep 0.1
done
size1=$(stat -c %s "$db")
kill -KILL "$SERVE_PID"
wait "$SERVE_PID" 2>/dev/null
SERVE_PID=
wait "$c1" "$c2" 2>/dev/null
acked=$(cat "$tmp"/acked*.txt | wc -l)
[ "$acked" -ge 100000 ] && ok "$acked hashes acknowledged before the SIGKILL" ||
    fail "only $acked hashes acknowledged: $(cat "$tmp"/client*.err | tail -n 3)"
grep -q checkpointer_not_started "$tmp/serve.log" && fail "the checkpointer did not start: $(grep checkpointer "$tmp/serve.log")"
# Every row sat in the log until a checkpoint copied it: the file grew while serve ran.
[ $((size1 - size0)) -ge $((4 << 20)) ] && ok "the database file received $(( (size1 - size0) >> 20 )) MB from the log while serve ran" ||
    fail "the database file grew by $((size1 - size0)) bytes only while serve ran"

python3 - "$db" "$tmp"/acked1.txt "$tmp"/acked2.txt > "$tmp/check.out" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
have = set()
for (blob,) in c.execute("SELECT hashes FROM chunks"):
    have.update(blob[i:i + 32] for i in range(0, len(blob), 32))
acked = [bytes.fromhex(l.strip()) for f in sys.argv[2:] for l in open(f) if l.strip()]
print(len(acked), sum(h not in have for h in acked))
PY
read -r total missing < "$tmp/check.out"
[ "${missing:-1}" = 0 ] && ok "after the crash all $total acknowledged hashes are stored" ||
    fail "after the crash $missing of $total acknowledged hashes are missing"

start_serve
python3 - "$URL" "$tmp/acked1.txt" > "$tmp/resubmit.out" <<'PY'
import http.client, json, os, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
hs = [l.strip() for l in open(sys.argv[2]) if l.strip()][:20000]
c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
c.request("POST", "/v1/hashes", json.dumps({"hashes": hs}),
          {"Authorization": "Bearer " + os.environ["TOKEN"], "Content-Type": "application/json"})
r = c.getresponse()
body = json.loads(r.read())
print(r.status, len(hs), body.get("new"))
PY
read -r status sent fresh < "$tmp/resubmit.out"
[ "$status" = 200 ] && [ "$fresh" = 0 ] && ok "a restarted serve takes $sent acknowledged hashes back as already stored" ||
    fail "resubmitting acknowledged hashes: status $status, new ${fresh:-?} of $sent"
kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
[ "$rc" = 0 ] && ok "the restarted serve stops cleanly (its checkpointer joined)" ||
    fail "the restarted serve exited $rc: $(tail -n 3 "$tmp/serve.log")"
finish
