# A throwaway PostgreSQL 15 + PostGIS cluster for the tests (sourced by
# scripts/test.sh; a developer may source it too).
#
#   source scripts/postgis.sh && postgis_start
#
# initdb in a temporary directory, a free port on 127.0.0.1, trust
# authentication, a database `partimap_template` with PostGIS that tests copy
# (CREATE DATABASE … TEMPLATE partimap_template) to get an empty database of
# their own. Exports PARTIMAP_TEST_POSTGRES (the admin URL) and removes the
# cluster on exit. PostgreSQL refuses to run as root: as root, the cluster
# belongs to the `postgres` user that Debian's package creates.
#
# fsync is off: the tests kill processes, not machines, and a killed server
# process loses nothing that reached the kernel.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

postgis_as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgis_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

postgis_stop() {
  if [ -n "${POSTGIS_DIR:-}" ] && [ -d "$POSTGIS_DIR" ]; then
    postgis_as_pg "$PG_BIN/pg_ctl" -D "$POSTGIS_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$POSTGIS_DIR"
  fi
}

postgis_start() {
  POSTGIS_DIR=$(mktemp -d /tmp/partimap-pg.XXXXXX)
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$POSTGIS_DIR"; fi
  trap postgis_stop EXIT
  postgis_as_pg "$PG_BIN/initdb" -D "$POSTGIS_DIR/data" -U postgres --auth=trust \
    -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
  local port
  port=$(postgis_free_port)
  postgis_as_pg "$PG_BIN/pg_ctl" -D "$POSTGIS_DIR/data" -l "$POSTGIS_DIR/server.log" -w \
    -o "-p $port -k $POSTGIS_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" \
    start >/dev/null
  local psql=(psql -h 127.0.0.1 -p "$port" -U postgres -q -v ON_ERROR_STOP=1)
  "${psql[@]}" -d postgres -c "CREATE DATABASE partimap_template"
  "${psql[@]}" -d partimap_template -c "CREATE EXTENSION postgis"
  export PARTIMAP_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
  export POSTGIS_DIR PG_BIN
  echo "== PostGIS $("${psql[@]}" -d partimap_template -tAc 'SELECT postgis_lib_version()') on port $port ($POSTGIS_DIR)"
}
