#!/usr/bin/env bash
# Starts a built lakeport on a fresh database beside a SigV4-checking S3 server, then runs the
# browser tests against it with Debian's Chromium. Expects `cargo leptos build` first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/live-server.sh
start_live_server

mkdir -p end2end/test-results
(cd end2end && node --test tests/) || { echo "--- server log"; tail -50 "$live_log"; exit 1; }
