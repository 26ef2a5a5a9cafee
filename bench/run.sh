#!/usr/bin/env bash
# Builds a release lakeport and runs the sync benchmark (see README: Benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/ensure-postgres.sh
python3 -c 'import duckdb, pyarrow' 2>/dev/null || python3 -m pip install -q -r bench/requirements.txt
cargo build --release -p lakeport
exec python3 bench/sync_bench.py "$@"
