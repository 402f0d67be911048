#!/usr/bin/env bash
# tests/cli/pg_restart.sh — `notary serve` outlives restarts of its PostgreSQL
# server (issue 17 item 4). A serve on a PostgreSQL store of our own
# (tests/lib/pg.sh), anchoring on a local ledger; a client submits batches of
# hashes continuously over loopback (bounded in count and time); the
# PostgreSQL server is stopped (fast shutdown) and started again on the same
# port mid-load, twice. Asserts:
#   - serve keeps running, the same PID, through both restarts;
#   - while the database is down, health and submissions answer 5xx, never 2xx
#     (no request that started and ended in the outage was acknowledged);
#   - within a few seconds of the server being back, health is ok and
#     submissions are 2xx again (the recovery time is printed);
#   - every hash acknowledged with a 2xx is in the store afterwards, once;
#   - every batch closed is anchored afterwards, none failed (the scheduler
#     and its writer lock recover too).
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-pgr --abs
. tests/lib/pg.sh
SERVE_PID=
stop_serve() { [ -n "$SERVE_PID" ] && kill -TERM "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" 2>/dev/null; }
notary_on_exit pg_stop
notary_on_exit stop_serve
CURL=(curl -s --noproxy '*' --max-time 10)
RECOVER_MAX=${PG_RECOVER_MAX:-5} # seconds from "PostgreSQL accepts connections" to health ok

pg_start || { fail "PostgreSQL start"; finish; }
notary_ledger_start
DB=$(pg_createdb notary) || { fail "createdb"; finish; }
psqlq() { psql -X -q -At -v ON_ERROR_STOP=1 "$DB" -c "$1"; }

notary_dir a
NOTARY_DATA=$NOTARY_DATA notary_init_evm "$NOTARY_DATA" "$d/key.hex" --store "$DB" >/dev/null 2>"$tmp/init.err" \
    || { fail "init: $(cat "$tmp/init.err")"; finish; }
TOKEN=$("$NOTARY" token add loader 2>/dev/null)
[[ "$TOKEN" =~ ^ntk_ ]] || { fail "token add"; finish; }

# Anchoring on (the local ledger): a batch closed every 2 s, so closes and
# anchors also meet the outages; the writer lock's session dies with them.
"$NOTARY" serve --listen 127.0.0.1:0 --port-file "$tmp/port" --close-every 2 --close-at none \
    --batch-cap 0 --poll-ms 100 2>"$tmp/serve.log" &
SERVE_PID=$!
wait_port_file "$tmp/port" "$SERVE_PID" || { fail "serve did not start: $(tail -n 3 "$tmp/serve.log")"; finish; }
URL="http://127.0.0.1:$(cat "$tmp/port")"
health() { "${CURL[@]}" -o /dev/null -w '%{http_code}' "$URL/v1/health"; }
submit_one() { # a one-hash submission of a fresh hash -> HTTP status (the hash is recorded when 2xx)
    local hh st; hh=$(hash_of "probe $RANDOM $RANDOM $(date +%s%N)")
    st=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/json' --data "{\"hash\":\"$hh\"}" "$URL/v1/hashes")
    [ "${st:0:1}" = 2 ] && echo "$hh" >> "$tmp/acked.probe"
    echo "$st"
}
[ "$(health)" = 200 ] && ok "serve on PostgreSQL answers health 200" || fail "health: $(health)"

# The client: 20 hashes a request, one request after another, until $tmp/stop
# exists, 4000 requests or 120 s. Per request: start end status (client.log);
# the hashes of every 2xx in acked.
: > "$tmp/acked.probe"
python3 - "$URL" "$TOKEN" "$tmp" <<'PY' &
import json, os, random, sys, time, urllib.request, urllib.error
url, token, tmp = sys.argv[1:4]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
rnd = random.Random(17)
log = open(os.path.join(tmp, "client.log"), "w", buffering=1)
acked = open(os.path.join(tmp, "acked"), "w", buffering=1)
t_end = time.time() + 120
for i in range(4000):
    if os.path.exists(os.path.join(tmp, "stop")) or time.time() > t_end:
        break
    hs = ["%064x" % rnd.getrandbits(256) for _ in range(20)]
    req = urllib.request.Request(url + "/v1/hashes", data=json.dumps({"hashes": hs}).encode(),
                                 headers={"Authorization": "Bearer " + token,
                                          "Content-Type": "application/json"}, method="POST")
    t0 = time.time()
    try:
        with opener.open(req, timeout=10) as r:
            st = r.status
            r.read()
    except urllib.error.HTTPError as e:
        st = e.code
    except Exception:
        st = 0  # no answer at all (serve gone?)
    t1 = time.time()
    if 200 <= st < 300:
        acked.write("\n".join(hs) + "\n")
    log.write("%.6f %.6f %d\n" % (t0, t1, st))
    time.sleep(0.01)
PY
CLIENT_PID=$!
sleep 1.5

now() { date +%s.%N; }
declare -a DOWN_AT UP_AT
for round in 1 2; do
    pg_halt || { fail "round $round: PostgreSQL did not stop"; break; }
    DOWN_AT[$round]=$(now)
    sleep 1
    hs=$(health); ss=$(submit_one)
    [ "${hs:0:1}" = 5 ] && [ "${ss:0:1}" = 5 ] \
        && ok "round $round: database down: health $hs, submission $ss (5xx)" \
        || fail "round $round: database down: health $hs, submission $ss (want 5xx)"
    sleep 1
    kill -0 "$SERVE_PID" 2>/dev/null && ok "round $round: serve still runs while the database is down" \
        || { fail "round $round: serve exited: $(tail -n 5 "$tmp/serve.log")"; SERVE_PID=; break; }
    UP_AT[$round]=$(now) # just before the start: requests that ended before this saw it down
    pg_resume || { fail "round $round: PostgreSQL did not start again"; break; }
    t_ready=$(now)
    rec=
    for _ in $(seq 1 $((RECOVER_MAX * 20))); do
        [ "$(health)" = 200 ] && { rec=$(now); break; }
        sleep 0.05
    done
    if [ -n "$rec" ]; then
        ok "round $round: health ok again $(python3 -c "print('%.2f' % ($rec - $t_ready))") s after PostgreSQL was back"
    else
        fail "round $round: health not ok within ${RECOVER_MAX} s after PostgreSQL was back: $("${CURL[@]}" "$URL/v1/health")"
    fi
    ss=$(submit_one)
    [ "${ss:0:1}" = 2 ] && ok "round $round: submissions 2xx again ($ss)" || fail "round $round: submission after recovery: $ss"
    sleep 1.5
done
touch "$tmp/stop"
wait "$CLIENT_PID"
kill -0 "$SERVE_PID" 2>/dev/null \
    && ok "serve kept running through both restarts (PID $SERVE_PID)" || fail "serve is gone"

# The client's view: acknowledged before and after each outage, never inside one.
python3 - "$tmp/client.log" "${DOWN_AT[1]:-0}" "${UP_AT[1]:-0}" "${DOWN_AT[2]:-0}" "${UP_AT[2]:-0}" \
    > "$tmp/timeline.out" <<'PY'
import sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
d1, u1, d2, u2 = map(float, sys.argv[2:6])
inside = [r for r in rows if any(d <= r[0] and r[1] <= u for d, u in ((d1, u1), (d2, u2)))]
ok_in = [r for r in inside if 200 <= r[2] < 300]
not5 = [r for r in inside if not 500 <= r[2] < 600]
after = [r for r in rows if r[0] > u2 and 200 <= r[2] < 300]
print("requests", len(rows), "acked", sum(1 for r in rows if 200 <= r[2] < 300),
      "inside", len(inside), "acked_inside", len(ok_in), "non5xx_inside", len(not5), "acked_after", len(after))
PY
read -r _ nreq _ nack _ nin _ nokin _ nnot5 _ nafter < "$tmp/timeline.out"
echo "    client: $(cat "$tmp/timeline.out")"
[ "${nin:-0}" -gt 0 ] && [ "$nokin" = 0 ] && [ "$nnot5" = 0 ] \
    && ok "no request during an outage was acknowledged; all $nin answered 5xx" \
    || fail "during outages: $(cat "$tmp/timeline.out")"
[ "${nafter:-0}" -gt 0 ] && ok "the client's submissions were acknowledged again after the second restart ($nafter)" \
    || fail "no acknowledgement after the second restart"

# Every acknowledged hash is in the store, once.
psql -X -q -At "$DB" -c "SELECT encode(hash, 'hex') FROM credentials" > "$tmp/stored" 2>"$tmp/psql.err" \
    || fail "psql: $(cat "$tmp/psql.err")"
python3 - "$tmp/acked" "$tmp/acked.probe" "$tmp/stored" > "$tmp/store.out" <<'PY'
import collections, sys
acked = [h for f in sys.argv[1:3] for h in open(f).read().split()]
stored = collections.Counter(open(sys.argv[3]).read().split())
missing = [h for h in acked if stored[h] == 0]
twice = [h for h, n in stored.items() if n > 1]
print("acked", len(set(acked)), "stored", sum(stored.values()), "missing", len(missing), "twice", len(twice))
PY
read -r _ nacked _ nstored _ nmiss _ ntwice < "$tmp/store.out"
[ "${nacked:-0}" -gt 0 ] && [ "$nmiss" = 0 ] && [ "$ntwice" = 0 ] \
    && ok "every acknowledged hash is stored once ($nacked acknowledged, $nstored stored)" \
    || fail "store: $(cat "$tmp/store.out")"

# The scheduler recovered too: everything closed gets anchored, nothing failed.
done_=
pg_wait_anchored "$DB" 300 0.1 && done_=1
nanch=$(psqlq "SELECT count(*) FROM batches WHERE kind = 0 AND state = 3")
[ -n "$done_" ] && [ "$nanch" -ge 3 ] && ok "after the restarts every batch was closed and anchored ($nanch batches)" \
    || fail "batches: $(psqlq 'SELECT seq, state, size, last_error FROM batches WHERE kind = 0 ORDER BY seq')"
[ "$(psqlq "SELECT count(*) FROM batches WHERE kind = 0 AND state = 4")" = 0 ] && ok "no batch failed" \
    || fail "failed batches"

kill -TERM "$SERVE_PID"; wait "$SERVE_PID"; rc=$?; SERVE_PID=
[ "$rc" = 0 ] && ok "serve stops cleanly after the restarts" || fail "serve exit $rc: $(tail -n 5 "$tmp/serve.log")"
finish
