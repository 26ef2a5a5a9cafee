#!/usr/bin/env bash
# Installs and starts what Lakeport needs, skipping whatever is already there.
# `setup.sh run` prepares building and running; `setup.sh test` adds the test
# fixtures (S3 and Iceberg servers, the browser). Debian/Ubuntu, as root or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}

log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing_packages=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing_packages+=(postgresql)
command -v curl >/dev/null || missing_packages+=(curl)
command -v npm >/dev/null || missing_packages+=(nodejs npm)
if [ "$mode" = test ]; then
  command -v jq >/dev/null || missing_packages+=(jq)
  command -v python3 >/dev/null || missing_packages+=(python3)
  python3 -m pip --version >/dev/null 2>&1 || missing_packages+=(python3-pip)
  command -v chromium >/dev/null || missing_packages+=(chromium)
fi
if [ ${#missing_packages[@]} -gt 0 ]; then
  log "installing ${missing_packages[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_packages[@]}" >/dev/null
fi

# wasm32 target, cargo-leptos and wasm-bindgen for the front end.
bash .ci/install-tools.sh

# tailwindcss and wasm-opt for cargo-leptos.
if [ ! -x node_modules/.bin/tailwindcss ]; then
  log "installing front-end build tools (npm)"
  npm ci --no-audit --no-fund --loglevel=error
fi

[ "$mode" = test ] || exit 0

# The S3 and Iceberg fixture servers' Python side.
if ! python3 -c 'import moto.server, flask, pyiceberg, botocore' 2>/dev/null; then
  log "installing moto and pyiceberg (S3 and Iceberg test fixtures)"
  python3 -m pip install -q -r server/tests/fixtures/requirements.txt
fi

# DuckDB and pyarrow, which the benchmark measures Lakeport against.
if ! python3 -c 'import duckdb, pyarrow' 2>/dev/null; then
  log "installing duckdb and pyarrow (benchmark peers)"
  python3 -m pip install -q -r bench/requirements.txt
fi

# schemathesis, which fuzzes the API from its OpenAPI document.
if ! python3 -c 'import schemathesis' 2>/dev/null; then
  log "installing schemathesis (API fuzzer)"
  python3 -m pip install -q -r scripts/fuzz-requirements.txt
fi

# A real Iceberg REST catalog for the iceberg-rest tests (a long build, once per machine).
if ! rustberg --version 2>/dev/null | grep -q '0.3.0'; then
  log "installing rustberg (Iceberg REST catalog for tests)"
  cargo install rustberg --version 0.3.0 --locked
fi

# playwright-core for the browser tests.
if [ ! -d end2end/node_modules ]; then
  log "installing browser test packages (npm)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi
