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
export LAKEPORT_ADMIN_PASSWORD="e2e-$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')"
export LAKEPORT_AUTH__ADMIN_PASSWORD="$LAKEPORT_ADMIN_PASSWORD"
# Every browser test signs in from 127.0.0.1; the default 20 a minute is for people.
export LAKEPORT_AUTH__SIGN_IN_PER_MINUTE_PER_ADDRESS=600
# The S3 test server runs on loopback, which the outbound policy refuses unless allowed.
export LAKEPORT_OUTBOUND__ALLOW=127.0.0.1
bin="$CARGO_TARGET_DIR/debug/lakeport"

cleanup() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "${s3:-}" ] && kill "$s3" 2>/dev/null && wait "$s3" 2>/dev/null
  psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $database" || true
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" demo-data --scale-factor 0.002 --files 2 >/dev/null

# A real S3 server that checks SigV4 (moto), holding a copy of the demo files.
# Its stdin is a pipe we keep open: the fixture stops when it closes.
mkfifo "$work/s3.stdin"
exec 3<>"$work/s3.stdin"
python3 server/tests/fixtures/s3_server.py --port 0 --bucket lake <&3 >"$work/s3.json" 2>"$work/s3.log" &
s3=$!
for _ in $(seq 1 300); do [ -s "$work/s3.json" ] && break; sleep 0.2; done
[ -s "$work/s3.json" ] || { echo "the S3 fixture did not start"; cat "$work/s3.log"; exit 1; }
eval "$(python3 - "$work/s3.json" "$LAKEPORT_DATA_DIR/lake/tpch/lineitem" <<'PY'
import json, pathlib, sys, boto3
creds = json.loads(open(sys.argv[1]).readline())
s3 = boto3.client("s3", endpoint_url=creds["endpoint"], region_name=creds["region"],
                  aws_access_key_id=creds["access_key"], aws_secret_access_key=creds["secret_key"])
for path in sorted(pathlib.Path(sys.argv[2]).glob("*.parquet")):
    s3.upload_file(str(path), "lake", f"tpch/lineitem/{path.name}")
for key, value in [("ENDPOINT", "endpoint"), ("REGION", "region"), ("ACCESS_KEY", "access_key"), ("SECRET_KEY", "secret_key")]:
    print(f"export E2E_S3_{key}='{creds[value]}'")
PY
)"
export LAKEPORT_S3_ENDPOINT="$E2E_S3_ENDPOINT"
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
