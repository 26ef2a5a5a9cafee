#!/usr/bin/env bash
# Runs Lakeport on embedded defaults: its own Postgres in .lakeport/, segments on
# disk, and a demo dataset (TPC-H lineitem) ready to connect as a local folder.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh run
source scripts/env.sh
cargo leptos build --release
bin="$CARGO_TARGET_DIR/release/lakeport"
export LAKEPORT_DATA_DIR="${LAKEPORT_DATA_DIR:-$PWD/.lakeport}"
export LAKEPORT_SITE_ROOT="${LAKEPORT_SITE_ROOT:-$PWD/target/site}"
# A local demo may connect to a MinIO or catalog on this machine; a server set up for
# others leaves loopback refused (see "Outbound requests" in the README).
export LAKEPORT_OUTBOUND__ALLOW="${LAKEPORT_OUTBOUND__ALLOW-127.0.0.1,::1,localhost}"
if [ ! -d "$LAKEPORT_DATA_DIR/lake/tpch/lineitem" ]; then
  "$bin" demo-data --scale-factor 0.1 --files 4
fi
cat <<MSG

  Lakeport: http://${LAKEPORT_LISTEN_ADDR:-127.0.0.1:9000}
  Sign in as admin with the password in $LAKEPORT_DATA_DIR/initial-admin-password
    (written on first start unless LAKEPORT_AUTH__ADMIN_PASSWORD is set)
  Demo data: $LAKEPORT_DATA_DIR/lake/tpch/lineitem (connect it as a Local folder)

MSG
exec "$bin" serve
