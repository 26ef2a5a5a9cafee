#!/usr/bin/env bash
# Starts a built lakeport on a fresh database with one synced table, then runs the
# browser tests against it with Debian's Chromium. Expects `cargo leptos build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

work=$(mktemp -d)
chmod 711 "$work"
database="lakeport_e2e_$(date +%s)_$$"
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $database"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export LAKEPORT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database"
export LAKEPORT_LISTEN_ADDR="127.0.0.1:$port"
export LAKEPORT_DATA_DIR="$work/data"
export LAKEPORT_SITE_ROOT="$PWD/target/site"
export LAKEPORT_SYNC__POLL_INTERVAL_MS=200
bin="$CARGO_TARGET_DIR/debug/lakeport"

cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $database" || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" demo-data --scale-factor 0.002 --files 2 >/dev/null
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
  sleep 0.2
done

export LAKEPORT_URL="http://127.0.0.1:$port"
export LAKEPORT_DEMO_PATH="$LAKEPORT_DATA_DIR/lake/tpch/lineitem"
mkdir -p end2end/test-results
(cd end2end && node --test tests/) || { echo "--- server log"; tail -50 "$work/server.log"; exit 1; }
