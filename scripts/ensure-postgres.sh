#!/usr/bin/env bash
# Makes sure a Postgres server answers on 127.0.0.1:5432 for the tests, starting
# the machine's cluster if it is installed but stopped.
set -euo pipefail
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -n | tail -1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
  sleep 1
done
echo "Postgres is not answering on 127.0.0.1:5432; set LAKEPORT_TEST_DATABASE_URL to a server the tests may create databases on" >&2
exit 1
