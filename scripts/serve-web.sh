#!/usr/bin/env bash
# scripts/serve-web.sh — serve the browser verifier (web/) on the loopback
# interface, for a fresh clone: no build step, nothing fetched.
#   scripts/serve-web.sh [PORT]        (default 8080; `make web` runs this)
# Then open http://127.0.0.1:PORT/ . Loopback only: WebCrypto (SHA-256)
# needs a secure context, which http://127.0.0.1 is; on another host serve
# web/ over https (any static file server will do).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-${PORT:-8080}}
command -v python3 >/dev/null || { echo "serve-web: python3 is needed (scripts/setup.sh installs it)" >&2; exit 2; }
echo "Serving web/ at http://127.0.0.1:$port/  (Ctrl-C stops it)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory web
