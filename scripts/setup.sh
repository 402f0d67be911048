#!/usr/bin/env bash
# Install what the project needs on Debian 12, idempotently: only missing
# packages are installed, and `npm ci` runs only when node_modules is missing
# or older than its lockfile.
#
#   scripts/setup.sh               Debian packages for build and tests
#   scripts/setup.sh --npm DIR     also `npm ci` in DIR (a package-lock.json there)
#   scripts/setup.sh --fuzz        also clang/libFuzzer
set -euo pipefail

PKGS=(build-essential pkg-config ca-certificates
      libssl-dev nettle-dev libsecp256k1-dev libcurl4-openssl-dev libjansson-dev
      libsqlite3-dev libmicrohttpd-dev libpq-dev
      libqrencode-dev libpng-dev # notary proof --qr: QR codes of verifier links, PNG images
      nodejs npm jq python3 procps openssl xxd curl
      zbar-tools # tests/cli/embed.sh decodes the QR codes with zbarimg, an independent decoder
      sqlite3 fiu-utils # sqlite3: store checks in tests; fiu-utils: fiu-run for tests/cli/durability.sh
      postgresql # the PostgreSQL store's tests start their own server (tests/lib/pg.sh)
      chromium # the browser verifier's tests (tests/cli/web_browser.sh, puppeteer-core drives it; no browser download)
      systemd man-db groff-base) # tests/cli/packaging.sh: systemd-analyze verify, systemd-sysusers, man -l, groff
NPM_DIRS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --npm) NPM_DIRS+=("$2"); shift 2 ;;
        --fuzz) PKGS+=(clang-14 libclang-rt-14-dev libfuzzer-14-dev); shift ;;
        --bench) PKGS+=(wrk); shift ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# A node that is already on PATH (e.g. a newer one) is good enough for npm ci.
if command -v node >/dev/null && command -v npm >/dev/null; then
    missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
want=()
for p in "${missing[@]}"; do [ -n "$p" ] && want+=("$p"); done
if [ ${#want[@]} -gt 0 ]; then
    echo "setup: installing ${want[*]}" >&2
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >&2
fi

for d in "${NPM_DIRS[@]}"; do
    if [ ! -d "$d/node_modules" ] || [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
        echo "setup: npm ci in $d" >&2
        (cd "$d" && npm ci --no-audit --no-fund --loglevel=error >&2)
    fi
done
