#!/usr/bin/env bash
# tests/cli/verify_batch.sh — `verifier verify --batch` (issue 16 item 1) and
# the verifier's lazy libcurl (item 6), against a local ganache started here:
#   - a mixed batch (valid, embedded, given hash, tampered credential,
#     pending, revoked, a transaction hash of another batch, a transaction
#     that is not on this ledger, a missing bundle, a malformed line): every
#     entry's verdict (status, checks, error) is the one `verifier verify
#     --json` gives for it alone — with 1 worker and with 8;
#   - output in input order, one JSON line each, naming its input;
#   - ledger answers shared: far fewer questions than entries × calls;
#   - exit status = the worst (INVALID 1 > ERROR 2 > UNKNOWN 3 > REVOKED 4 >
#     VALID 0), an empty batch is 2, a directory works, usage errors are 2;
#   - a did:web issuer's document and a --revocations copy given by URL are
#     fetched once per run, not once per bundle (the test server's request
#     log counts them), with every verdict still the one verify gives alone;
#   - an offline verify loads no libcurl; an online one does.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin verify-batch
h() { hash_of "$1"; }

notary_ledger_start default
notary_dir
expect_exit 0 "init" notary_init_evm "$NOTARY_DATA" "$d/key.hex" --json
issuer=$DEV_ADDR_0
mkdir -p "$d/c"
for i in 0 1 2 3 4 5 6; do
    printf '{"credentialSubject": {"name": "Holder %d"}, "type": ["VerifiableCredential"]}\n' "$i" > "$d/c/c$i.json"
done
"$NOTARY" submit --credential "$d/c/c0.json" --credential "$d/c/c1.json" --credential "$d/c/c2.json" \
    --credential "$d/c/c3.json" "$(h given)" >/dev/null
"$NOTARY" close >/dev/null
"$NOTARY" submit --credential "$d/c/c4.json" --credential "$d/c/c5.json" >/dev/null
"$NOTARY" close >/dev/null
expect_exit 0 "anchor two batches" "$NOTARY" anchor --poll-ms 100
"$NOTARY" submit --credential "$d/c/c6.json" >/dev/null
"$NOTARY" close >/dev/null   # batch 2 stays pending
for i in 0 1 2 3 4 5 6; do "$NOTARY" proof --credential "$d/c/c$i.json" > "$d/c/c$i.json.proof.json"; done
"$NOTARY" proof "$(h given)" > "$d/given.proof.json"
expect_exit 0 "embed c5" "$NOTARY" proof --credential "$d/c/c5.json" --embed --out "$d/c5.embedded.json"
expect_exit 0 "revoke c1" "$NOTARY" revoke --credential "$d/c/c1.json" --reason fraud
expect_exit 0 "checkpoint" "$NOTARY" checkpoint --poll-ms 100
"$NOTARY" revocations export --out "$d/log.json" >/dev/null
# tampered credential; bundle of batch 1 pointing at batch 0's transaction;
# a transaction this ledger never saw
sed 's/Holder 2/Holder 9/' "$d/c/c2.json" > "$d/c2-tampered.json"
python3 - "$d/c/c0.json.proof.json" "$d/c/c4.json.proof.json" "$d/swapped.json" "$d/c/c3.json.proof.json" "$d/ghost.json" <<'PY'
import json, sys
b0, b4 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
b4["anchor"]["txHash"] = b0["anchor"]["txHash"]
json.dump(b4, open(sys.argv[3], "w"))
b3 = json.load(open(sys.argv[4]))
b3["anchor"]["txHash"] = "0x" + "ab" * 32
json.dump(b3, open(sys.argv[5], "w"))
PY

# the entries, as a list file: JSON Lines, plain paths, a comment, junk
{
    echo '# a mixed batch'
    printf '{"credential": "%s", "proof": "%s"}\n' "$d/c/c0.json" "$d/c/c0.json.proof.json"
    printf '%s\t%s\n' "$d/c/c1.json" "$d/c/c1.json.proof.json"
    printf '{"hash": "%s", "proof": "%s"}\n' "$(h given)" "$d/given.proof.json"
    printf '%s\t%s\n' "$d/c2-tampered.json" "$d/c/c2.json.proof.json"
    printf '%s\n' "$d/c5.embedded.json"
    printf '%s\t%s\n' "$d/c/c6.json" "$d/c/c6.json.proof.json"
    printf '%s\t%s\n' "$d/c/c4.json" "$d/swapped.json"
    printf '%s\t%s\n' "$d/c/c3.json" "$d/ghost.json"
    printf '%s\t%s\n' "$d/c/c3.json" "$d/c/c3.json.proof.json"
    printf '%s\t%s\n' "$d/c/c0.json" "$d/missing.json"
    echo '{"credential": "x", "credential": "y"}'
    echo '{"hash": "00"}'
    printf '%s\t%s\n' "$d/c/c4.json" "$d/c/c4.json.proof.json"
} > "$d/list.txt"
n_entries=13
OPTS=(--rpc "$LEDGER_URL" --issuer "$issuer" --revocations "$d/log.json")
for jobs in 1 8; do
    expect_exit 1 "--batch list, $jobs worker(s): the worst is INVALID" \
        "$VERIFIER" verify --batch "$d/list.txt" "${OPTS[@]}" --jobs "$jobs"
    printf '%s\n' "$LAST_OUT" > "$d/out$jobs.jsonl"
    printf '%s\n' "$LAST_ERR" > "$d/err$jobs.txt"
done
[ "$(wc -l < "$d/out1.jsonl")" = $n_entries ] && ok "one line per entry" || fail "lines: $(wc -l < "$d/out1.jsonl")"
cmp -s "$d/out1.jsonl" "$d/out8.jsonl" && ok "1 worker and 8 give the same lines, in input order" \
    || fail "1 and 8 workers differ: $(diff "$d/out1.jsonl" "$d/out8.jsonl" | head -5)"

# every entry alone, through the single path
python3 - "$d/list.txt" "$d/out8.jsonl" "$VERIFIER" "${OPTS[@]}" <<'PY' > "$d/compare.txt"
import json, subprocess, sys
lst, out, verifier, opts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
lines = [json.loads(l) for l in open(out)]
entries = []
for no, raw in enumerate(open(lst), 1):
    raw = raw.rstrip("\n")
    if not raw or raw.startswith("#"):
        continue
    entries.append((no, raw))
assert len(entries) == len(lines), (len(entries), len(lines))
seen = set()
for (no, raw), got in zip(entries, lines):
    inp = got.pop("input")
    assert inp.get("line") == no, (inp, no)
    if raw.startswith("{"):
        try:
            e = json.loads(raw)
        except ValueError:
            e = None
        if not e or ("proof" not in e) or ("credential" in e) == ("hash" in e):
            ok = got["status"] == "ERROR" and got["error"]
            print(("same" if ok else "DIFF"), no, "malformed entry ->", got["status"], got.get("error"))
            continue
        args = (["--hash", e["hash"]] if "hash" in e else [e["credential"]]) + ["--proof", e["proof"]]
    else:
        parts = raw.split("\t")
        args = [parts[0]] + (["--proof", parts[1]] if len(parts) > 1 else [])
    p = subprocess.run([verifier, "verify", *args, *opts, "--json"], capture_output=True, text=True)
    alone = json.loads(p.stdout)
    same = alone == got
    print(("same" if same else "DIFF"), no, got["status"], "exit", p.returncode, "" if same else json.dumps([alone, got]))
    seen.add(got["status"])
print("statuses", " ".join(sorted(seen)))
PY
cat "$d/compare.txt" | sed 's/^/     /' | cut -c1-160
grep -q DIFF "$d/compare.txt" && fail "a batch verdict differs from verify alone" \
    || ok "every batch verdict is the one verify gives alone ($n_entries entries)"
for s in VALID INVALID UNKNOWN REVOKED ERROR; do
    grep -q "^statuses.* $s\( \|$\)" "$d/compare.txt" && ok "the set has $s" || fail "no $s in the set"
done
grep -q '"status":"INVALID"' <(sed -n 7p "$d/out8.jsonl") && ok "another batch's transaction hash: INVALID, the memo did not answer for it" \
    || fail "swapped tx: $(sed -n 7p "$d/out8.jsonl" | cut -c1-200)"
asked=$(sed -n 's/.*ledger: \([0-9]*\) questions asked, \([0-9]*\) answered.*/\1 \2/p' "$d/err8.txt")
read -r q a <<<"$asked"
[ -n "$q" ] && [ "$a" -gt "$q" ] && ok "ledger answers shared ($q asked, $a from the memo)" || fail "memo: $asked / $(cat "$d/err8.txt")"
grep -q "VALID" "$d/err8.txt" && grep -q "exit 1" "$d/err8.txt" && ok "summary table on stderr" || fail "summary: $(cat "$d/err8.txt")"

# the worst status decides the exit
only() { sed -n "$1p" "$d/list.txt"; }
only 2 > "$d/l-valid.txt"; only 2,3 > "$d/l-revoked.txt"; { only 2; only 7; } > "$d/l-pending.txt"; { only 2; only 11; } > "$d/l-error.txt"
expect_exit 0 "all VALID: 0" "$VERIFIER" verify --batch "$d/l-valid.txt" "${OPTS[@]}"
expect_exit 4 "VALID + REVOKED: 4" "$VERIFIER" verify --batch "$d/l-revoked.txt" "${OPTS[@]}"
expect_exit 3 "VALID + pending: 3" "$VERIFIER" verify --batch "$d/l-pending.txt" "${OPTS[@]}"
expect_exit 2 "VALID + a missing bundle: 2" "$VERIFIER" verify --batch "$d/l-error.txt" "${OPTS[@]}"
: > "$d/empty.txt"
expect_exit 2 "an empty batch is never VALID" "$VERIFIER" verify --batch "$d/empty.txt" "${OPTS[@]}"
has "says there is nothing" "no entries"
expect_exit 0 "JSON Lines on stdin" "$VERIFIER" verify --batch - "${OPTS[@]}" < "$d/l-valid.txt"
expect_exit 2 "--batch with a CREDENTIAL is a usage error" "$VERIFIER" verify --batch "$d/l-valid.txt" "$d/c/c0.json" "${OPTS[@]}"
expect_exit 2 "--jobs 0 is refused" "$VERIFIER" verify --batch "$d/l-valid.txt" --jobs 0 "${OPTS[@]}"
expect_exit 2 "a missing list is an input error" "$VERIFIER" verify --batch "$d/nope.txt" "${OPTS[@]}"

# a directory: NAME + NAME.proof.json, or an embedded credential
mkdir -p "$d/dir"
cp "$d/c/c0.json" "$d/c/c0.json.proof.json" "$d/c/c3.json" "$d/c/c3.json.proof.json" "$d/c5.embedded.json" "$d/dir/"
expect_exit 0 "--batch DIR: pairs and an embedded credential, all VALID" "$VERIFIER" verify --batch "$d/dir" "${OPTS[@]}"
[ "$(grep -c '"status":"VALID"' <<<"$LAST_OUT")" = 3 ] && ok "three entries from the directory" || fail "dir: $LAST_OUT"
cp "$d/c/c4.json.proof.json" "$d/dir/orphan.json.proof.json"
expect_exit 2 "a bundle without its credential is an ERROR entry" "$VERIFIER" verify --batch "$d/dir" "${OPTS[@]}"
grep -q "without its credential" <<<"$LAST_OUT" && ok "says which bundle lacks its credential" || fail "orphan: $LAST_OUT"
expect_exit 0 "offline batch" "$VERIFIER" verify --batch "$d/l-valid.txt" --offline
# a directory entry that is not a regular file is an ERROR entry, never
# silently left out (before: skipped, and the batch exited 0, all VALID)
mkdir -p "$d/dir2"
cp "$d/c/c0.json" "$d/c/c0.json.proof.json" "$d/dir2/"
ln -s "$d/dir2/gone.json" "$d/dir2/c9.json"
mkfifo "$d/dir2/fifo.json"
mkdir "$d/dir2/sub"
expect_exit 2 "--batch DIR with a dangling link and a FIFO: ERROR entries" "$VERIFIER" verify --batch "$d/dir2" --offline
[ "$(grep -c 'not a regular file' <<<"$LAST_OUT")" = 2 ] && [ "$(grep -c '"status"' <<<"$LAST_OUT")" = 3 ] \
    && ok "both named, the subdirectory not read" || fail "dir2: $(cut -c1-300 <<<"$LAST_OUT")"
# an endless line in a list: read in bounded memory and reported as an ERROR
# entry, and the entries after it are still verified (before: the line was
# read whole, so a memory limit ended the list there, silently, exit 0)
printf '%s\t%s\n' "$d/c2-tampered.json" "$d/c/c2.json.proof.json" > "$d/l-tampered.txt"
# The memory limit proves the line is not held whole; a sanitizer build reserves
# far more address space than that for itself, so there it runs unlimited (the
# entries' verdicts are still checked).
vlimit=400000
grep -Eq 'libasan|libubsan' <<<"$(ldd "$VERIFIER" 2>/dev/null)" && vlimit=unlimited
expect_exit 1 "a 300 MB line: ERROR, the tampered entry after it still INVALID" bash -c \
    'ulimit -v "$3"; { cat "$1"; head -c 300000000 /dev/zero | tr "\0" a; echo; cat "$2"; } | "$0" verify --batch - --offline' \
    "$VERIFIER" "$d/l-valid.txt" "$d/l-tampered.txt" "$vlimit"
[ "$(grep -c '"status"' <<<"$LAST_OUT")" = 3 ] && grep -q 'longer than 8192' <<<"$LAST_OUT" \
    && ok "three entries, the long one named as too long" || fail "long line: $(cut -c1-300 <<<"$LAST_OUT")"

# --- once per run: the issuer's did:web document and the log copy ------------------------
# (before: each bundle fetched both again — N entries, N GETs of each)
if command -v openssl >/dev/null; then
    pki=$d/pki
    mkdir -p "$d/www/.well-known"
    . tests/lib/pki.sh
    pki_make "$pki" uni.test "vbatch test CA" || fail "openssl: $(tail -3 "$pki/openssl.log")"
    start_www() { # start_www NAME [CERT KEY]: sets PORT_<NAME>; requests logged in $d/NAME.requests
        : > "$d/$1.requests"
        python3 tests/lib/didweb_server.py "$d/www" "$d/$1.port" "${@:2}" --lifetime 600 \
            --log "$d/$1.requests" >"$d/$1.log" 2>&1 &
        local pid=$!
        notary_on_exit "kill $pid 2>/dev/null"
        for _ in $(seq 1 100); do [ -s "$d/$1.port" ] && break; sleep 0.05; done
        printf -v "PORT_$1" '%s' "$(cat "$d/$1.port" 2>/dev/null)"
    }
    start_www tls "$pki/srv.pem" "$pki/srv.key"
    start_www plain
    did="did:web:uni.test%3A$PORT_tls"
    chain=$(json_field anchor.chainId < "$d/c/c0.json.proof.json")
    cat > "$d/www/.well-known/did.json" <<JSON
{"@context":["https://www.w3.org/ns/did/v1"],"id":"$did",
 "verificationMethod":[{"id":"$did#key-1","type":"EcdsaSecp256k1RecoveryMethod2020","controller":"$did",
   "blockchainAccountId":"eip155:$chain:$issuer"}],
 "assertionMethod":["$did#key-1"]}
JSON
    cp "$d/log.json" "$d/www/log.json"
    DOPTS=(--rpc "$LEDGER_URL" --issuer "$did" --ca-file "$pki/ca.pem" --resolve "uni.test:$PORT_tls:127.0.0.1"
           --revocations "http://127.0.0.1:$PORT_plain/log.json")
    # six entries of two batches, one revoked, one given twice
    for l in 2 3 4 10 14 2; do sed -n "${l}p" "$d/list.txt"; done > "$d/l-did.txt"
    expect_exit 4 "a batch naming one did:web issuer, with a log copy by URL: REVOKED the worst" \
        "$VERIFIER" verify --batch "$d/l-did.txt" "${DOPTS[@]}"
    printf '%s\n' "$LAST_OUT" > "$d/out-did.jsonl"
    [ "$(grep -c "\"issuerName\":\"$did\"" "$d/out-did.jsonl")" = 6 ] && ok "every entry names the did:web issuer" \
        || fail "did entries: $(cut -c1-300 "$d/out-did.jsonl")"
    n_doc=$(grep -c '^GET /.well-known/did.json$' "$d/tls.requests")
    n_log=$(grep -c '^GET /log.json$' "$d/plain.requests")
    [ "$n_doc" = 1 ] && ok "the DID document fetched once for 6 bundles" || fail "the DID document fetched $n_doc times for 6 bundles"
    [ "$n_log" = 1 ] && ok "the log copy fetched once for 6 bundles" || fail "the log copy fetched $n_log times for 6 bundles"
    # the same verdicts as each entry alone (each alone fetches both itself)
    same=0
    i=0
    while IFS=$'\t' read -r cred proof; do
        i=$((i + 1))
        if [[ $cred == '{'* ]]; then
            mapfile -t args < <(python3 -c 'import json,sys; e=json.loads(sys.argv[1])
print("\n".join((["--hash", e["hash"]] if "hash" in e else [e["credential"]]) + ["--proof", e["proof"]]))' "$cred")
        else
            args=("$cred" --proof "$proof")
        fi
        "$VERIFIER" verify "${args[@]}" "${DOPTS[@]}" --json > "$d/alone.json" 2>/dev/null
        python3 - "$d/alone.json" "$d/out-did.jsonl" "$i" <<'PY' && same=$((same + 1))
import json, sys
alone = json.load(open(sys.argv[1]))
got = json.loads(open(sys.argv[2]).read().splitlines()[int(sys.argv[3]) - 1])
got.pop("input")
sys.exit(0 if got == alone else 1)
PY
    done < "$d/l-did.txt"
    [ "$same" = 6 ] && ok "each of the 6 verdicts is the one verify gives alone" || fail "only $same of 6 verdicts as alone"
    [ "$(grep -c '^GET /.well-known/did.json$' "$d/tls.requests")" = 7 ] \
        && ok "(alone, each verification fetches the document itself: the log counts every fetch)" \
        || fail "alone runs: $(grep -c . "$d/tls.requests") requests"
else
    fail "openssl is not installed (needed for the did:web part)"
fi

# item 6: libcurl is loaded on first network use only
if readelf -d "$VERIFIER" | grep -q 'libcurl'; then fail "the verifier links libcurl"; else ok "the verifier does not link libcurl"; fi
LD_DEBUG=files "$VERIFIER" verify "$d/c/c0.json" --proof "$d/c/c0.json.proof.json" --offline >/dev/null 2>"$d/ld-off.txt"
grep -q 'libcurl' "$d/ld-off.txt" && fail "an offline verify loaded libcurl" || ok "an offline verify loads no libcurl"
LD_DEBUG=files "$VERIFIER" verify "$d/c/c0.json" --proof "$d/c/c0.json.proof.json" --rpc "$LEDGER_URL" --issuer "$issuer" >/dev/null 2>"$d/ld-on.txt"
grep -q 'libcurl' "$d/ld-on.txt" && ok "an online verify loads libcurl" || fail "online verify did not load libcurl"
finish
