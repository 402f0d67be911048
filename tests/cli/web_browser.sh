#!/usr/bin/env bash
# tests/cli/web_browser.sh — the browser verifier (web/) in a real browser:
# serves web/ with scripts/serve-web.sh on a free loopback port (port 0: the
# kernel picks it, so no race), then tests/js/web_browser.mjs drives Debian's
# chromium with puppeteer-core (pinned in package-lock.json): the corpus
# through verifyCredential() in the page, the UI path for VALID, INVALID,
# UNKNOWN and a wrong file, a credential with its bundle embedded dropped
# alone, a verifier link (#bundle=, notary proof --link) with the credential
# dropped and malformed links, the keyboard, the ledger endpoint field.
# Screenshots go to a scratch folder; WEB_SCREENSHOTS=docs/img refreshes the
# committed ones shown in README.md.
# Ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/check.sh
. tests/lib/web.sh

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { fail "$CHROMIUM is missing: scripts/setup.sh installs Debian's chromium"; finish; }
command -v python3 >/dev/null || { fail "python3 is missing (scripts/setup.sh)"; finish; }
require_node_tools
scratch_dir web-browser
shots=${WEB_SCREENSHOTS:-$tmp/shots}
mkdir -p "$shots"

web_serve_start "$tmp/serve.log"
started=$?
trap 'kill "$HTTP_PID" 2>/dev/null; wait "$HTTP_PID" 2>/dev/null; [ -n "${KEEP_TMP:-}" ] || rm -rf "$tmp"' EXIT
port=$WEB_PORT
if [ "$started" != 0 ]; then
    fail "the static server did not start:"; sed 's/^/    /' "$tmp/serve.log"; finish
fi
ok "web/ served on 127.0.0.1:$port"

out=$(CHROMIUM="$CHROMIUM" timeout 300 node tests/js/web_browser.mjs "http://127.0.0.1:$port" "$shots" 2>&1)
echo "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed$'
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1)
if [ -z "$line" ]; then
    fail "the browser test printed no summary"
else
    passed=$((passed + $(cut -d' ' -f1 <<<"$line"))); failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
fi
# The verifier link's fragment (#bundle=...) never reaches the server: its
# request log shows the page's paths without it.
check "the server log shows requests" grep -q 'GET / ' "$tmp/serve.log"
check "no request to the server carries the bundle of a link" bash -c "! grep -q 'bundle=' '$tmp/serve.log'"
for s in valid invalid unknown wrong-file link; do
    check "screenshot of the $s state" test -s "$shots/web-$s.png"
done
finish
