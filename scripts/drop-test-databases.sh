#!/usr/bin/env bash
# Drops the databases earlier test runs left behind (each test makes a fresh one and
# none is dropped at its end), so runs on one machine do not fill its disk.
set -euo pipefail
admin=${LAKEPORT_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
stale=$(psql "$admin" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'lakeport\_test\_%'")
count=0
for name in $stale; do
  psql "$admin" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
  count=$((count + 1))
done
printf '[test] dropped %d databases of earlier test runs\n' "$count" >&2
