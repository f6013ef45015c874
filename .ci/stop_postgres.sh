#!/usr/bin/env bash
# Stop the server .ci/start_postgres.sh started (RANGER_TEST_PG_DIR) and remove its folder.
set -euo pipefail
[ -n "${RANGER_TEST_PG_DIR:-}" ] && [ -d "$RANGER_TEST_PG_DIR/data" ] || exit 0
for d in /usr/lib/postgresql/*/bin; do PGBIN="$d"; done
if [ "$(id -u)" = "0" ]; then AS=(runuser -u postgres --); else AS=(); fi
"${AS[@]}" "$PGBIN/pg_ctl" -D "$RANGER_TEST_PG_DIR/data" -m fast -w stop >&2 || true
rm -rf "$RANGER_TEST_PG_DIR"
