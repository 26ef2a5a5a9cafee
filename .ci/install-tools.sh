#!/usr/bin/env bash
# Installs the build tools cargo-leptos needs, from registries only, skipping
# what is already on PATH at the right version. Safe to run repeatedly.
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130

log() { printf '[install-tools] %s\n' "$*" >&2; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Installs a crate from its crates.io tarball after pinning one dependency,
# because the published lockfiles of these tools do not build on our toolchain.
install_from_source() {
  local crate=$1 version=$2 pin_pkg=$3 pin_version=$4 bin=$5
  local work
  work=$(mktemp -d)
  log "installing $crate $version from source (slow, once per machine)"
  curl -sSfL "https://static.crates.io/crates/$crate/$crate-$version.crate" | tar -xz -C "$work"
  (
    cd "$work/$crate-$version"
    cargo update -p "$pin_pkg" --precise "$pin_version"
    cargo install --path . --locked --bin "$bin"
  )
  rm -rf "$work"
}

if ! cargo-leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  install_from_source cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-util-schemas 0.14.1 cargo-leptos
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  install_from_source wasm-bindgen-cli "$WASM_BINDGEN_VERSION" webpki-roots 1.0.10 wasm-bindgen
fi

log "tools ready: $(cargo-leptos --version), $(wasm-bindgen --version)"
