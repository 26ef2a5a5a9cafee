# Shared settings for the scripts: keep cargo's build output outside the clone so
# that a fresh clone (as CI makes) reuses earlier builds on the same machine.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/lakeport/target}"
export PATH="$HOME/.cargo/bin:$PATH"
mkdir -p "$CARGO_TARGET_DIR"
# CI builds a fresh clone once: incremental state for it would only fill the disk.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
