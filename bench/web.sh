#!/usr/bin/env bash
# bench/web.sh — the browser verifier's targets (issue 13), measured in
# Debian's chromium (puppeteer-core) against a private ganache on loopback,
# started and stopped here by its PID:
#   - one credential verified online in the page (verifyCredential with rpc,
#     issuer and the revocation log copy: every ledger check and the
#     revocation check) in < 300 ms after the page has loaded: the median and
#     the worst of BENCH_WEB_RUNS runs (default 20), and the first run;
#   - the page's assets (every file the page loads, measured in the browser's
#     own network log, and every file of web/) < 1.5 MB in all.
#
#   BUILD=build bench/web.sh
#
# Targets are reported as PASS/MISS and never fail the run; a broken run
# (the ledger, the notary or the browser failing) exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${BENCH_WEB_RUNS:-20}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
NOTARY=$BUILD/bin/notary
[ -x "$NOTARY" ] || { echo "bench/web.sh: build first (make)" >&2; exit 2; }
[ -x "$CHROMIUM" ] || { echo "bench/web.sh: $CHROMIUM is missing (scripts/setup.sh)" >&2; exit 2; }
scripts/setup.sh --npm . >/dev/null
. tests/lib/ledger.sh
. tests/lib/web.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-web.XXXXXX")
HTTP_PID=
cleanup() { [ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null; ledger_stop 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
LEDGER_LOG_DIR=$tmp ledger_start default >/dev/null
export NOTARY_DATA=$tmp/data NOTARY_PASSWORD="bench password"
(umask 077; printf "%s\n" "${DEV_KEY_0#0x}" >"$tmp/key.hex")
"$NOTARY" init --rpc "$LEDGER_URL" --deploy --import-key "$tmp/key.hex" --kdf-light >/dev/null
for i in $(seq 0 99); do printf 'credential %s' "$i" >"$tmp/c$i.txt"; "$NOTARY" submit --credential "$tmp/c$i.txt" >/dev/null; done
"$NOTARY" close >/dev/null
"$NOTARY" anchor --poll-ms 100 >/dev/null
"$NOTARY" revoke --credential "$tmp/c1.txt" --reason fraud >/dev/null
"$NOTARY" checkpoint --poll-ms 100 >/dev/null
"$NOTARY" revocations export --out "$tmp/log.json" >/dev/null
"$NOTARY" proof "$(sha256sum "$tmp/c7.txt" | cut -c1-64)" >"$tmp/b7.json"

web_serve_start "$tmp/serve.log" || { echo "bench/web.sh: the static server did not start" >&2; exit 1; }
port=$WEB_PORT

CHROMIUM=$CHROMIUM node --input-type=module - "http://127.0.0.1:$port" "$LEDGER_URL" "$tmp" "$RUNS" "$DEV_ADDR_0" <<'JS'
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
const [base, rpc, dir, runs, issuer] = process.argv.slice(2);
const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-dev-shm-usage'] });
let code = 0;
try {
  const page = await browser.newPage();
  const sizes = new Map();
  page.on('response', async (r) => { try { sizes.set(r.url(), (await r.buffer()).length); } catch { /* redirects */ } });
  const t0 = Date.now();
  await page.goto(base + '/', { waitUntil: 'networkidle0' });
  await page.waitForSelector('html[data-ready=true]');
  const loadMs = Date.now() - t0;
  const inp = { credential: fs.readFileSync(path.join(dir, 'c7.txt')).toString('base64'), bundle: fs.readFileSync(path.join(dir, 'b7.json')).toString('base64'),
    revocations: fs.readFileSync(path.join(dir, 'log.json')).toString('base64'), rpc, issuer, runs: Number(runs) };
  const res = await page.evaluate(async (x) => {
    const { verifyCredential } = await import('./verify.js');
    const u = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
    const times = [];
    let status = '';
    for (let i = 0; i < x.runs; i++) {
      const t = performance.now();
      const r = await verifyCredential({ credential: u(x.credential), bundle: u(x.bundle), revocations: u(x.revocations), rpc: x.rpc, issuer: x.issuer });
      times.push(performance.now() - t);
      status = r.status + ' ' + r.checks.length + ' checks';
    }
    return { times, status };
  }, inp);
  const sorted = [...res.times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)], worst = sorted[sorted.length - 1], first = res.times[0];
  let served = 0;
  for (const [, n] of sizes) served += n;
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [fs.statSync(path.join(d, e.name)).size]));
  const all = walk('web').reduce((a, b) => a + b, 0);
  const pf = (ok) => (ok ? 'PASS' : 'MISS');
  console.log(`page load (to ready): ${loadMs} ms; result: ${res.status}`);
  console.log(`verify online in the page (${res.times.length} runs): first ${first.toFixed(1)} ms, median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms  [target < 300 ms (median): ${pf(median < 300)}]`);
  console.log(`page assets loaded by the browser: ${sizes.size} files, ${served} bytes; all of web/: ${all} bytes  [target < 1,500,000 bytes: ${pf(Math.max(served, all) < 1500000)}]`);
  console.log(`#target|web_verify|median ${median.toFixed(1)} ms (first ${first.toFixed(1)}, worst ${worst.toFixed(1)})|${pf(median < 300)}`);
  console.log(`#target|web_assets|${(Math.max(served, all) / 1e6).toFixed(2)} MB (${sizes.size} files loaded)|${pf(Math.max(served, all) < 1500000)}`);
  if (!/^VALID/.test(res.status)) { console.error('bench/web.sh: the credential did not verify VALID'); code = 1; }
} finally {
  await browser.close();
}
process.exit(code);
JS
