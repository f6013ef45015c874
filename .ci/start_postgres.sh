#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tests and print/export RANGER_TEST_PG_URL.
#
# Use:  eval "$(.ci/start_postgres.sh)"      (prints `export RANGER_TEST_PG_URL=...`)
#       or `source .ci/start_postgres.sh`    (exports it into the calling shell)
# Installs Debian's `postgresql` package only if no server binaries are found. The cluster
# lives in a temporary folder owned by the `postgres` user (the server refuses to run as
# root), listens on 127.0.0.1 only, and is stopped by .ci/stop_postgres.sh or when the
# machine goes away. A role `ranger` (password `ranger`, CREATEDB) and a database `ranger`
# are created; tests make their own databases beside it.
set -euo pipefail

_pg_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; return 0; }
    done
    return 1
}

if ! PGBIN="$(_pg_bin)"; then
    echo "start_postgres: installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y postgresql >&2 || { apt-get update >&2 && apt-get install -y postgresql >&2; }
    PGBIN="$(_pg_bin)"
fi

PGPORT="${RANGER_PG_PORT:-55432}"
PGROOT="${RANGER_PG_DIR:-$(mktemp -d /tmp/ranger-pg.XXXXXX)}"
mkdir -p "$PGROOT"

if [ "$(id -u)" = "0" ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PGROOT" --shell /bin/sh postgres
    chown postgres "$PGROOT"
    AS=(runuser -u postgres --)
else
    AS=()
fi

if [ ! -f "$PGROOT/data/PG_VERSION" ]; then
    "${AS[@]}" "$PGBIN/initdb" -D "$PGROOT/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$PGROOT/initdb.log" 2>&1 \
        || { cat "$PGROOT/initdb.log" >&2; exit 1; }
fi
if ! "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PGPORT" -q; then
    # fsync off: a throwaway test cluster; production servers keep the default.
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGROOT -c fsync=off -c max_connections=200" \
        start >&2 || { cat "$PGROOT/server.log" >&2; exit 1; }
fi

PSQL=("$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 -qAt)
if [ -z "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='ranger'")" ]; then
    "${PSQL[@]}" -d postgres -c "CREATE ROLE ranger LOGIN PASSWORD 'ranger' CREATEDB"
fi
if [ -z "$("${PSQL[@]}" -d postgres -c "SELECT 1 FROM pg_database WHERE datname='ranger'")" ]; then
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE ranger OWNER ranger"
fi

export RANGER_TEST_PG_URL="postgresql://ranger:ranger@127.0.0.1:$PGPORT/ranger"
export RANGER_TEST_PG_DIR="$PGROOT"
echo "export RANGER_TEST_PG_URL=$RANGER_TEST_PG_URL"
echo "export RANGER_TEST_PG_DIR=$RANGER_TEST_PG_DIR"
