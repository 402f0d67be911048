#!/usr/bin/env bash
# tests/cli/serve_web.sh — `notary serve` serves the browser verifier (web/)
# at /verify from the bytes embedded in the binary (notary/service/webpage.h),
# run from a folder without web/ so nothing can come from disk:
#   - GET /verify redirects to /verify/ (the page's links are relative);
#   - every page file is served byte-identical to web/, with its Content-Type,
#     Cache-Control, the Content-Security-Policy, nosniff, no-referrer;
#   - anything else under /verify is 404: unknown names, package.json,
#     traversal (/verify/../x, %2e%2e, an encoded slash), a trailing slash;
#   - the page in chromium from http://127.0.0.1:PORT/verify: the whole
#     conformance corpus through verifyCredential(), the UI path to VALID,
#     INVALID and UNKNOWN, and no CSP violation (tests/js/web_browser.mjs,
#     the same checks as tests/cli/web_browser.sh runs on a static server).
# `notary init` needs a ledger, so this starts a local one.
# Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/notary.sh
notary_test_begin notary-serve-web --abs
SERVE_PID=
SERVE_RC=
stop_serve() { [ -z "$SERVE_PID" ] || { kill -TERM "$SERVE_PID" 2>/dev/null; wait "$SERVE_PID" 2>/dev/null; SERVE_RC=$?; SERVE_PID=; }; }
notary_on_exit stop_serve
export NOTARY_DATA=$tmp/data
CURL=(curl -s --noproxy '*' --max-time 20)

notary_ledger_start
notary_key_file "$tmp/key.hex" "$DEV_KEY_0"
notary_init_evm "$NOTARY_DATA" "$tmp/key.hex" >/dev/null 2>"$tmp/init.err" ||
    { fail "init: $(cat "$tmp/init.err")"; finish; }
# From a folder with no web/ in it: the page must come from the binary.
mkdir -p "$tmp/elsewhere"
(cd "$tmp/elsewhere" && exec "$NOTARY" serve --no-anchor --listen 127.0.0.1:0 --port-file "$tmp/port") \
    2>"$tmp/serve.log" &
SERVE_PID=$!
wait_port_file "$tmp/port" "$SERVE_PID" || { fail "serve did not start: $(tail -n 3 "$tmp/serve.log")"; finish; }
URL=http://127.0.0.1:$(cat "$tmp/port")

# get PATH: status into $status, headers into $tmp/headers, body into $tmp/body.
get() { status=$("${CURL[@]}" --path-as-is -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$URL$1"); }
header() { tr -d '\r' < "$tmp/headers" | sed -n "s/^$1: //Ip" | head -n 1; }

get /verify
check "GET /verify redirects (308, got $status) to verify/ ($(header Location))" \
    test "$status" = 308 -a "$(header Location)" = verify/
got=$("${CURL[@]}" -L -o "$tmp/followed" -w '%{url_effective} %{http_code}' "$URL/verify")
check "... which a client follows to /verify/ and the page ($got)" \
    test "$got" = "$URL/verify/ 200" && cmp -s "$tmp/followed" web/index.html

CSP="default-src 'self'; connect-src *; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
# served PATH FILE TYPE: PATH answers 200 with FILE's bytes, Content-Type TYPE
# and the page's headers.
served() {
    get "$1"
    if [ "$status" != 200 ]; then fail "GET $1: status $status: $(head -c 200 "$tmp/body")"; return; fi
    cmp -s "$tmp/body" "$2" && ok "GET $1 is $2, byte for byte" || fail "GET $1 differs from $2"
    check "GET $1: Content-Type $3 (got '$(header Content-Type)')" test "$(header Content-Type)" = "$3"
    check "GET $1: Cache-Control no-cache, once ($(grep -ci '^cache-control:' "$tmp/headers"))" \
        test "$(header Cache-Control)" = no-cache -a "$(grep -ci '^cache-control:' "$tmp/headers")" = 1
    check "GET $1: the Content-Security-Policy header" test "$(header Content-Security-Policy)" = "$CSP"
    check "GET $1: X-Content-Type-Options nosniff, Referrer-Policy no-referrer" \
        test "$(header X-Content-Type-Options)" = nosniff -a "$(header Referrer-Policy)" = no-referrer
}
served /verify/ web/index.html "text/html; charset=utf-8"
nfiles=0
for f in web/*; do
    name=${f#web/}
    case $name in
        package.json) continue ;; # for Node's tests, not part of the page
        *.html) type="text/html; charset=utf-8" ;;
        *.css) type="text/css; charset=utf-8" ;;
        *.js) type="text/javascript; charset=utf-8" ;;
        *.json) type=application/json ;;
        *.wasm) type=application/wasm ;;
        *.svg) type=image/svg+xml ;;
        *.png) type=image/png ;;
        *) fail "web/$name: a kind of file notary serve does not embed (Makefile WEB_FILES)"; continue ;;
    esac
    served "/verify/$name" "$f" "$type"
    nfiles=$((nfiles + 1))
done
check "every file of the page is served ($nfiles)" test "$nfiles" -ge 5
status=$("${CURL[@]}" -I -o /dev/null -w '%{http_code}' "$URL/verify/app.js")
check "HEAD /verify/app.js is 200 ($status)" test "$status" = 200

# not_found PATH: 404 with the JSON error not_found, and nothing of the page.
not_found() {
    get "$1"
    local code
    code=$(json_field error < "$tmp/body" 2>/dev/null)
    check "GET $1 is 404 not_found (got $status $code)" test "$status" = 404 -a "$code" = not_found
}
for p in /verify/nope.js /verify/package.json /verify/../x /verify/../Makefile /verify/%2e%2e \
         /verify/%2e%2e/Makefile /verify/%2e%2e%2fMakefile /verify/..%2f..%2fetc%2fpasswd \
         /verify/./app.js /verify/app.js/ /verify/APP.JS /verify/index.html%2f /verify// \
         /verify/app.js%20 /verifyx; do
    not_found "$p"
done
get /verify/app.js%00
check "GET /verify/app.js%00 is refused (400, got $status)" test "$status" = 400
status=$("${CURL[@]}" -o /dev/null -w '%{http_code}' -X POST --data x "$URL/verify/app.js")
check "POST /verify/app.js is 405 ($status)" test "$status" = 405

# --- the page in chromium, from notary serve ---------------------------------------
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    fail "$CHROMIUM is missing: scripts/setup.sh installs Debian's chromium"
else
    mkdir -p "$tmp/shots"
    out=$(CHROMIUM="$CHROMIUM" timeout 300 node tests/js/web_browser.mjs "$URL/verify" "$tmp/shots" 2>&1)
    echo "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed$' | sed 's/^\(ok  \|FAIL\) /\1 [notary serve] /'
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' <<<"$out" | tail -n 1)
    if [ -z "$line" ]; then
        fail "the browser test printed no summary"
    else
        passed=$((passed + $(cut -d' ' -f1 <<<"$line"))); failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
    fi
fi
stop_serve
check "serve stops cleanly on SIGTERM (exit $SERVE_RC)" test "$SERVE_RC" = 0
grep -qE 'Sanitizer|runtime error' "$tmp/serve.log" && fail "serve's log has a sanitizer report" || ok "... with no sanitizer report in its log"
finish
