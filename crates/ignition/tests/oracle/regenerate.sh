#!/usr/bin/env bash
# Regenerates the golden outputs of crates/ignition/tests/fixtures with Go's real encoding/json.
#
# For every fixture `NAME.ign` that has a `NAME.golden.json` beside it, runs the oracle (see
# main.go) and overwrites the golden. Needs only a Go toolchain with its standard library; no
# network. The Rust tests never run Go: they compare against the committed goldens.
#
# The oracle's structs (v3_*/schema.go) are generated from src/types.rs; after changing that
# table, first run `KINDLING_REGENERATE=1 cargo test -p ignition --test oracle_schema`.
#
#   GO=/usr/lib/go-1.19/bin/go crates/ignition/tests/oracle/regenerate.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fixtures="$here/../fixtures"
GO="${GO:-go}"
export GOPROXY=off GOFLAGS=-mod=mod GOCACHE="${GOCACHE:-/tmp/gocache}" GO111MODULE=on
bin="$(mktemp -d)/oracle"
(cd "$here" && "$GO" build -o "$bin" .)
count=0
for input in "$fixtures"/*.ign; do
  golden="${input%.ign}.golden.json"
  [ -e "$golden" ] || continue
  "$bin" < "$input" > "$golden.tmp"
  mv "$golden.tmp" "$golden"
  count=$((count + 1))
done
rm -rf "$(dirname "$bin")"
echo "regenerated $count goldens"
