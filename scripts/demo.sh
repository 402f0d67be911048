#!/usr/bin/env bash
# scripts/demo.sh — the main job on the embedded defaults (`make demo`):
# a private local ledger, 1,000 EU micro-credentials issued, one batch closed
# and anchored in one transaction, every holder's proof bundle exported, some
# credentials verified against the ledger alone, one tampered credential
# shown INVALID. Everything it writes goes to ./demo-out (the ledger itself is
# thrown away when the demo ends).
#
#   BUILD=build scripts/demo.sh [--count N] [--profile default|berlin]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
COUNT=1000
PROFILE=default
while [ $# -gt 0 ]; do
    case "$1" in
        --count) COUNT=$2; shift 2 ;;
        --profile) PROFILE=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "demo.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
NOTARY="$BUILD/bin/notary"
VERIFIER="$BUILD/bin/verifier"
OUT=demo-out

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }

scripts/setup.sh --npm . >/dev/null

step "1. Start a private EVM ledger (ganache, chain id 1337, profile: $PROFILE)"
. tests/lib/ledger.sh
LEDGER_LOG_DIR=$(mktemp -d)
export LEDGER_LOG_DIR
ledger_trap
ledger_start "$PROFILE"
say "ledger at $LEDGER_URL (pid $LEDGER_PID, its banner is kept out of sight: it prints keys)"

rm -rf "$OUT"
mkdir -p "$OUT"
umask 077
export NOTARY_DATA="$OUT/notary"
# The demo's issuer key is ganache's first deterministic DEVELOPMENT account
# (public, well known, worthless outside this local ledger). The keystore
# password is a demo value too.
export NOTARY_PASSWORD="demo-password-not-a-secret"
printf '%s\n' "$DEV_KEY_0" > "$OUT/dev-key.hex"

step "2. Create the notary: issuer key, ledger, registry contract"
"$NOTARY" init --rpc "$LEDGER_URL" --chain-id 1337 --deploy --import-key "$OUT/dev-key.hex"
rm -f "$OUT/dev-key.hex"
umask 022

step "3. Generate $COUNT EU micro-credentials (W3C VC 2.0 JSON)"
node scripts/gen-credentials.js --count "$COUNT" --out "$OUT/credentials" | sed 's/^/   /'
say "example: $(node -e 'const c=require("./'"$OUT"'/credentials/credential-00000.json");const a=c.credentialSubject.achievement;console.log(`${c.credentialSubject.givenName} ${c.credentialSubject.familyName}: "${a.title}", ${a.workload.ectsCredits} ECTS, EQF ${a.level.value}, by ${a.awardingBody.name}`)')"

step "4. Issue them: submit every credential (JCS-canonicalized, SHA-256)"
args=()
for f in "$OUT"/credentials/*.json; do args+=(--credential "$f"); done
"$NOTARY" submit "${args[@]}" | tail -n 1 | sed 's/^/   /'

step "5. Close the batch: one RFC 9162 Merkle tree over all $COUNT"
"$NOTARY" close | sed 's/^/   /'

step "6. Anchor the root on the ledger in one transaction"
"$NOTARY" anchor --poll-ms 200 2>&1 | sed 's/^notary: /   /; s/^\([0-9]\)/   \1/'

step "7. Export every holder's proof bundle"
"$NOTARY" proof --batch 0 --dir "$OUT/bundles" | sed 's/^/   /'
"$NOTARY" status | sed 's/^/   /'

bundle_of() { # credential file -> its bundle file
    local h
    h=$("$NOTARY" proof --credential "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["credential"]["hash"])')
    echo "$OUT/bundles/$h.json"
}

step "8. An employer verifies credentials against the ledger alone"
for i in 00000 00123 00999; do
    f="$OUT/credentials/credential-$i.json"
    [ -f "$f" ] || continue
    say "credential-$i.json:"
    "$VERIFIER" verify "$f" --proof "$(bundle_of "$f")" --rpc "$LEDGER_URL" \
        --issuer "$(sed -n 's/^issuer  *//p' <("$NOTARY" status))" | sed 's/^/      /'
done

step "9. Someone raises their ECTS credits: the same bundle no longer matches"
f="$OUT/credentials/credential-00001.json"
b=$(bundle_of "$f")
python3 - "$f" "$OUT/tampered.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["credentialSubject"]["achievement"]["workload"]["ectsCredits"] += 10
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
set +e
"$VERIFIER" verify "$OUT/tampered.json" --proof "$b" --rpc "$LEDGER_URL" | sed 's/^/      /'
rc=${PIPESTATUS[0]}
set -e
say "verifier exit status: $rc (1 = INVALID)"
[ "$rc" -eq 1 ] || { echo "demo: the tampered credential was not rejected" >&2; exit 1; }

step "10. Stop the ledger"
ledger_stop
say "done. Credentials, bundles and the notary's database are in $OUT/"
