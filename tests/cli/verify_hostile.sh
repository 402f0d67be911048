#!/usr/bin/env bash
# tests/cli/verify_hostile.sh — hostile-user findings of issues 19 and 14 against
# the verifier and `notary submit`, on a real local ledger:
#   - issue 14: a forger runs his own `notary init` against the real issuer's
#     registry and anchors a forged diploma: without --issuer it is UNKNOWN
#     ("issuer not established", exit 3), never VALID; with the real issuer
#     pinned it is INVALID;
#   - an EMPTY trusted-issuers file (empty, comments only, /dev/null) must be
#     refused (exit 2 "no issuers in FILE"), never VALID; a bad line is named
#     by its real line number (blank and comment lines counted);
#   - numbers beyond double precision: `notary submit --credential` and
#     `verifier verify` refuse a credential whose numbers RFC 8785 would round
#     (exit 2, naming the member); lossless spellings are accepted;
#   - `verify - --proof -` is refused (stdin cannot serve both);
#   - a FIFO given as credential or bundle is refused, never blocks;
#   - an online run never prints the offline-mode note, and --timeout bounds
#     the whole verification against an endpoint that never answers.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin verify_hostile
hang_pid=
notary_on_exit '[ -n "$hang_pid" ] && kill "$hang_pid" 2>/dev/null'
export NOTARY_DATA=$tmp/forger NOTARY_PASSWORD="verify hostile test"

notary_ledger_start

# --- the attacker of issue 14: his own `notary init` against the REAL issuer's registry --
notary_key_file "$tmp/real.hex" "$DEV_KEY_0"
notary_init_evm "$tmp/real" "$tmp/real.hex" --json > "$tmp/real-init.json" 2>"$tmp/err" ||
    { fail "real issuer init: $(cat "$tmp/err")"; finish; }
REGISTRY=$(json_field contract < "$tmp/real-init.json")
notary_key_file "$tmp/forger.hex" "$DEV_KEY_1"
"$NOTARY" init --rpc "$LEDGER_URL" --contract "$REGISTRY" --import-key "$tmp/forger.hex" --kdf-light \
    --json > "$tmp/init.json" 2>"$tmp/err" || { fail "forger init on the same registry: $(cat "$tmp/err")"; finish; }
printf '{"name":"Forged Diploma","grade":1.7,"ects":30}\n' > "$tmp/forged.json"
"$NOTARY" submit --credential "$tmp/forged.json" >/dev/null 2>"$tmp/err" &&
    "$NOTARY" close >/dev/null && "$NOTARY" anchor --poll-ms 100 >/dev/null 2>&1 &&
    "$NOTARY" proof --credential "$tmp/forged.json" > "$tmp/forged.bundle.json" ||
    { fail "forger anchors a batch: $(cat "$tmp/err")"; finish; }
check "the forged bundle names the real issuer's registry" \
    test "$(json_field anchor.contract < "$tmp/forged.bundle.json" | tr A-F a-f)" = "$(tr A-F a-f <<<"$REGISTRY")"
vfy() { "$VERIFIER" verify "$tmp/forged.json" --proof "$tmp/forged.bundle.json" --rpc "$LEDGER_URL" "$@"; }

# no --issuer: the forgery must not be VALID (it was VALID, exit 0, before issue 14)
expect_exit 3 "no --issuer: the forged diploma is UNKNOWN, not VALID" vfy
has "says the issuer is not established and how to pin it" \
    "issuer not established: the bundle's root was anchored by $(tr A-F a-f <<<"$DEV_ADDR_1") but nothing names who that is; give --issuer ADDRESS|DID or --trusted-issuers FILE"
if grep -q "Status: VALID" <<<"$LAST_OUT"; then fail "no --issuer: printed VALID"; else ok "no --issuer: no VALID printed"; fi
expect_exit 3 "no --issuer, --json: UNKNOWN" vfy --json
check "--json: status UNKNOWN, issuer check unknown, no issuerBasis" python3 -c '
import json, sys
d = json.loads(sys.argv[1])
c = [x for x in d["checks"] if x["name"] == "issuer"][0]
sys.exit(0 if d["status"] == "UNKNOWN" and c["outcome"] == "unknown" and d["issuerBasis"] is None else 1)' "$LAST_OUT"
expect_exit 1 "the real issuer pinned: the forged diploma is INVALID" vfy --issuer "$DEV_ADDR_0"
has "says the anchoring address is not the trusted issuer" "not among the trusted issuers"
expect_exit 0 "the forger's own address pinned: VALID (the pin is the verifier's choice)" vfy --issuer "$DEV_ADDR_1"
has "the verdict says how the issuer was established" "issued by $(tr A-F a-f <<<"$DEV_ADDR_1") (pinned address)"

# --- item 1: an empty trusted-issuers file never widens trust -----------------------
: > "$tmp/empty.txt"
printf '# the issuers we trust\n\n   \n# (download truncated)\n' > "$tmp/comments.txt"
for f in "$tmp/empty.txt" "$tmp/comments.txt" /dev/null; do
    expect_exit 2 "empty trust list $(basename "$f"): refused, not VALID" vfy --trusted-issuers "$f"
    has "empty trust list $(basename "$f"): says no issuers in the file" "no issuers in $f"
    if grep -q "VALID" <<<"$LAST_OUT"; then fail "empty trust list $(basename "$f"): printed a status"; fi
done
printf '%s\n' "$DEV_ADDR_0" > "$tmp/trusted.txt"
expect_exit 1 "a trust list without the forger: INVALID" vfy --trusted-issuers "$tmp/trusted.txt"
printf '%s\n' "$DEV_ADDR_1" > "$tmp/forger.txt"
expect_exit 0 "a trust list with the forger's address: VALID" vfy --trusted-issuers "$tmp/forger.txt"
printf '# issuers\n\n%s\n\n# below: a broken line\n0xnot-an-address\n' "$DEV_ADDR_0" > "$tmp/bad.txt"
expect_exit 2 "a malformed trust list is refused" vfy --trusted-issuers "$tmp/bad.txt"
has "the error names the real line number (6), blank and comment lines counted" "bad.txt: line 6"

# --- item 2: numbers a double cannot hold are refused, never hashed alike -----------
printf '{"name":"Forged Diploma","grade":1.70000000000000001,"ects":30}\n' > "$tmp/lossy.json"
expect_exit 2 "verify: a grade of 1.70000000000000001 is refused, not VALID for 1.7's bundle" \
    "$VERIFIER" verify "$tmp/lossy.json" --proof "$tmp/forged.bundle.json" --rpc "$LEDGER_URL"
has "verify: the message names the member and the rounding" \
    'member "grade": 1.70000000000000001 cannot be represented exactly as an IEEE-754 double (RFC 8785 hashes it as 1.7)'
printf '{"studentId":12345678901234567,"grade":1.7}' > "$tmp/id.json"
expect_exit 2 "notary submit --credential refuses a 17-digit studentId" "$NOTARY" submit --credential "$tmp/id.json"
has "submit: the message names the member and says to use strings" \
    'member "studentId": 12345678901234567 cannot be represented exactly.*hashes it as 12345678901234568.*put such identifiers in strings'
printf '{"name":"Forged Diploma","grade":1.70,"ects":3e1}' > "$tmp/lossless.json"
expect_exit 0 "lossless spellings (1.70, 3e1) still verify VALID" \
    "$VERIFIER" verify "$tmp/lossless.json" --proof "$tmp/forged.bundle.json" --rpc "$LEDGER_URL" \
    --issuer "$DEV_ADDR_1"

# --- a FIFO (or directory) is refused, never waited on; an empty credential too -------
mkfifo "$tmp/fifo"
expect_exit 2 "verify: a FIFO as credential is refused at once" \
    timeout 10 "$VERIFIER" verify "$tmp/fifo" --proof "$tmp/forged.bundle.json" --offline
has "verify: the message says it is a FIFO and to use '-'" "fifo is a FIFO (named pipe), not a regular file.*give '-'"
expect_exit 2 "verify: a FIFO as bundle is refused at once" \
    timeout 10 "$VERIFIER" verify "$tmp/forged.json" --proof "$tmp/fifo" --offline
has "verify: the bundle FIFO is named" "fifo is a FIFO (named pipe)"
expect_exit 2 "verify: a directory as bundle is refused" \
    timeout 10 "$VERIFIER" verify "$tmp/forged.json" --proof "$tmp" --offline
has "verify: the directory is named" "is a directory, not a regular file"
expect_exit 2 "notary submit --credential FIFO is refused at once" \
    timeout 10 "$NOTARY" submit --credential "$tmp/fifo"
has "submit: the FIFO is named" "fifo is a FIFO (named pipe)"
expect_exit 0 "a credential piped to '-' is still read" \
    bash -c '"$1" verify - --proof "$2" --offline < "$3"' _ "$VERIFIER" "$tmp/forged.bundle.json" "$tmp/forged.json"
: > "$tmp/empty.json"
expect_exit 2 "notary submit --credential of an empty file is refused (as the API refuses an empty body)" \
    "$NOTARY" submit --credential "$tmp/empty.json"
has "submit: says the credential is empty" "empty credential (0 bytes)"
expect_exit 2 "notary submit --credential /dev/null is refused as empty" "$NOTARY" submit --credential /dev/null

# --- stdin can serve only one input -----------------------------------------------
expect_exit 2 "verify - --proof -: refused" \
    bash -c '"$1" verify - --proof - --offline < "$2"' _ "$VERIFIER" "$tmp/forged.json"
has "verify - --proof -: says stdin cannot serve both" "CREDENTIAL and --proof are both '-': standard input cannot serve both"
expect_exit 2 "--proof - --revocations -: refused" \
    bash -c '"$1" verify --hash "$2" --proof - --rpc "$3" --revocations - < "$4"' _ "$VERIFIER" \
    "$(printf 00 | sha256sum | cut -c1-64)" "$LEDGER_URL" "$tmp/forged.bundle.json"
has "--proof - --revocations -: names both" "\-\-proof and \-\-revocations are both '-'"

# --- an online run never prints the offline-mode note ------------------------------
expect_exit 3 "online, under-confirmed: UNKNOWN" vfy --confirmations 1000
if grep -q "offline mode" <<<"$LAST_OUT$LAST_ERR"; then fail "online run printed the offline-mode note"; else
    ok "online run (UNKNOWN) does not print the offline-mode note"; fi
printf '{"name":"Pending Diploma"}' > "$tmp/pending.json"
"$NOTARY" submit --credential "$tmp/pending.json" >/dev/null 2>&1 && "$NOTARY" close >/dev/null 2>&1
"$NOTARY" proof --credential "$tmp/pending.json" > "$tmp/pending.bundle.json" 2>/dev/null
expect_exit 3 "online, pending bundle: UNKNOWN" \
    "$VERIFIER" verify "$tmp/pending.json" --proof "$tmp/pending.bundle.json" --rpc "$LEDGER_URL"
if grep -q "offline mode" <<<"$LAST_OUT$LAST_ERR"; then fail "online pending run printed the offline-mode note"; else
    ok "online run of a pending bundle does not print the offline-mode note"; fi
expect_exit 0 "offline run still prints the note" "$VERIFIER" verify "$tmp/forged.json" --proof "$tmp/forged.bundle.json" --offline
has "offline run: the note" "the ledger was NOT checked (offline mode)"

# --- --timeout bounds the whole verification against a ledger that never answers ---
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(64); s.settimeout(1)
print(s.getsockname()[1], flush=True)
conns, end = [], time.time() + 90
while time.time() < end:
    try: conns.append(s.accept()[0])
    except socket.timeout: pass
' > "$tmp/hang.port" &
hang_pid=$!
for _ in $(seq 1 50); do [ -s "$tmp/hang.port" ] && break; sleep 0.1; done
hang_url="http://127.0.0.1:$(cat "$tmp/hang.port")"
for t in 3 5; do
    start=$(date +%s.%N)
    expect_exit 3 "--timeout $t against a ledger that accepts and never answers: UNKNOWN" \
        timeout 60 "$VERIFIER" verify "$tmp/forged.json" --proof "$tmp/forged.bundle.json" --rpc "$hang_url" --timeout "$t"
    elapsed=$(python3 -c "import sys; print(round($(date +%s.%N) - $start, 1))")
    if python3 -c "import sys; sys.exit(0 if $elapsed < $t + 2 else 1)"; then
        ok "--timeout $t: the whole run took ${elapsed}s (< $((t + 2)) s)"
    else fail "--timeout $t: the whole run took ${elapsed}s, not < $((t + 2)) s"; fi
    has "--timeout $t: says the ledger could not be consulted" "could not consult the ledger"
    if grep -q "offline mode" <<<"$LAST_OUT$LAST_ERR"; then fail "--timeout $t: printed the offline-mode note"; fi
done
kill "$hang_pid" 2>/dev/null; wait "$hang_pid" 2>/dev/null; hang_pid=

finish
