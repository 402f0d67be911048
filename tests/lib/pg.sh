# tests/lib/pg.sh — a throwaway PostgreSQL server for tests (source this).
#
#   pg_start            initdb in a new temporary directory, start `postgres` on a free
#                       loopback port; exports PG_URL (postgresql://notary@127.0.0.1:PORT/postgres),
#                       PG_PORT, PG_PID, PG_DIR, PG_LOG
#   pg_createdb NAME    create database NAME; prints its URL
#   pg_halt             fast shutdown by PID, keeping the data directory and the port
#   pg_resume           start the halted server again on the same port (sets PG_PID)
#   pg_stop             fast shutdown by PID, then remove the directory
#
# Debian's postgresql package (/usr/lib/postgresql/N/bin). PostgreSQL refuses to run as
# root, so as root the server runs as the system user `notarytest` (created if missing)
# in a directory it owns. Trust authentication on 127.0.0.1 only; nothing else listens.
# Call pg_start directly, not inside $(...): it exports variables.

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PG_USER_OS=notarytest

_pg_as() { # run a command as the server's user
    if [ "$(id -u)" = 0 ]; then runuser -u "$PG_USER_OS" -- "$@"; else "$@"; fi
}

pg_available() { [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/postgres" ]; }

pg_start() {
    pg_available || { echo "pg_start: no PostgreSQL server binaries (apt-get install postgresql)" >&2; return 1; }
    if [ "$(id -u)" = 0 ] && ! id "$PG_USER_OS" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
            "$PG_USER_OS" >/dev/null 2>&1 || id "$PG_USER_OS" >/dev/null 2>&1 ||
            { echo "pg_start: cannot create user $PG_USER_OS" >&2; return 1; }
    fi
    PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/notary-pg.XXXXXX") || return 1
    [ "$(id -u)" = 0 ] && chown "$PG_USER_OS" "$PG_DIR"
    PG_LOG=$PG_DIR/postgres.log
    if ! (cd "$PG_DIR" && _pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U notary --auth=trust \
            -E UTF8 --no-locale --no-sync >"$PG_DIR/initdb.log" 2>&1); then
        echo "pg_start: initdb failed:" >&2; tail -n 20 "$PG_DIR/initdb.log" >&2; return 1
    fi
    local attempt port i
    for attempt in 1 2 3; do
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
        # fsync and synchronous_commit stay on (the store's durability contract).
        (cd "$PG_DIR" && _pg_as "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$port" -k "$PG_DIR" \
            -c listen_addresses=127.0.0.1 -c max_connections=200 -c synchronous_commit=on \
            </dev/null >>"$PG_LOG" 2>&1 &)
        for i in $(seq 1 100); do
            if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
                PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
                PG_PORT=$port
                PG_URL="postgresql://notary@127.0.0.1:$port/postgres"
                export PG_DIR PG_LOG PG_PID PG_PORT PG_URL
                return 0
            fi
            # the port was taken meanwhile (not the "starting up" FATALs pg_isready causes)
            grep -q "could not create any TCP/IP sockets" "$PG_LOG" && break
            sleep 0.1
        done
        # port taken meanwhile, or slow: stop whatever started, try another port
        local pid; pid=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
        [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null && sleep 1
        : > "$PG_LOG"
    done
    echo "pg_start: postgres did not start; log $PG_LOG:" >&2; tail -n 20 "$PG_LOG" >&2
    return 1
}

pg_createdb() { # NAME -> prints the database URL
    psql -X -q -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE \"$1\"" >/dev/null || return 1
    echo "postgresql://notary@127.0.0.1:$PG_PORT/$1"
}

_pg_shutdown() { # fast shutdown of PG_PID, SIGKILL after 10 s
    local i
    kill -INT "$PG_PID" 2>/dev/null
    for i in $(seq 1 100); do kill -0 "$PG_PID" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$PG_PID" 2>/dev/null
}

pg_halt() {
    [ -n "${PG_PID:-}" ] || { echo "pg_halt: no server running" >&2; return 1; }
    _pg_shutdown
    kill -0 "$PG_PID" 2>/dev/null && return 1
    PG_PID= # gone: never signal a reused PID later
}

pg_resume() {
    [ -n "${PG_DIR:-}" ] && [ -n "${PG_PORT:-}" ] || { echo "pg_resume: no halted server" >&2; return 1; }
    (cd "$PG_DIR" && _pg_as "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" -k "$PG_DIR" \
        -c listen_addresses=127.0.0.1 -c max_connections=200 -c synchronous_commit=on \
        </dev/null >>"$PG_LOG" 2>&1 &)
    local i
    for i in $(seq 1 200); do
        if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; then
            PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid" 2>/dev/null)
            export PG_PID
            return 0
        fi
        sleep 0.05
    done
    echo "pg_resume: postgres did not start on port $PG_PORT; log $PG_LOG:" >&2; tail -n 20 "$PG_LOG" >&2
    return 1
}

pg_stop() {
    [ -n "${PG_PID:-}" ] && _pg_shutdown
    [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
    PG_PID=; PG_DIR=
}

# pg_wait_anchored DB TRIES PAUSE: wait until store DB (a postgresql:// URL)
# holds no issuance batch that is closed, sent, or open with credentials in
# it — every acknowledged hash closed and anchored; checks TRIES times, PAUSE
# seconds apart. Status 0 when it got there.
pg_wait_anchored() {
    local db=$1 tries=$2 pause=$3 left _
    for _ in $(seq 1 "$tries"); do
        left=$(psql -X -q -At -v ON_ERROR_STOP=1 "$db" -c \
            "SELECT count(*) FROM batches WHERE kind = 0 AND (state IN (1, 2) OR (state = 0 AND size > 0))")
        [ "$left" = 0 ] && return 0
        sleep "$pause"
    done
    return 1
}
