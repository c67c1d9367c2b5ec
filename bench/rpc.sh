#!/usr/bin/env bash
# gRPC write throughput: THREADS Python grpcio clients (mutual TLS) put
# groups into a data directory that already holds DATA_GROUPS groups. Each write
# must be visible over HTTP when the RPC returns, so the cost is the
# snapshot rebuild; concurrent writers share rebuilds (group commit).
# There is no peer: matchbox cannot be built here (no Go module proxy).
#
# Needs: python3-grpcio python3-grpc-tools (Debian), python3.
# Usage: bench/rpc.sh            (DATA_GROUPS=10000 THREADS=16 PER=10)
set -euo pipefail
cd "$(dirname "$0")/.."
GROUPS_N=${DATA_GROUPS:-10000}; THREADS=${THREADS:-16}; PER=${PER:-10}
/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || { echo "bench/rpc.sh needs python3-grpcio and python3-grpc-tools" >&2; exit 1; }
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d); pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT
"$BIN" certs init "$work/certs" --san localhost,127.0.0.1 >/dev/null
/usr/bin/python3 -m grpc_tools.protoc -I crates/rpc/proto --python_out="$work" --grpc_python_out="$work" \
  matchbox/storage/storagepb/storage.proto matchbox/server/serverpb/messages.proto matchbox/rpc/rpcpb/rpc.proto
python3 bench/gen_data.py "$work/data" "$GROUPS_N" >/dev/null
"$BIN" serve --address 127.0.0.1:0 --data-path "$work/data" --assets-path= --rpc-address 127.0.0.1:0 \
  --ca-file "$work/certs/ca.crt" --cert-file "$work/certs/server.crt" --key-file "$work/certs/server.key" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do grep -q 'service="http"' "$work/log" && break; sleep 0.1; done
addr=$(sed -n 's/.*service="rpc" addr=\([^ ]*\).*/\1/p' "$work/log")
load=$(grep -m1 'data loaded' "$work/log" | sed -n 's/.*millis=\([0-9]*\).*/\1/p')
read -r n secs <<<"$(/usr/bin/python3 bench/rpc_load.py "$work" "$addr" "$work/certs" "$THREADS" "$PER")"
echo "$GROUPS_N groups (full load $load ms); $THREADS writers x $PER GroupPut: $n writes in $secs s = $(python3 -c "print(f'{$n/$secs:.0f}')") writes/s"
