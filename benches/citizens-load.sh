#!/usr/bin/env bash
# The load test of the participation API: 200 citizens post reports into
# Siegen's (post-moderated) defect reporter of the sample data for 30 s,
# each as fast as it is answered, while wrk fetches tiles of Siegen beside
# them — on the embedded store and on PostGIS. Then every report is read back
# through the feature API: no 5xx, every 201's report stored, none twice
# (benches/citizens_load.rs). Installs wrk and PostGIS via apt when missing.
#
#   benches/citizens-load.sh [CITIZENS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${PARTIMAP_SHARED:-$ROOT/../shared}
CITIZENS=${1:-200}
SECONDS_=${2:-30}
OUT=$ROOT/target/bench/citizens
rm -rf "$OUT"
mkdir -p "$OUT"

need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
if [ ${#need[@]} -gt 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== building"
cargo build --release --locked -q
cargo bench --locked -q --bench citizens_load --no-run 2>/dev/null

# The tiles a map of Siegen asks for, zooms 10 to 16.
python3 - >"$OUT/tiles.txt" <<'PY'
import math
def tile(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y
for z in range(10, 17):
    x0, y0 = tile(7.98, 50.91, z)
    x1, y1 = tile(8.07, 50.84, z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            print(f"{z}/{x}/{y}")
PY

# shellcheck source=../scripts/postgis.sh
source scripts/postgis.sh
free_port() { postgis_free_port; }

run() {
    local name=$1
    shift
    local port
    port=$(free_port)
    target/release/partimap serve --bind "127.0.0.1:$port" --reports-per-hour 0 "$@" \
        >"$OUT/serve-$name.log" 2>&1 &
    local server=$!
    until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do
        kill -0 "$server" 2>/dev/null || { tail "$OUT/serve-$name.log"; exit 1; }
        sleep 0.1
    done
    local procedure
    procedure=$(curl -sf "http://127.0.0.1:$port/api/v1/procedures?bbox=7.9,50.8,8.1,50.95&kind=reporting" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')
    echo
    echo "== $name: $CITIZENS citizens for $SECONDS_ s into procedure $procedure, wrk on tiles beside them"
    TILE_LIST=$OUT/tiles.txt TILE_FMT="/tiles/%s.mvt" wrk -t1 -c8 -d"${SECONDS_}s" --timeout 30s \
        -s "$SHARED/bench/tiles.lua" "http://127.0.0.1:$port" >"$OUT/wrk-$name.log" 2>&1 &
    local wrk=$!
    local status=0
    cargo bench --locked -q --bench citizens_load -- "http://127.0.0.1:$port" "$procedure" \
        "$CITIZENS" "$SECONDS_" || status=$?
    wait "$wrk" || true
    echo "tiles beside it: $(tail -1 "$OUT/wrk-$name.log")"
    kill "$server"
    wait "$server" 2>/dev/null || true
    return $status
}

failed=0
run embedded --data-dir "$OUT/store" || failed=1
postgis_start
BASE=${PARTIMAP_TEST_POSTGRES%/*}
PORT=${BASE##*:}
psql -h 127.0.0.1 -p "$PORT" -U postgres -q -c "CREATE DATABASE citizens TEMPLATE partimap_template"
run postgis --database-url "$BASE/citizens" || failed=1
exit $failed
