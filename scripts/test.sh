#!/usr/bin/env bash
# Runs every test of partimap on a fresh Debian machine of this project's kind:
# installs what the tests need (Chromium, PostgreSQL 15 and PostGIS, GDAL's ogrinfo from Debian, the npm packages of the
# pages and of the Node test helpers), checks formatting and lints, then runs
# the whole workspace's tests (unit, integration, end-to-end and browser).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: missing Debian packages: $* (run as root, or install them)" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v ogrinfo >/dev/null 2>&1 || missing+=(gdal-bin)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || missing+=(postgresql-15-postgis-3)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]}"
  apt_install "${missing[@]}"
fi

echo "== npm packages"
(cd crates/tiles/web && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/js && npm ci --no-audit --no-fund --loglevel=error)

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== a throwaway PostGIS cluster"
# shellcheck source=scripts/postgis.sh
source scripts/postgis.sh
postgis_start
# Tests that need PostGIS fail instead of skipping when it is missing.
export PARTIMAP_REQUIRE_POSTGRES=1

echo "== cargo test"
cargo test --workspace --all-targets --locked
