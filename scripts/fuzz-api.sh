#!/usr/bin/env bash
# Fuzzes the REST API from its own OpenAPI document with schemathesis, against a running Lakeport
# on real Postgres and a SigV4-checking S3 server: no 5xx, and every answer (status, content type,
# body) as documented. A bounded number of examples per operation keeps it to a few minutes.
# FUZZ_EXAMPLES overrides the count; extra arguments go to `schemathesis run`.
#
# All checks run but positive_data_acceptance ("a schema-valid request must succeed"): much of
# what the API checks is beyond JSON Schema (a cron expression that parses, a source that
# answers, SQL over a table that exists, a schema named in a table config), and those refusals
# are still checked for their documented status and error body.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/live-server.sh
start_live_server

token=$("$live_bin" create-token --username admin --name api-fuzzer)
report="${FUZZ_REPORT_DIR:-$CARGO_TARGET_DIR/schemathesis}"
mkdir -p "$report"
status=0
schemathesis run "$LAKEPORT_URL/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --exclude-checks positive_data_acceptance \
  --max-examples "${FUZZ_EXAMPLES:-50}" \
  --workers 2 \
  --seed "${FUZZ_SEED:-20261202}" \
  --generation-database none \
  --request-timeout 30 \
  --report junit --report-dir "$report" \
  --no-color "$@" || status=$?
if [ "$status" != 0 ]; then
  echo "--- server log (last 80 lines)"
  tail -80 "$live_log"
fi
exit "$status"
