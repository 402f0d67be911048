#!/usr/bin/env bash
# tests/cli/serve.sh — `notary serve` over real HTTP (curl) against a real
# local ledger (ganache):
#   - the routes in docs/openapi.yaml are exactly the implemented ones;
#   - tokens: created once, stored only as a hash; requests without, with a
#     wrong or a removed token are refused; bad names and duplicates refused;
#   - refusals with stable JSON error codes: malformed JSON, duplicate keys,
#     bad hex, wrong shape, wrong media type, oversized bodies (declared and
#     chunked), oversized headers, unknown routes, wrong methods;
#   - slow clients: an idle half-sent request is cut off after --timeout; a
#     slowloris of 1,100 connections from 127.0.0.2 with the default limits
#     (64 per address, 10 s head deadline) while 127.0.0.1 is served;
#   - submit (hashes, text/plain, a credential document) → 202 pending with
#     the batch → scheduled close (--close-every) → anchored on the ledger →
#     bundle over HTTP → `verifier verify --rpc` VALID;
#   - batches, checkpoints, revocations (revoke, idempotent, unknown), health,
#     metrics, JSON log lines without secrets;
#   - SIGTERM during a burst of submissions: every hash that got a 2xx is in
#     the store afterwards, and the server stops cleanly;
#   - restart: a batch closed while the server was down is anchored;
#   - ledger down: the API keeps answering, the scheduler reports failures.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-serve --abs
SERVE_PID=
stop_serve() {
    if [ -n "$SERVE_PID" ]; then
        kill -TERM "$SERVE_PID" 2>/dev/null
        wait "$SERVE_PID" 2>/dev/null
        SERVE_RC=$?
        SERVE_PID=
    fi
}
notary_on_exit stop_serve
export NOTARY_DATA=$tmp/data
CURL=(curl -s --noproxy '*' --max-time 20)

# start_serve LOG ARGS...: start on a free port; sets URL and SERVE_PID.
start_serve() {
    local log=$1; shift
    rm -f "$tmp/port"
    "$NOTARY" serve --listen 127.0.0.1:0 --port-file "$tmp/port" "$@" 2>"$log" &
    SERVE_PID=$!
    if ! wait_port_file "$tmp/port" "$SERVE_PID"; then
        fail "serve did not start: $(tail -n 3 "$log")"
        SERVE_PID=
        return 1
    fi
    URL=http://127.0.0.1:$(cat "$tmp/port")
}

# req NAME WANT_STATUS WANT_CODE CURL_ARGS...: the status must be WANT_STATUS
# and, unless WANT_CODE is "-", the JSON body's "error" must be WANT_CODE.
req() {
    local name=$1 want=$2 code=$3; shift 3
    local status
    status=$("${CURL[@]}" -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@")
    BODY=$(cat "$tmp/body")
    if [ "$status" != "$want" ]; then
        fail "$name: status $status, want $want: $(head -c 300 "$tmp/body")"
        return 1
    fi
    if [ "$code" != - ]; then
        local got
        got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error",""))' "$tmp/body" 2>/dev/null)
        if [ "$got" != "$code" ]; then
            fail "$name: error code '$got', want '$code': $(head -c 300 "$tmp/body")"
            return 1
        fi
    fi
    ok "$name ($status${code:+ $code})"
}
h() { hash_of "$1"; }

# --- the routes match docs/openapi.yaml -----------------------------------------
"$NOTARY" serve --print-routes > "$tmp/routes.txt"
python3 - "$tmp/routes.txt" docs/openapi.yaml > "$tmp/routes.diff" <<'EOF'
import re, sys
impl = set(l.strip() for l in open(sys.argv[1]) if l.strip())
doc, path, in_paths = set(), None, False
for line in open(sys.argv[2]):
    if re.match(r'^paths:\s*$', line):
        in_paths = True; continue
    if in_paths and re.match(r'^\S', line):
        in_paths = False
    if not in_paths:
        continue
    m = re.match(r'^  (/\S*):\s*$', line)
    if m:
        path = m.group(1); continue
    m = re.match(r'^    (get|post|put|delete|patch|head|options):', line)
    if m and path:
        doc.add(f"{m.group(1).upper()} {path}")
for r in sorted(impl - doc): print("implemented, not documented:", r)
for r in sorted(doc - impl): print("documented, not implemented:", r)
sys.exit(1 if impl != doc or not impl else 0)
EOF
if [ $? -eq 0 ]; then ok "openapi.yaml documents exactly the $(wc -l < "$tmp/routes.txt") implemented routes"
else fail "openapi.yaml and the routes differ: $(cat "$tmp/routes.diff")"; fi

# --- a --password-file that cannot be read is named (it was reported as if no
# password had been given: "set NOTARY_PASSWORD or pass --password-file FILE")
expect_exit 2 "serve: a --password-file that does not exist is refused" \
    "$NOTARY" --password-file "$tmp/no-such-password" serve --listen 127.0.0.1:0
has "... and the error names that file" "no-such-password: cannot open password file"

notary_ledger_start
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
notary_init_evm "$NOTARY_DATA" "$tmp/key.hex" --json \
    > "$tmp/init.json" 2>"$tmp/init.err" || { fail "init: $(cat "$tmp/init.err")"; finish; }
ISSUER=$(json_field issuer < "$tmp/init.json")

# --- tokens ------------------------------------------------------------------------
TOKEN=$("$NOTARY" token add registrar 2>"$tmp/tok.err")
[[ "$TOKEN" =~ ^ntk_[0-9a-f]{64}$ ]] && ok "token add prints a token" || fail "token add: '$TOKEN' $(cat "$tmp/tok.err")"
grep -q "shown only this once" "$tmp/tok.err" && ok "token add says it is shown once" || fail "token add message"
OTHER=$("$NOTARY" token add other 2>/dev/null)
"$NOTARY" token add registrar >/dev/null 2>&1; [ $? -eq 2 ] && ok "token add refuses a taken name" || fail "token add duplicate"
"$NOTARY" token add 'bad name!' >/dev/null 2>&1; [ $? -eq 2 ] && ok "token add refuses a bad name" || fail "token add bad name"
"$NOTARY" token list | grep -q registrar && ok "token list shows names" || fail "token list"
! "$NOTARY" token list | grep -q "${TOKEN#ntk_}" && ok "token list shows no secret" || fail "token list leaks the token"
grep -qa "${TOKEN#ntk_}" "$NOTARY_DATA/notary.db" "$NOTARY_DATA/notary.db-wal" 2>/dev/null \
    && fail "the token is stored in clear" || ok "the token is not stored in clear"
TOK_SHA=$(printf '%s' "$TOKEN" | sha256sum | cut -c1-64)
python3 - "$NOTARY_DATA/notary.db" "$TOK_SHA" <<'EOF' && ok "the store keeps the token's SHA-256" || fail "token hash not stored"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
sys.exit(0 if db.execute("select count(*) from api_tokens where hex(token_hash) = upper(?)", (sys.argv[2],)).fetchone()[0] == 1 else 1)
EOF

# Server 1: nothing is closed on a timer, so "pending" can be observed.
start_serve "$tmp/serve1.log" --close-at none --batch-cap 0 --poll-ms 100 --max-body 20000 \
    --timeout 2 --access-log || finish
AUTH=(-H "Authorization: Bearer $TOKEN")
JSON=(-H 'Content-Type: application/json')

# --- refusals -------------------------------------------------------------------------
H1=$(h one)
req "no token" 401 unauthorized -X POST "${JSON[@]}" --data "{\"hash\":\"$H1\"}" "$URL/v1/hashes"
grep -qi '^WWW-Authenticate: Bearer' "$tmp/headers" && ok "401 names the Bearer scheme" || fail "no WWW-Authenticate"
req "wrong token" 401 invalid_token -X POST "${JSON[@]}" -H "Authorization: Bearer ntk_$(h wrong)" --data "{\"hash\":\"$H1\"}" "$URL/v1/hashes"
req "token with one digit changed" 401 invalid_token -X POST "${JSON[@]}" -H "Authorization: Bearer ${TOKEN%?}x" --data "{\"hash\":\"$H1\"}" "$URL/v1/hashes"
req "Basic scheme" 401 unauthorized -X POST "${JSON[@]}" -u "registrar:$TOKEN" --data "{\"hash\":\"$H1\"}" "$URL/v1/hashes"
req "revoke needs a token" 401 unauthorized -X POST "${JSON[@]}" --data "{\"hash\":\"$H1\"}" "$URL/v1/revocations"
req "credential needs a token" 401 unauthorized -X POST --data '{"a":1}' "$URL/v1/credentials"
req "malformed JSON" 400 invalid_json -X POST "${AUTH[@]}" "${JSON[@]}" --data '{"hashes": [' "$URL/v1/hashes"
grep -q "line 1" <<<"$BODY" && ok "the JSON error says where" || fail "JSON error position: $BODY"
req "duplicate keys" 400 invalid_json -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"$H1\",\"hash\":\"$H1\"}" "$URL/v1/hashes"
req "bad hex" 400 invalid_hash -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hashes\":[\"$H1\",\"zz$H1\"]}" "$URL/v1/hashes"
grep -q 'hashes\[1\]' <<<"$BODY" && ok "the hash error names the element" || fail "hash error: $BODY"
req "33-byte hash" 400 invalid_hash -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"${H1}00\"}" "$URL/v1/hashes"
req "number instead of hash" 400 invalid_hash -X POST "${AUTH[@]}" "${JSON[@]}" --data '{"hashes":[12]}' "$URL/v1/hashes"
req "unknown member" 400 invalid_request -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"$H1\",\"x\":1}" "$URL/v1/hashes"
req "empty list" 400 invalid_request -X POST "${AUTH[@]}" "${JSON[@]}" --data '{"hashes":[]}' "$URL/v1/hashes"
req "top-level array" 400 invalid_request -X POST "${AUTH[@]}" "${JSON[@]}" --data "[\"$H1\"]" "$URL/v1/hashes"
req "empty body" 400 invalid_request -X POST "${AUTH[@]}" "${JSON[@]}" "$URL/v1/hashes"
req "form media type" 415 unsupported_media_type -X POST "${AUTH[@]}" --data "{\"hash\":\"$H1\"}" "$URL/v1/hashes"
req "bad text line" 400 invalid_hash -X POST "${AUTH[@]}" -H 'Content-Type: text/plain' --data-binary $'\n'"$H1"$'\nnothex\n' "$URL/v1/hashes"
grep -q 'line 3' <<<"$BODY" && ok "the text error names the line" || fail "text error: $BODY"
python3 -c 'import sys; print("{\"hashes\": [" + ",".join(["\"%s\"" % sys.argv[1]] * 400) + "]}")' "$H1" > "$tmp/big.json"
req "oversized body (declared)" 413 body_too_large -X POST "${AUTH[@]}" "${JSON[@]}" --data-binary @"$tmp/big.json" "$URL/v1/hashes"
grep -q "limit of 20000" <<<"$BODY" && ok "413 names the limit" || fail "413 message: $BODY"
status=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST "${AUTH[@]}" "${JSON[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$tmp/big.json" "$URL/v1/hashes")
[ "$status" != 200 ] && ok "oversized chunked body refused (connection closed, $status)" || fail "chunked oversized body accepted"
req "oversized header" 431 - -H "X-Big: $(head -c 40000 /dev/zero | tr '\0' a)" "$URL/v1/health"
req "unknown route" 404 not_found "$URL/v1/nothing"
req "wrong method" 405 method_not_allowed -X DELETE "$URL/v1/hashes"
grep -qi '^Allow: POST' "$tmp/headers" && ok "405 lists the allowed method" || fail "405 Allow header"
req "GET on a POST route" 405 method_not_allowed "$URL/v1/hashes"
req "proof of a bad hash" 400 invalid_hash "$URL/v1/proofs/xyz"
req "proof of an unknown hash" 404 not_found "$URL/v1/proofs/$(h never)"
req "batch number not a number" 400 invalid_request "$URL/v1/batches/abc"
req "no such batch" 404 not_found "$URL/v1/batches/99"
req "bad limit" 400 invalid_request "$URL/v1/batches?limit=0"
req "revoke an unknown credential" 404 not_found -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"$(h never)\"}" "$URL/v1/revocations"
req "revoke with a bad reason" 400 invalid_request -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"$H1\",\"reason\":\"bored\"}" "$URL/v1/revocations"
req "credential with duplicate keys" 400 invalid_credential -X POST "${AUTH[@]}" --data-binary '{"a":1,"a":2}' "$URL/v1/credentials"
req "credential with a number a double cannot hold (issue 19)" 400 invalid_credential -X POST "${AUTH[@]}" --data-binary '{"studentId":12345678901234567}' "$URL/v1/credentials" &&
    expect_grep "the API names the member" 'member \\"studentId\\": 12345678901234567 cannot be represented exactly' "$BODY"
req "credential already carrying an embedded notary proof" 400 embedded_proof -X POST "${AUTH[@]}" --data-binary '{"a":1,"proof":[{"type":"DataIntegrityProof"},{"type":"CredentialNotaryProof"}]}' "$URL/v1/credentials" &&
    expect_grep "the API says what to submit" "as it was before" "$BODY"
# Strict requests: Host required on HTTP/1.1, no escaped NUL, one spelling of numbers.
req "HTTP/1.1 without Host" 400 invalid_request -H 'Host:' "$URL/v1/health"
req "HTTP/1.0 without Host is fine" 200 - --http1.0 -H 'Host:' "$URL/v1/health"
req "proof path with %00" 400 invalid_request "$URL/v1/proofs/$H1%00"
req "proof path with %00 inside" 400 invalid_request "$URL/v1/proofs/$H1%00zz"
req "query with %00" 400 invalid_request "$URL/v1/batches?limit=1%00"
req "proof of 63 hex digits" 400 invalid_hash "$URL/v1/proofs/${H1%?}"
req "batch number with a leading zero" 400 invalid_request "$URL/v1/batches/00"
req "batch number 0 spelled 000" 400 invalid_request "$URL/v1/batches/000"
req "from with a leading zero" 400 invalid_request "$URL/v1/batches?from=01"
# JSON nested past 64 levels: one answer on every JSON route.
deep=$(python3 -c 'print("{\"a\":" * 70 + "1" + "}" * 70)')
req "deep JSON: hashes" 400 json_too_deep -X POST "${AUTH[@]}" "${JSON[@]}" --data "$deep" "$URL/v1/hashes"
grep -q "limit of 64 levels" <<<"$BODY" && ok "json_too_deep names the limit" || fail "deep message: $BODY"
req "deep JSON: credentials" 400 json_too_deep -X POST "${AUTH[@]}" "${JSON[@]}" --data "$deep" "$URL/v1/credentials"
req "deep JSON: revocations" 400 json_too_deep -X POST "${AUTH[@]}" "${JSON[@]}" --data "$deep" "$URL/v1/revocations"
deep64=$(python3 -c 'print("[" * 64 + "]" * 64)')
req "64 levels are not too deep" 400 invalid_request -X POST "${AUTH[@]}" "${JSON[@]}" --data "$deep64" "$URL/v1/hashes"

# A slow client holding a half-sent request is cut off after --timeout (2 s).
python3 - "$(cat "$tmp/port")" <<'EOF' && ok "an idle half-sent request is closed by the server" || fail "slow client kept its connection"
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
s.settimeout(10)
t = time.time()
try:
    data = s.recv(100)
except socket.timeout:
    sys.exit(1)
sys.exit(0 if time.time() - t < 8 else 1)
EOF

# --- submit → pending → scheduled close → anchored → VALID -------------------------
H2=$(h two); H3=$(h three)
req "submit hashes" 200 - -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hashes\":[\"$H1\",\"$H2\",\"0x$H1\"]}" "$URL/v1/hashes"
[ "$(json_field new <<<"$BODY")" = 2 ] && [ "$(json_field existing <<<"$BODY")" = 1 ] && ok "2 new, the repeat is the existing record" || fail "submit result: $BODY"
[ "$(json_field items.2.leafIndex <<<"$BODY")" = "$(json_field items.0.leafIndex <<<"$BODY")" ] && ok "the repeat has the first's leaf" || fail "repeat leaf: $BODY"
BATCH=$(json_field items.0.batch <<<"$BODY")
req "submit text/plain" 200 - -X POST "${AUTH[@]}" -H 'Content-Type: text/plain' --data-binary $'# one per line\n'"$H3"$'\n\n' "$URL/v1/hashes"
printf '{"type": ["VerifiableCredential"], "credentialSubject": {"name": "Ada", "ects": 5}}' > "$tmp/cred.json"
req "submit a credential document" 200 - -X POST "${AUTH[@]}" "${JSON[@]}" --data-binary @"$tmp/cred.json" "$URL/v1/credentials"
[ "$(json_field items.0.hashing <<<"$BODY")" = jcs-sha256 ] && ok "the document was hashed with JCS" || fail "credential hashing: $BODY"
HC=$(json_field items.0.hash <<<"$BODY")
req "proof while the batch is open" 202 - "$URL/v1/proofs/$H1"
[ "$(json_field status <<<"$BODY")" = pending ] && [ "$(json_field batch <<<"$BODY")" = "$BATCH" ] && ok "202 names the batch it waits for" || fail "202 body: $BODY"
req "the other token works too" 200 - -X POST -H "Authorization: Bearer $OTHER" "${JSON[@]}" --data "{\"hash\":\"$(h four)\"}" "$URL/v1/hashes"
req "revoke" 201 - -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"$H2\",\"reason\":\"superseded\",\"note\":\"corrected\"}" "$URL/v1/revocations"
[ "$(json_field index <<<"$BODY")" = 0 ] && [ "$(json_field reason <<<"$BODY")" = superseded ] && ok "revocation appended at 0" || fail "revoke: $BODY"
req "revoke again is idempotent" 200 - -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"$H2\",\"reason\":3}" "$URL/v1/revocations"
[ "$(json_field existed <<<"$BODY")" = True ] && [ "$(json_field reason <<<"$BODY")" = superseded ] && ok "the existing entry is returned" || fail "revoke again: $BODY"
req "checkpoints before any" 200 - "$URL/v1/checkpoints"
req "health" 200 - "$URL/v1/health"
[ "$(json_field scheduler.anchoring <<<"$BODY")" = True ] && [ "$(json_field openBatch.size <<<"$BODY")" = 5 ] \
    && ok "health shows anchoring on and the open batch" || fail "health: $BODY"
stop_serve
[ "$SERVE_RC" = 0 ] && ok "SIGTERM: clean exit" || fail "exit status $SERVE_RC"
python3 - "$tmp/serve1.log" <<'EOF' && ok "request and revocation log lines name the client's address" || fail "no client address in the log"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
reqs = [l for l in lines if l["event"] == "http_request"]
revs = [l for l in lines if l["event"] == "revoke_requested"]
assert reqs and all(l.get("address") == "127.0.0.1" for l in reqs), reqs[:2]
assert revs and all(l.get("address") == "127.0.0.1" for l in revs), revs[:2]
EOF

# --- slow clients with the default limits: a slowloris from 127.0.0.2 -------------
# ~1,100 connections from one address, each sending its request head one byte
# every 2 s (well inside the 15 s idle timeout): the per-address limit (64 by
# default) refuses most of them, the head deadline (10 s by default) cuts the
# rest, and a client from 127.0.0.1 is served all the while. Bounded: 1,100
# sockets, at most 18 s, loopback only.
start_serve "$tmp/serve-slow.log" --no-scheduler || finish
python3 - "$(cat "$tmp/port")" > "$tmp/slow.out" 2>&1 <<'EOF'
import errno, selectors, socket, sys, threading, time
port = int(sys.argv[1]); N = 1100; HEAD_S = 10; LIMIT_S = 18
sel = selectors.DefaultSelector()
t0 = time.monotonic()
opened, closed, pending = {}, {}, {}
for i in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.2", 0))
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    opened[s] = time.monotonic()
    pending[s] = b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: "
    sel.register(s, selectors.EVENT_READ)
served = []
def legit():
    for k in range(5):
        time.sleep(max(0, t0 + 1.5 + 2 * k - time.monotonic()))
        t = time.monotonic(); ok = False
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=2)
            c.settimeout(max(0.05, 2 - (time.monotonic() - t)))
            c.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            ok = c.recv(64).startswith(b"HTTP/1.1 200") and time.monotonic() - t < 2
            c.close()
        except OSError:
            pass
        served.append((ok, round(time.monotonic() - t, 3)))
th = threading.Thread(target=legit); th.start()
last_drip = 0
while opened.keys() - closed.keys() and time.monotonic() - t0 < LIMIT_S:
    for key, _ in sel.select(timeout=0.2):
        s = key.fileobj
        try:
            gone = s.recv(4096) == b""
        except BlockingIOError:
            gone = False
        except OSError:
            gone = True
        if gone:
            closed[s] = time.monotonic(); sel.unregister(s)
    if time.monotonic() - last_drip >= 2:  # one more head byte on every open connection
        last_drip = time.monotonic()
        for s in list(opened):
            if s in closed: continue
            data = pending.get(s) or b"a"
            try:
                s.send(data[:1] if s not in pending else data); pending.pop(s, None)
            except BlockingIOError:
                pass
            except OSError:
                closed[s] = time.monotonic(); sel.unregister(s)
th.join()
lifetimes = [closed[s] - opened[s] for s in closed]
held = [l for l in lifetimes if l > 3]
print("served", served)
print("connections", N, "closed", len(closed), "held >3 s", len(held),
      "held min/max", round(min(held), 2) if held else None, round(max(held), 2) if held else None)
fails = []
if sum(ok for ok, _ in served) != 5: fails.append("legitimate client not served 5 of 5 within 2 s")
if len(closed) != N: fails.append("%d attacker connections still open after %d s" % (N - len(closed), LIMIT_S))
if not 1 <= len(held) <= 100: fails.append("%d connections held: the per-address limit did not bound them" % len(held))
if held and not (HEAD_S - 1 <= min(held) and max(held) <= HEAD_S + 3):
    fails.append("held connections were not cut at the %d s head deadline" % HEAD_S)
print("\n".join(fails) or "ok")
sys.exit(1 if fails else 0)
EOF
rc=$?
"${CURL[@]}" "$URL/metrics" > "$tmp/slow-metrics.txt"
sed 's/^/  # /' "$tmp/slow.out"
[ $rc -eq 0 ] && ok "slowloris of 1,100 connections from 127.0.0.2: 5 of 5 health checks served, the per-address limit and the 10 s head deadline closed every attacker connection" \
    || fail "slowloris: $(tail -n 3 "$tmp/slow.out")"
stop_serve
python3 - "$tmp/slow-metrics.txt" <<'EOF' && ok "metrics count the refused and cut connections by reason" || fail "connection metrics: $(grep dropped "$tmp/slow-metrics.txt")"
import re, sys
m = dict(re.findall(r'notary_http_connections_dropped_total\{reason="(\w+)"\} (\d+)', open(sys.argv[1]).read()))
sys.exit(0 if int(m.get("per_address", 0)) >= 900 and int(m.get("head_timeout", 0)) >= 1 else 1)
EOF
[ "$SERVE_RC" = 0 ] && ok "stops cleanly after the slowloris" || fail "exit status $SERVE_RC after the slowloris: $(tail -n 5 "$tmp/serve-slow.log")"
python3 - "$tmp/serve-slow.log" <<'EOF' && ok "refused and cut connections are logged as summary lines, not one line per connection" || fail "slowloris log: $(tail -n 3 "$tmp/serve-slow.log")"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
summ = [l for l in lines if l["event"] == "connections_limited"]
assert 1 <= len(summ) <= 4 and len(lines) <= 20, (len(summ), len(lines))
assert sum(l["refused_per_address"] for l in summ) >= 900, summ
assert sum(l["head_timeouts"] for l in summ) >= 1, summ
assert all(l["last_refused_address"] in ("127.0.0.2", "-") for l in summ), summ
EOF

# Server 2: closes every 2 s (and cuts a revocation checkpoint), anchors.
start_serve "$tmp/serve1b.log" --close-every 2 --close-at none --poll-ms 100 || finish

anchored=
for _ in $(seq 1 100); do
    st=$("${CURL[@]}" -o "$tmp/b1.json" -D "$tmp/h1" -w '%{http_code}' "$URL/v1/proofs/$H1")
    if [ "$st" = 200 ] && grep -qi '^Notary-Anchored: true' "$tmp/h1"; then anchored=1; break; fi
    sleep 0.2
done
[ -n "$anchored" ] && ok "the scheduler closed and anchored the batch; the bundle says anchored" || fail "not anchored in time: $st $(cat "$tmp/b1.json" | head -c 300)"
# The revocation checkpoint is anchored at the same interval: wait for it, so
# the verifier's revocation check has a checkpoint to hold the log against.
cp_done=
for _ in $(seq 1 100); do
    "${CURL[@]}" "$URL/v1/checkpoints" > "$tmp/cps.json"
    [ "$(json_field checkpoints.0.state < "$tmp/cps.json" 2>/dev/null)" = anchored ] && { cp_done=1; break; }
    sleep 0.2
done
[ -n "$cp_done" ] && ok "the scheduler cut and anchored a revocation checkpoint" || fail "no anchored checkpoint: $(cat "$tmp/cps.json")"
[ "$(json_field checkpoints.0.size < "$tmp/cps.json")" = 1 ] && ok "the checkpoint covers the one revocation" || fail "checkpoint size"
REVS="$URL/v1/revocations"
"$VERIFIER" verify --hash "$H1" --proof "$tmp/b1.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" --revocations "$REVS" > "$tmp/v1.out" 2>&1 \
    && ok "bundle fetched over HTTP verifies VALID on the ledger (revocation log from the API)" || fail "verifier: $(tail -n 5 "$tmp/v1.out")"
"${CURL[@]}" -o "$tmp/bc.json" "$URL/v1/proofs/$HC"
"$VERIFIER" verify "$tmp/cred.json" --proof "$tmp/bc.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" --revocations "$REVS" > "$tmp/vc.out" 2>&1 \
    && ok "the credential document submitted over HTTP verifies VALID" || fail "verifier (document): $(tail -n 5 "$tmp/vc.out")"
"${CURL[@]}" -o "$tmp/b2.json" "$URL/v1/proofs/$H2"
"$VERIFIER" verify --hash "$H2" --proof "$tmp/b2.json" --rpc "$LEDGER_URL" --issuer "$ISSUER" --revocations "$REVS" > "$tmp/v2.out" 2>&1
[ $? -eq 4 ] && ok "the credential revoked over HTTP is REVOKED" || fail "revoked credential: $(tail -n 3 "$tmp/v2.out")"
cp "$tmp/b2.json" "$tmp/b2-tampered.json"; sed -i 's/"leafIndex": 1/"leafIndex": 0/' "$tmp/b2-tampered.json"
"$VERIFIER" verify --hash "$H2" --proof "$tmp/b2-tampered.json" --rpc "$LEDGER_URL" >/dev/null 2>&1
[ $? -eq 1 ] && ok "a tampered bundle is INVALID" || fail "tampered bundle not INVALID"
"$NOTARY" proof "$H1" > "$tmp/b1-cli.json" 2>/dev/null
cmp -s "$tmp/b1.json" "$tmp/b1-cli.json" && ok "the HTTP bundle is byte-identical to the CLI's" || fail "HTTP and CLI bundles differ"

req "batch list" 200 - "$URL/v1/batches"
[ "$(json_field batches.0.state <<<"$BODY")" = anchored ] && ok "batch 0 listed as anchored" || fail "batches: $BODY"
req "batch detail" 200 - "$URL/v1/batches/$BATCH"
[ "$(json_field root <<<"$BODY")" = "$(json_field batch.root < "$tmp/b1.json")" ] && ok "batch root matches the bundle" || fail "batch detail: $BODY"

# --- revocations ------------------------------------------------------------------------
req "revocation log" 200 - "$URL/v1/revocations"
grep -q "$H2" <<<"$BODY" && ok "the log lists the revoked hash" || fail "log: $(head -c 300 <<<"$BODY")"
req "revocation log with its anchored checkpoint" 200 - "$URL/v1/revocations"
python3 -c 'import json,sys; d=json.load(sys.stdin); c=d["checkpoints"]; sys.exit(0 if len(c)==1 and c[0]["size"]==1 else 1)' <<<"$BODY" \
    && ok "the exported log lists the anchored checkpoint" || fail "export checkpoints: $(head -c 400 <<<"$BODY")"

# --- metrics, logs --------------------------------------------------------------------------
req "metrics" 200 - "$URL/metrics"
for m in notary_submitted_hashes_total notary_batch_size_bucket notary_anchor_latency_seconds_count \
         'notary_anchor_failures_total{reason="network"}' 'notary_http_requests_total{route="GET /v1/proofs/{hash}",status="200"}'; do
    grep -qF "$m" <<<"$BODY" && ok "metric $m" || fail "metric $m missing"
done
[ "$(grep -F 'notary_batches_anchored_total' <<<"$BODY" | grep -v '^#' | awk '{print $2}')" -ge 1 ] \
    && ok "anchored batches counted" || fail "anchored count"
stop_serve
[ "$SERVE_RC" = 0 ] && ok "SIGTERM: clean exit after anchoring" || fail "exit status $SERVE_RC"
cat "$tmp/serve1.log" "$tmp/serve1b.log" > "$tmp/serve-all.log"
python3 - "$tmp/serve-all.log" "$TOKEN" "$OTHER" <<'EOF' && ok "every log line is JSON with time, level, event; no token in the log" || fail "log lines: $(tail -n 3 "$tmp/serve1.log")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert lines, "empty log"
events = set()
for l in lines:
    o = json.loads(l)
    assert {"time", "level", "event"} <= set(o), l
    events.add(o["event"])
    assert sys.argv[2] not in l and sys.argv[3] not in l, "token in log"
assert {"listening", "batch_closed", "batch_anchored", "stopping", "stopped"} <= events, events
EOF

# --- a batch larger than the proof cache: proofs from its stored subtree roots ----------------
start_serve "$tmp/serve-nocache.log" --no-scheduler --cache-leaves 1 || finish
"${CURL[@]}" -o "$tmp/b1-fast.json" "$URL/v1/proofs/$H1"
"${CURL[@]}" -o "$tmp/b2-fast.json" "$URL/v1/proofs/$H2"
"$NOTARY" proof "$H2" > "$tmp/b2-cli.json" 2>/dev/null
cmp -s "$tmp/b1-fast.json" "$tmp/b1-cli.json" && cmp -s "$tmp/b2-fast.json" "$tmp/b2-cli.json" \
    && ok "uncached proofs (--cache-leaves 1) are byte-identical to the CLI's" || fail "uncached HTTP bundle differs: $(head -c 300 "$tmp/b1-fast.json")"
stop_serve
[ "$SERVE_RC" = 0 ] && ok "stops cleanly after the uncached proofs" || fail "exit status $SERVE_RC (uncached proofs)"

# --- SIGTERM during a burst: nothing acknowledged is lost ------------------------------------
start_serve "$tmp/serve2.log" --close-at none --batch-cap 0 --no-anchor || finish
workers=()
for w in 1 2 3 4 5 6; do
    (
        for i in $(seq 1 400); do
            hh=$(printf 'burst-%s-%s' "$w" "$i" | sha256sum | cut -c1-64)
            st=$(curl -s --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' -X POST "${AUTH[@]}" "${JSON[@]}" \
                --data "{\"hash\":\"$hh\"}" "$URL/v1/hashes")
            [ "$st" = 200 ] && echo "$hh"
            [ "$st" = 000 ] && break # the server is gone
        done > "$tmp/acked.$w"
    ) &
    workers+=($!)
done
sleep 1.5
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"; SERVE_RC=$?; SERVE_PID=
wait "${workers[@]}"
cat "$tmp"/acked.* > "$tmp/acked"
n_acked=$(wc -l < "$tmp/acked")
[ "$SERVE_RC" = 0 ] && ok "SIGTERM during a burst: clean exit" || fail "burst exit status $SERVE_RC"
[ "$n_acked" -gt 10 ] && ok "$n_acked submissions acknowledged before the stop" || fail "too few acknowledged: $n_acked"
python3 - "$NOTARY_DATA/notary.db" "$tmp/acked" <<'EOF' && ok "every acknowledged hash is in the store" || fail "acknowledged hashes lost"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
have = set(r[0].hex() for r in db.execute("select hash from credentials"))
acked = [l.strip() for l in open(sys.argv[2]) if l.strip()]
lost = [a for a in acked if a not in have]
print(f"  {len(acked)} acknowledged, {len(lost)} missing", file=sys.stderr)
sys.exit(1 if lost else 0)
EOF
grep -q '"event":"stopped"' "$tmp/serve2.log" && ok "the log ends with stopped" || fail "no stopped event"

# --- restart picks up a batch closed while the server was down ------------------------------
"$NOTARY" close --json > "$tmp/close.json" 2>/dev/null || fail "close the burst batch"
SEQ=$(json_field seq < "$tmp/close.json")
start_serve "$tmp/serve3.log" --close-at none --poll-ms 100 || finish
done_=
for _ in $(seq 1 100); do
    "${CURL[@]}" "$URL/v1/batches/$SEQ" > "$tmp/b.json"
    [ "$(json_field state < "$tmp/b.json" 2>/dev/null)" = anchored ] && { done_=1; break; }
    sleep 0.2
done
[ -n "$done_" ] && ok "restart: the pending batch $SEQ was anchored" || fail "restart: batch $SEQ not anchored: $(cat "$tmp/b.json")"
grep -q '"event":"anchoring_resumed"' "$tmp/serve3.log" && ok "restart: logged anchoring_resumed" || fail "no anchoring_resumed"

# --- /v1/health reads the open batch's size from the store ----------------------------------
# A `notary close` from another process empties the open batch at once: health
# must not show the scheduler's last look (taken once a second, or before an
# anchoring run). Five rounds, each checked right after the close.
stale=
for i in 1 2 3 4 5; do
    "${CURL[@]}" -o /dev/null -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hashes\":[\"$(h "stale-$i-a")\",\"$(h "stale-$i-b")\"]}" "$URL/v1/hashes"
    "$NOTARY" close >/dev/null 2>&1 || fail "close round $i"
    "${CURL[@]}" "$URL/v1/health" > "$tmp/health-close.json"
    [ "$(json_field scheduler.openBatchSize < "$tmp/health-close.json")" = 0 ] || stale="round $i: $(cat "$tmp/health-close.json")"
done
[ -z "$stale" ] && ok "health's openBatchSize is 0 right after an external close (5 of 5)" || fail "openBatchSize stale after an external close: $stale"


"$NOTARY" token remove other >/dev/null
kill -HUP "$SERVE_PID"; sleep 0.5
req "removed token refused after SIGHUP" 401 invalid_token -X POST -H "Authorization: Bearer $OTHER" "${JSON[@]}" --data "{\"hash\":\"$(h five)\"}" "$URL/v1/hashes"

# --- the ledger goes away: the API answers, the scheduler backs off ---------------------------
req "submit before the ledger stops" 200 - -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"$(h six)\"}" "$URL/v1/hashes"
"$NOTARY" close >/dev/null 2>&1
LEDGER_HOSTPORT=${LEDGER_URL#*://}; LEDGER_HOSTPORT=${LEDGER_HOSTPORT%%/*}
ledger_stop
fails=0
for _ in $(seq 1 150); do
    "${CURL[@]}" "$URL/v1/health" > "$tmp/health.json"
    fails=$(json_field scheduler.consecutiveFailures < "$tmp/health.json" 2>/dev/null || echo 0)
    [ "${fails:-0}" -ge 1 ] && break
    sleep 0.2
done
[ "${fails:-0}" -ge 1 ] && ok "ledger down: health reports anchoring failures" || fail "no failure reported: $(cat "$tmp/health.json")"
grep -q lastError "$tmp/health.json" && ok "ledger down: health says why" || fail "no lastError"
python3 - "$tmp/health.json" "${LEDGER_HOSTPORT%:*}" "${LEDGER_HOSTPORT##*:}" <<'EOF' && ok "ledger down: health's lastError names neither the ledger's host nor its port" || fail "lastError leaks the ledger endpoint: $(cat "$tmp/health.json")"
import json, sys
err = json.load(open(sys.argv[1]))["scheduler"]["lastError"]
print("  # lastError:", err)
sys.exit(0 if err and sys.argv[2] not in err and sys.argv[3] not in err and "://" not in err else 1)
EOF
req "ledger down: proofs still served" 200 - "$URL/v1/proofs/$H1"
req "ledger down: submissions still accepted" 200 - -X POST "${AUTH[@]}" "${JSON[@]}" --data "{\"hash\":\"$(h seven)\"}" "$URL/v1/hashes"
"${CURL[@]}" "$URL/metrics" > "$tmp/metrics.txt"
grep -qE 'notary_anchor_failures_total\{reason="(network|other)"\} [1-9]' "$tmp/metrics.txt" \
    && ok "ledger down: failures counted" || fail "failures not counted: $(grep anchor_failures "$tmp/metrics.txt")"
stop_serve
[ "$SERVE_RC" = 0 ] && ok "stops cleanly with the ledger down" || fail "exit status $SERVE_RC with the ledger down"
# --- --batch-cap is a bound: no batch ever holds more -----------------------------------------
# 8 clients submit 640 hashes one per request, then 3,000 in requests of 1..61
# (some repeated); with --batch-cap 300 every batch holds at most 300 (single
# hashes fill it exactly; a request that would not fit starts the next batch,
# since a request is stored whole), each frozen batch gets its root, nothing
# is lost; a request of more than 300 hashes is refused whole.
"$NOTARY" close >/dev/null 2>&1
FIRST_SEQ=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from batches where kind=0").fetchone()[0])' "$NOTARY_DATA/notary.db")
start_serve "$tmp/serve-cap.log" --close-at none --batch-cap 300 --no-anchor || finish
python3 - "$URL" "$TOKEN" "$tmp/cap-acked" > "$tmp/cap.out" 2>&1 <<'EOF'
import hashlib, json, random, sys, threading, urllib.request
url, token = sys.argv[1], sys.argv[2]
def post(hashes):
    req = urllib.request.Request(url + "/v1/hashes", data=json.dumps({"hashes": hashes}).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)
acked, errors = set(), []
def single(w):  # phase 1: one hash per request, as an issuer's system would send them
    for i in range(80):
        h = hashlib.sha256(b"one-%d-%d" % (w, i)).hexdigest()
        st, body = post([h])
        if st == 200: acked.add(h)
        else: errors.append((st, body))
ts = [threading.Thread(target=single, args=(w,)) for w in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
def worker(w):  # phase 2: requests of 1..61 hashes
    rnd = random.Random(w); n = 0
    while n < 375:
        k = rnd.randint(1, 60)
        hs = [hashlib.sha256(b"cap-%d-%d" % (w, n + i)).hexdigest() for i in range(k)]
        if n and rnd.random() < 0.2:  # a repeat of an earlier hash
            hs.append(hashlib.sha256(b"cap-%d-0" % w).hexdigest())
        st, body = post(hs)
        if st == 200: acked.update(hs)
        else: errors.append((st, body))
        n += k
ts = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
big = [hashlib.sha256(b"big-%d" % i).hexdigest() for i in range(301)]
st, body = post(big)
open(sys.argv[3], "w").write("\n".join(sorted(acked)) + "\n")
print("oversized request:", st, body.get("error"), "; acked", len(acked), "errors", errors[:3])
sys.exit(0 if not errors and len(acked) >= 3640 and st == 413 and body.get("error") == "body_too_large" else 1)
EOF
[ $? -eq 0 ] && ok "--batch-cap 300: 8 concurrent clients acknowledged; 301 hashes in one request refused (413)" || fail "cap submissions: $(tail -n 3 "$tmp/cap.out")"
sleep 1.5 # the scheduler roots a frozen batch as soon as the writer tells it; allow a tick
"${CURL[@]}" "$URL/v1/batches?from=$FIRST_SEQ&limit=1000" > "$tmp/cap-batches.json"
stop_serve
[ "$SERVE_RC" = 0 ] && ok "stops cleanly after the capped burst" || fail "exit status $SERVE_RC after the capped burst: $(tail -n 5 "$tmp/serve-cap.log")"
python3 - "$tmp/cap-batches.json" "$NOTARY_DATA/notary.db" "$tmp/cap-acked" <<'EOF' && ok "--batch-cap 300: every batch holds at most 300 (single-hash requests exactly 300), frozen ones have roots, every acknowledged hash stored" || fail "cap: $(head -c 600 "$tmp/cap-batches.json")"
import json, sqlite3, sys
bs = json.load(open(sys.argv[1]))["batches"]
sizes = [b["size"] for b in bs]
print("  # batch sizes:", sizes)
assert len(bs) >= 12 and all(s <= 300 for s in sizes), sizes
assert sizes[:2] == [300, 300], "single-hash requests fill a batch to exactly the cap: %s" % sizes
closed = [b for b in bs if b["state"] == "closed"]
assert all(b["size"] > 300 - 62 and "root" in b for b in closed), closed
have = set(r[0].hex() for r in sqlite3.connect(sys.argv[2]).execute("select hash from credentials"))
assert all(l.strip() in have for l in open(sys.argv[3]) if l.strip())
EOF

finish
