#!/usr/bin/env bash
# tests/cli/web_conformance.sh — the browser verifier (web/verify.js) and the
# C verifier reach the same verdicts: every case of the committed corpus
# tests/conformance/cases (made from real CLI runs by
# scripts/gen-conformance.mjs) goes through `verifier verify --offline --json`
# and through verify.js in Node, and both must give the expected status and
# the same check names and outcomes (tests/js/web_conformance.mjs). Cases too
# big to commit are made here: a bundle of exactly 1 MiB (read) and one byte
# more (refused), a credential one byte over 16 MiB (refused). Then seeded
# random inputs: mutated bundles and credentials, and number literals of
# every kind, on which both must agree (tests/js/web_differential.mjs).
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh

require_verifier
command -v node >/dev/null || { fail "node is not installed (scripts/setup.sh)"; finish; }

# --- the committed corpus ----------------------------------------------------------
out=$(node tests/js/web_conformance.mjs "$V" 2>&1)
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1)
grep -E '^FAIL' <<<"$out"
if [ -z "$line" ]; then
    fail "corpus runner printed no summary:"; sed 's/^/    /' <<<"$out" | tail -n 20
else
    n=$(cut -d' ' -f1 <<<"$line")
    passed=$((passed + n)); failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
    [ "$n" -ge 100 ] && ok "the corpus has $n cases" || fail "the corpus has only $n cases"
fi

# --- size limits, made here ----------------------------------------------------------
scratch_dir web-conformance
base=tests/conformance/cases/valid-vc
mk() { # NAME STATUS BUNDLE_PAD_TO CREDENTIAL_FILE
    local d="$tmp/cases/$1"
    mkdir -p "$d"
    cp "$4" "$d/credential"
    cp "$base/bundle.json" "$d/bundle.json"
    local have
    have=$(stat -c %s "$d/bundle.json")
    [ "$3" -gt 0 ] && head -c $(($3 - have)) /dev/zero | tr '\0' ' ' >>"$d/bundle.json"
    if [ "$2" = VALID ]; then cp "$base/expected.json" "$d/expected.json"
    else printf '{"status":"%s","checks":[]}\n' "$2" >"$d/expected.json"; fi
}
mk bundle-exactly-1mib VALID 1048576 "$base/credential"
mk bundle-1mib-plus-1 ERROR 1048577 "$base/credential"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero >"$tmp/big.bin"
mk credential-16mib-plus-1 ERROR 0 "$tmp/big.bin"
out=$(node tests/js/web_conformance.mjs "$V" "$tmp/cases" 2>&1)
while read -r l; do
    case "$l" in
        ok*) ok "limit: ${l#ok   }" ;;
        FAIL*) fail "limit: ${l#FAIL }" ;;
    esac
done <<<"$out"
grep -q '^3 passed, 0 failed$' <<<"$out" || fail "limit cases: $(tail -n 1 <<<"$out")"

# --- seeded random inputs (tests/js/web_differential.mjs) ------------------------------
out=$(node tests/js/web_differential.mjs "$V" 2>&1)
while read -r l; do
    case "$l" in
        ok*) ok "random: ${l#ok   }" ;;
        FAIL*) fail "random: ${l#FAIL }" ;;
    esac
done <<<"$out"
grep -q '^2 passed, 0 failed$' <<<"$out" || fail "random inputs: $(tail -n 1 <<<"$out")"
finish
