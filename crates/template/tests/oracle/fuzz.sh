#!/usr/bin/env bash
# Differential testing against Go: generates templates with the strategies of
# tests/robustness.rs, runs them through Go's text/template (the oracle) and
# checks this engine agrees on every output and error message.
#
#   crates/template/tests/oracle/fuzz.sh [seed] [count]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
crate="$(cd "$here/../.." && pwd)"
seed="${1:-0}"
count="${2:-20000}"
go="${GO:-$(command -v go || echo /usr/lib/go-1.19/bin/go)}"
export GOFLAGS=-mod=mod GOPROXY=off GOCACHE="${GOCACHE:-/tmp/gocache}" GO111MODULE=auto
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$crate"
DUMP_CASES="$work/cases.txt" SEED="$seed" COUNT="$count" \
  cargo test -q -p template --test robustness dump_generated_cases_for_oracle >/dev/null
(cd "$here" && "$go" run ./main.go "$work/cases.txt" datasets.json "$work/golden.json")
TEMPLATE_GOLDEN="$work/golden.json" cargo test -q -p template --test golden
