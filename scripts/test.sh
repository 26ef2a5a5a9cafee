#!/usr/bin/env bash
# Runs every test against real servers: Postgres, an S3 server that checks SigV4,
# and headless Chromium for the UI. Installs or starts whatever is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
bash scripts/ensure-postgres.sh
bash scripts/drop-test-databases.sh
source scripts/env.sh

step() { printf '\n== %s\n' "$*" >&2; }

step "format and lints"
cargo fmt --all --check
cargo clippy -p lakeport-wire --features openapi --all-targets -- -D warnings
cargo clippy -p lakeport --all-targets -- -D warnings
cargo clippy -p lakeport-app --features ssr --all-targets -- -D warnings
cargo clippy -p lakeport-frontend --target wasm32-unknown-unknown -- -D warnings

step "build (server + hydrated front end)"
cargo leptos build

step "unit and integration tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run -p lakeport-wire --no-fail-fast
  cargo nextest run -p lakeport-app --features ssr --no-fail-fast
  cargo nextest run -p lakeport --no-fail-fast --test-threads 4
else
  cargo test -p lakeport-wire --no-fail-fast
  cargo test -p lakeport-app --features ssr --no-fail-fast
  cargo test -p lakeport --no-fail-fast -- --test-threads 4
fi

step "benchmark at a tiny scale (so it cannot rot; figures in bench/out/results.json)"
python3 bench/sync_bench.py --scale-factor 0.01 --files 2 --binary "$CARGO_TARGET_DIR/debug/lakeport"

step "API fuzzing (schemathesis on /openapi.json: no 5xx, every answer as documented)"
bash scripts/fuzz-api.sh

if [ -f end2end/package.json ]; then
  step "browser tests"
  bash end2end/run.sh
fi
