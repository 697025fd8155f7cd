#!/usr/bin/env bash
# The import benchmark of the ingestion issue, on the shared workload, side by
# side in one run and on one throwaway PostGIS cluster:
#
#   reports.geojson (1,000,000 reports) and a file three times as large
#   -> PostGIS with ogr2ogr (COPY, what GIS staff use today; validates nothing)
#   -> PostGIS with `partimap import` (validation, reprojection, upsert on the
#      reports' ids, all-or-nothing)
#
# and prints wall time, peak memory (max RSS) and the ratios; then how long a
# tile server started on the imported database takes to be ready (/readyz).
#
#   benches/import-vs-ogr2ogr.sh            (PARTIMAP_WORKLOAD=DIR to reuse a workload)
#
# Installs gdal-bin, PostgreSQL 15 + PostGIS and GNU time via apt when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${PARTIMAP_SHARED:-$ROOT/../shared}
OUT=$ROOT/target/bench
WL=${PARTIMAP_WORKLOAD:-$OUT/workload}
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*"; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
need=()
command -v ogr2ogr >/dev/null 2>&1 || need+=(gdal-bin)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need+=(postgresql-15-postgis-3)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    say "installing ${need[*]}"
    sudo_ apt-get update -qq
    sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ ! -f "$WL/reports.geojson" ]; then
    say "making the shared workload in $WL"
    python3 "$SHARED/bench/make-nrw-workload.py" "$WL"
fi
if [ ! -f "$OUT/reports-3x.geojson" ]; then
    say "a file three times as large (each report three times, ids made unique)"
    python3 - "$WL/reports.geojson" "$OUT/reports-3x.geojson" <<'EOF'
import sys
src, dst = sys.argv[1], sys.argv[2]
with open(dst, "w") as out:
    out.write('{"type":"FeatureCollection","features":[\n')
    first = True
    for copy in ("a", "b", "c"):
        for line in open(src):
            line = line.strip()
            if line.startswith(","):
                line = line[1:]
            if not line.startswith('{"type":"Feature"'):
                continue
            line = line.replace('"id":"R', '"id":"%s-R' % copy)
            out.write(("" if first else ",") + line + "\n")
            first = False
    out.write("]}\n")
EOF
fi

say "building"
cargo build --release --locked -q
cargo bench --locked -q --bench load_workload --no-run 2>/dev/null

say "a throwaway PostGIS cluster"
# shellcheck source=../scripts/postgis.sh
source scripts/postgis.sh
postgis_start
BASE=${PARTIMAP_TEST_POSTGRES%/*}
PORT=${BASE##*:}
PSQL=(psql -h 127.0.0.1 -p "$PORT" -U postgres -q -v ON_ERROR_STOP=1)

# measure NAME COMMAND… : wall seconds and max RSS (MB) into $OUT/NAME.time
measure() {
    local name=$1
    shift
    /usr/bin/time -f "%e %M" -o "$OUT/$name.time" "$@" >"$OUT/$name.log" 2>&1 || {
        echo "$name failed:"
        tail -20 "$OUT/$name.log"
        exit 1
    }
    read -r wall rss <"$OUT/$name.time"
    printf '%-34s %8.1f s %8.0f MB\n' "$name" "$wall" "$((rss / 1024))"
}

# Lets the cluster settle before a measurement: the previous load's dirty
# buffers and pages written out, and no autovacuum worker still analysing the table
# it filled (which would otherwise run beside the next tool, on these two
# cores, and slow whichever comes second).
settle() {
    "${PSQL[@]}" -d postgres -c CHECKPOINT
    # The cluster runs with fsync off: what the previous tool wrote is still
    # dirty in the page cache, and the kernel would write it back during
    # the next measurement.
    sync
    for _ in $(seq 120); do
        busy=$("${PSQL[@]}" -d postgres -tAc \
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
        [ "$busy" = 0 ] && break
        sleep 1
    done
    sleep 2
}

declare -A WALL RSS
for size in 1x 3x; do
    file=$WL/reports.geojson
    [ "$size" = 3x ] && file=$OUT/reports-3x.geojson
    "${PSQL[@]}" -c "CREATE DATABASE ogr_$size TEMPLATE partimap_template" \
        -c "CREATE DATABASE pm_$size TEMPLATE partimap_template"
    # The workload's organisations and procedures, which the reports name.
    PARTIMAP_WORKLOAD=$WL cargo bench --locked -q --bench load_workload -- --bench "$BASE/pm_$size" --no-reports >/dev/null
    say "reports ($size, $(du -m "$file" | cut -f1) MB)"
    settle
    measure "ogr2ogr $size" ogr2ogr -f PostgreSQL "PG:host=127.0.0.1 port=$PORT user=postgres dbname=ogr_$size" \
        "$file" -nln reports -lco GEOMETRY_NAME=geom --config PG_USE_COPY YES
    read -r WALL[ogr$size] RSS[ogr$size] <"$OUT/ogr2ogr $size.time"
    settle
    measure "partimap import $size" target/release/partimap import "$file" --layer reports \
        --database-url "$BASE/pm_$size" --no-sample --log-format json
    read -r WALL[pm$size] RSS[pm$size] <"$OUT/partimap import $size.time"
    grep -q '"inserted": ' "$OUT/partimap import $size.log" || { echo "no answer"; exit 1; }
    grep -E '"(inserted|rejected)"' "$OUT/partimap import $size.log" | tr -d ' ,' | paste -sd ' '
done

say "a tile server started on the imported database (1x): time to /readyz 200"
settle
SERVE_PORT=$(postgis_free_port)
start=$(date +%s.%N)
target/release/partimap serve --database-url "$BASE/pm_1x" --no-sample --bind "127.0.0.1:$SERVE_PORT" \
    >"$OUT/serve-ready.log" 2>&1 &
SERVER=$!
until curl -sf -o /dev/null "http://127.0.0.1:$SERVE_PORT/readyz"; do
    kill -0 "$SERVER" 2>/dev/null || { tail "$OUT/serve-ready.log"; exit 1; }
    sleep 0.05
done
READY=$(python3 -c "print($(date +%s.%N) - $start)")
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true

say "summary (same machine, same cluster, same run)"
for size in 1x 3x; do
    printf 'reports %s: partimap %.1f s (%d MB) vs ogr2ogr %.1f s (%d MB): ogr2ogr / partimap = %.2f (bar: >= 3)\n' \
        "$size" "${WALL[pm$size]}" "$((RSS[pm$size] / 1024))" "${WALL[ogr$size]}" "$((RSS[ogr$size] / 1024))" \
        "$(python3 -c "print(${WALL[ogr$size]} / ${WALL[pm$size]})")"
done
printf 'peak memory of partimap import: %d MB (1x), %d MB (3x) (bar: < 150 MB, not growing with the file)\n' \
    "$((RSS[pm1x] / 1024))" "$((RSS[pm3x] / 1024))"
printf 'tile server ready on 1M reports: %.1f s (bar: <= 5 s)\n' "$READY"
