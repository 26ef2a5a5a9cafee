# Sourced by the suites that talk to a running Lakeport over HTTP (the browser tests, the API
# fuzzer): `start_live_server` starts the built binary on a fresh database, beside a real S3
# server that checks SigV4 (moto) holding a copy of the demo files, and waits until it is ready.
# It exports LAKEPORT_URL, LAKEPORT_ADMIN_PASSWORD, LAKEPORT_DEMO_PATH and E2E_S3_*; the EXIT
# trap it sets stops everything and drops the database. Expects `source scripts/env.sh` first.

start_live_server() {
  live_work=$(mktemp -d)
  chmod 711 "$live_work"
  live_database="lakeport_live_$(date +%s)_$$"
  psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $live_database"
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export LAKEPORT_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$live_database"
  export LAKEPORT_LISTEN_ADDR="127.0.0.1:$port"
  export LAKEPORT_DATA_DIR="$live_work/data"
  export LAKEPORT_SITE_ROOT="$PWD/target/site"
  export LAKEPORT_SYNC__POLL_INTERVAL_MS=200
  LAKEPORT_ADMIN_PASSWORD="live-$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')"
  export LAKEPORT_ADMIN_PASSWORD
  export LAKEPORT_AUTH__ADMIN_PASSWORD="$LAKEPORT_ADMIN_PASSWORD"
  # Every test signs in from 127.0.0.1; the default 20 a minute is for people.
  export LAKEPORT_AUTH__SIGN_IN_PER_MINUTE_PER_ADDRESS=600
  # The S3 test server runs on loopback, which the outbound policy refuses unless allowed.
  export LAKEPORT_OUTBOUND__ALLOW=127.0.0.1
  live_bin="${LAKEPORT_BIN:-$CARGO_TARGET_DIR/debug/lakeport}"
  trap stop_live_server EXIT

  "$live_bin" demo-data --scale-factor 0.002 --files 2 >/dev/null

  # Its stdin is a pipe we keep open: the fixture stops when it closes.
  mkfifo "$live_work/s3.stdin"
  exec 3<>"$live_work/s3.stdin"
  python3 server/tests/fixtures/s3_server.py --port 0 --bucket lake <&3 >"$live_work/s3.json" 2>"$live_work/s3.log" &
  live_s3=$!
  for _ in $(seq 1 300); do [ -s "$live_work/s3.json" ] && break; sleep 0.2; done
  [ -s "$live_work/s3.json" ] || { echo "the S3 fixture did not start"; cat "$live_work/s3.log"; return 1; }
  eval "$(python3 - "$live_work/s3.json" "$LAKEPORT_DATA_DIR/lake/tpch/lineitem" <<'PY'
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
  live_log="$live_work/server.log"
  "$live_bin" serve >"$live_log" 2>&1 &
  live_server=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/ready" >/dev/null && break
    sleep 0.2
  done
  export LAKEPORT_URL="http://127.0.0.1:$port"
  export LAKEPORT_DEMO_PATH="$LAKEPORT_DATA_DIR/lake/tpch/lineitem"
}

stop_live_server() {
  [ -n "${live_server:-}" ] && kill "$live_server" 2>/dev/null && wait "$live_server" 2>/dev/null
  [ -n "${live_s3:-}" ] && kill "$live_s3" 2>/dev/null && wait "$live_s3" 2>/dev/null
  [ -n "${live_database:-}" ] && psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $live_database" || true
  [ -n "${live_work:-}" ] && rm -rf "$live_work"
}
