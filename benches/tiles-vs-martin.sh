#!/usr/bin/env bash
# Load benchmark of the tile server on the shared NRW workload, side by side
# in one run with Martin on PostGIS (the peer) and nginx serving partimap's
# own tile bytes as static files (the ceiling for a cached tile).
#
#   benches/tiles-vs-martin.sh            # everything, about 10 minutes
#
# Environment:
#   PARTIMAP_WORKLOAD  the workload directory (made here with
#                      ../shared/bench/make-nrw-workload.py when it has none;
#                      default target/bench/workload)
#   DURATION           wrk's duration per run (default 30s)
#   CONNECTIONS        wrk's connections (default 16, as the peers' figures)
#
# What it does: makes the workload; writes it into partimap's embedded store
# (benches/load_workload.rs); loads it into a throwaway PostgreSQL 15 cluster
# with PostGIS using ogr2ogr (COPY); replays tiles-mixed.txt and
# tiles-high.txt with wrk and ../shared/bench/tiles.lua against
#   - partimap with its tile cache off (--tile-cache-mb 0),
#   - partimap with its cache warm (every tile of the list requested once),
#   - nginx serving the gzip bytes partimap sent for every tile of the list,
#   - Martin 1.14 (tables procedures and reports, its defaults: with its
#     cache on it is faster than with -C 0 — 9.3 against the README's 122
#     tiles/s on the zoom >= 12 list — so the ratios are the conservative
#     ones);
# and prints every figure and the ratios. It also prints partimap's resident
# memory with the workload loaded and the largest compressed tile.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${PARTIMAP_SHARED:-$ROOT/../shared}
OUT=$ROOT/target/bench
WL=${PARTIMAP_WORKLOAD:-$OUT/workload}
DURATION=${DURATION:-30s}
CONNECTIONS=${CONNECTIONS:-16}
PG_BIN=/usr/lib/postgresql/15/bin
PM_PORT=18080
MARTIN_PORT=13000
NGINX_PORT=18081
PG_PORT=15432
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*"; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_need() { # command package
    command -v "$1" >/dev/null 2>&1 && return
    say "installing $2"
    sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null
}

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    [ -f "$OUT/nginx/nginx.pid" ] && kill "$(cat "$OUT/nginx/nginx.pid")" 2>/dev/null || true
    [ -f "$OUT/pg/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$OUT/pg" -m fast stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

wait_for() { # url seconds
    for _ in $(seq 1 "$2"); do curl -sf -o /dev/null "$1" && return 0; sleep 1; done
    echo "no answer from $1" >&2
    return 1
}

# wrk over a tile list; prints wrk's last line ("tiles/s … p50 … p99 … errors …").
replay() { # base-url list format
    TILE_LIST="$WL/$2" TILE_FMT="$3" wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --timeout 30s \
        -s "$SHARED/bench/tiles.lua" "$1" | tail -1
}
field() { # "tiles/s" | "p50" | "p99" from a replay line
    awk -v k="$1" '{for (i = 1; i < NF; i++) if ($i == k) {v = $(i + 1); sub(/ms$/, "", v); print v}}'
}

say "tools"
apt_need wrk wrk
apt_need ogr2ogr gdal-bin
apt_need nginx nginx-light
[ -x "$PG_BIN/initdb" ] || apt_need "$PG_BIN/initdb" postgresql-15
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || apt_need /nonexistent postgresql-15-postgis-3
if ! command -v martin >/dev/null; then
    say "installing Martin 1.14 (about 20 minutes)"
    cargo install martin --version 1.14.0 --locked --no-default-features --features postgres
fi

say "workload"
if [ ! -f "$WL/reports.geojson" ]; then
    python3 "$SHARED/bench/make-nrw-workload.py" "$WL"
fi
wc -l "$WL/tiles-mixed.txt" "$WL/tiles-high.txt"

say "partimap: build and load the store"
cargo build --release --locked -q
if [ ! -f "$OUT/store/partimap.sqlite" ]; then
    rm -rf "$OUT/store.tmp" && mkdir -p "$OUT/store.tmp"
    PARTIMAP_WORKLOAD=$WL cargo bench --locked -q --bench load_workload -- --bench "$OUT/store.tmp"
    mv "$OUT/store.tmp" "$OUT/store"
fi

say "PostGIS: a throwaway cluster, the workload loaded with ogr2ogr"
# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# postgres user the Debian package created.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
rm -rf "$OUT/pg" && mkdir -p "$OUT/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$OUT/pg"
as_pg "$PG_BIN/initdb" -D "$OUT/pg" -U postgres --auth=trust >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$OUT/pg" -l "$OUT/pg/server.log" -w \
    -o "-p $PG_PORT -k $OUT/pg -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c fsync=off" start >/dev/null
PSQL=(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -q)
"${PSQL[@]}" -c "CREATE DATABASE nrw"
"${PSQL[@]}" -d nrw -c "CREATE EXTENSION postgis"
PG="PG:host=127.0.0.1 port=$PG_PORT user=postgres dbname=nrw"
for layer in procedures reports; do
    start=$(date +%s%N)
    ogr2ogr -f PostgreSQL "$PG" "$WL/$layer.geojson" -nln "$layer" -lco GEOMETRY_NAME=geom \
        --config PG_USE_COPY YES
    echo "ogr2ogr $layer: $((($(date +%s%N) - start) / 1000000)) ms"
done
"${PSQL[@]}" -d nrw -c "ANALYZE"

# partimap with the given cache (MB); sets PM_PID.
start_partimap() {
    "$ROOT/target/release/partimap" serve --data-dir "$OUT/store" --bind "127.0.0.1:$PM_PORT" \
        --tile-cache-mb "$1" >"$OUT/partimap.log" 2>&1 &
    PM_PID=$!
    PIDS+=("$PM_PID")
    wait_for "http://127.0.0.1:$PM_PORT/readyz" 120
}
stop_partimap() { kill "$PM_PID"; wait "$PM_PID" 2>/dev/null || true; }

say "partimap, cache off"
start_partimap 0
RSS_MB=$(($(awk '/^VmRSS/ {print $2}' "/proc/$PM_PID/status") / 1024))
echo "resident memory with the workload loaded: $RSS_MB MB"
PM_MIXED=$(replay "http://127.0.0.1:$PM_PORT" tiles-mixed.txt "/tiles/%s.mvt")
echo "mixed: $PM_MIXED"
PM_HIGH=$(replay "http://127.0.0.1:$PM_PORT" tiles-high.txt "/tiles/%s.mvt")
echo "zoom >= 12: $PM_HIGH"
stop_partimap

say "partimap, cache warm; its tile bytes written out for nginx"
start_partimap 2048
rm -rf "$OUT/static" && mkdir -p "$OUT/static"
# Every tile of the list once (this warms the cache), its gzip bytes kept.
sort -u "$WL/tiles-mixed.txt" | python3 -c '
import os, sys, urllib.request
base, out = sys.argv[1], sys.argv[2]
largest = (0, "")
for line in sys.stdin:
    t = line.strip()
    req = urllib.request.Request(f"{base}/tiles/{t}.mvt", headers={"Accept-Encoding": "gzip"})
    body = urllib.request.urlopen(req).read()
    largest = max(largest, (len(body), t))
    path = os.path.join(out, "tiles", t + ".mvt")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(body)
print(f"largest tile of the list, gzip: {largest[0] / 1024:.0f} KB ({largest[1]})")
' "http://127.0.0.1:$PM_PORT" "$OUT/static"
PM_WARM=$(replay "http://127.0.0.1:$PM_PORT" tiles-mixed.txt "/tiles/%s.mvt")
echo "mixed, warm: $PM_WARM"
curl -s "http://127.0.0.1:$PM_PORT/metrics" | grep -E '^partimap_tile_cache_(hits|misses)_total' || true
stop_partimap

say "nginx serving the same bytes as static files"
mkdir -p "$OUT/nginx"
cat >"$OUT/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $OUT/nginx/nginx.pid;
error_log $OUT/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $OUT/nginx;
    proxy_temp_path $OUT/nginx;
    fastcgi_temp_path $OUT/nginx;
    uwsgi_temp_path $OUT/nginx;
    scgi_temp_path $OUT/nginx;
    types { application/vnd.mapbox-vector-tile mvt; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $OUT/static;
        add_header Content-Encoding gzip;
    }
}
EOF
nginx -c "$OUT/nginx/nginx.conf"
wait_for "http://127.0.0.1:$NGINX_PORT/tiles/$(head -1 "$WL/tiles-mixed.txt").mvt" 10
NGINX_MIXED=$(replay "http://127.0.0.1:$NGINX_PORT" tiles-mixed.txt "/tiles/%s.mvt")
echo "mixed: $NGINX_MIXED"
kill "$(cat "$OUT/nginx/nginx.pid")"

say "Martin 1.14 on PostGIS, as it runs by default (its tile cache on)"
martin -l "127.0.0.1:$MARTIN_PORT" "postgres://postgres@127.0.0.1:$PG_PORT/nrw" >"$OUT/martin.log" 2>&1 &
PIDS+=($!)
wait_for "http://127.0.0.1:$MARTIN_PORT/health" 60
MARTIN_MIXED=$(replay "http://127.0.0.1:$MARTIN_PORT" tiles-mixed.txt "/procedures,reports/%s")
echo "mixed: $MARTIN_MIXED"
MARTIN_HIGH=$(replay "http://127.0.0.1:$MARTIN_PORT" tiles-high.txt "/procedures,reports/%s")
echo "zoom >= 12: $MARTIN_HIGH"

say "summary (same machine, same run; wrk -t2 -c$CONNECTIONS -d$DURATION)"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "inf" }'; }
row() { printf '%-34s %10s %10s %10s\n' "$1" "$(echo "$2" | field tiles/s)" "$(echo "$2" | field p50)" "$(echo "$2" | field p99)"; }
printf '%-34s %10s %10s %10s\n' "" "tiles/s" "p50 ms" "p99 ms"
row "partimap mixed, cache off" "$PM_MIXED"
row "Martin mixed" "$MARTIN_MIXED"
row "partimap zoom >= 12, cache off" "$PM_HIGH"
row "Martin zoom >= 12" "$MARTIN_HIGH"
row "partimap mixed, cache warm" "$PM_WARM"
row "nginx mixed, static files" "$NGINX_MIXED"
echo
echo "mixed, cache off:   partimap / Martin = $(ratio "$(echo "$PM_MIXED" | field tiles/s)" "$(echo "$MARTIN_MIXED" | field tiles/s)")x (bar: 1000x, p99 <= 50 ms)"
echo "zoom >= 12, off:    partimap / Martin = $(ratio "$(echo "$PM_HIGH" | field tiles/s)" "$(echo "$MARTIN_HIGH" | field tiles/s)")x (bar: 20x)"
echo "mixed, cache warm:  partimap / nginx  = $(awk -v a="$(echo "$PM_WARM" | field tiles/s)" -v b="$(echo "$NGINX_MIXED" | field tiles/s)" 'BEGIN { printf "%.2f", a / b }') (bar: 0.5)"
echo "resident memory:    $RSS_MB MB (bar: 1536 MB)"
