#!/usr/bin/env bash
# Regenerates the golden files from Go's own text/template (the oracle) and
# the Unicode tables from Go's unicode package. Needs a Go toolchain (no
# network: standard library only). CI does not run this; it only checks the
# committed results.
#
#   crates/template/tests/oracle/regenerate.sh [path/to/go]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
crate="$(cd "$here/../.." && pwd)"
go="${1:-${GO:-}}"
if [ -z "$go" ]; then
  if command -v go >/dev/null 2>&1; then go=go; else go=/usr/lib/go-1.19/bin/go; fi
fi
export GOFLAGS=-mod=mod GOPROXY=off GOCACHE="${GOCACHE:-/tmp/gocache}" GO111MODULE=auto
cd "$here"
"$go" version
"$go" run ./main.go cases.txt datasets.json "$crate/tests/golden/cases.json"
"$go" run ./unicodegen/main.go "$crate/src/unicode_tables.rs"
if command -v rustfmt >/dev/null 2>&1; then
  rustfmt --edition 2024 "$crate/src/unicode_tables.rs"
fi
