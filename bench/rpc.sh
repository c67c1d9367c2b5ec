#!/usr/bin/env bash
# Configuration writes on a large configuration: THREADS Python grpcio
# clients (mutual TLS) put groups into a store that already holds
# DATA_GROUPS groups; each write must be served over HTTP when the RPC
# returns, so the cost is storing it and applying it to the snapshot. Then,
# for a data directory, the time from writing a group file on disk to its
# being served (EDITS edits, each checked over HTTP), and the server's
# resident memory with DATA_GROUPS groups loaded.
#
# STORE=dir   the data directory (fsync, rename, inotify);
# STORE=etcd  three etcd members on loopback (a quorum commit per write; the
#             write returns once the watch brought it back into the snapshot).
# There is no peer: matchbox cannot be built here (no Go module proxy).
#
# Needs: python3-grpcio python3-grpc-tools (Debian), python3; etcd-server
# and etcd-client for STORE=etcd.
# Usage: bench/rpc.sh      (STORE=dir DATA_GROUPS=10000 THREADS=16 PER=10 EDITS=20)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
STORE=${STORE:-dir}; GROUPS_N=${DATA_GROUPS:-10000}; THREADS=${THREADS:-16}; PER=${PER:-10}; EDITS=${EDITS:-20}
/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || { echo "bench/rpc.sh needs python3-grpcio and python3-grpc-tools" >&2; exit 1; }
if [ "$STORE" = etcd ]; then
  command -v etcd >/dev/null && command -v etcdctl >/dev/null || { echo "STORE=etcd needs etcd-server and etcd-client" >&2; exit 1; }
fi
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d); pid=; etcd_pids=()
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; for p in "${etcd_pids[@]}"; do kill $p 2>/dev/null; done; rm -rf "$work"' EXIT
"$BIN" certs init "$work/certs" --san localhost,127.0.0.1 >/dev/null
/usr/bin/python3 -m grpc_tools.protoc -I crates/rpc/proto --python_out="$work" --grpc_python_out="$work" \
  matchbox/storage/storagepb/storage.proto matchbox/server/serverpb/messages.proto matchbox/rpc/rpcpb/rpc.proto
python3 bench/gen_data.py "$work/data" "$GROUPS_N" >/dev/null

store_flags=(--data-path "$work/data")
if [ "$STORE" = etcd ]; then
  cluster="" endpoints=""
  for i in 0 1 2; do
    c=$(free_port); p=$(free_port)
    cluster+="${cluster:+,}m$i=http://127.0.0.1:$p"; endpoints+="${endpoints:+,}http://127.0.0.1:$c"
    eval "c$i=$c p$i=$p"
  done
  for i in 0 1 2; do
    eval "c=\$c$i p=\$p$i"
    etcd --name "m$i" --data-dir "$work/etcd-$i" --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
      --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
      --initial-cluster "$cluster" --initial-cluster-state new --logger zap --log-level warn 2>"$work/etcd-$i.log" &
    etcd_pids+=($!)
  done
  for _ in $(seq 1 100); do ETCDCTL_API=3 etcdctl --endpoints "$endpoints" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
  started=$(date +%s.%N)
  "$BIN" store import --data-path "$work/data" --etcd-endpoints "$endpoints" >"$work/import.log" 2>/dev/null
  echo "imported $GROUPS_N groups into etcd in $(python3 -c "print(f'{$(date +%s.%N) - $started:.1f}')") s" >&2
  store_flags=(--store etcd --etcd-endpoints "$endpoints" --replica-name bench)
fi

"$BIN" serve --address 127.0.0.1:0 "${store_flags[@]}" --assets-path= --log-level warn --rpc-address 127.0.0.1:0 \
  --ca-file "$work/certs/ca.crt" --cert-file "$work/certs/server.crt" --key-file "$work/certs/server.key" 2>"$work/log" &
pid=$!
for _ in $(seq 1 600); do grep -q 'service="rpc"' "$work/log" && break; sleep 0.1; done
addr=$(sed -n 's/.*service="rpc" addr=\([^ ]*\).*/\1/p' "$work/log")
http=$(sed -n 's/.*service="http" addr=\([^ ]*\).*/\1/p' "$work/log")
rss_loaded=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status")
read -r n secs <<<"$(/usr/bin/python3 bench/rpc_load.py "$work" "$addr" "$work/certs" "$THREADS" "$PER")"
echo "$STORE, $GROUPS_N groups: $THREADS writers x $PER GroupPut: $n writes in $secs s = $(python3 -c "print(f'{$n/$secs:.0f}')") writes/s"
echo "$STORE, $GROUPS_N groups: resident memory $rss_loaded MiB loaded, $(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status") MiB after the writes"

if [ "$STORE" = dir ] && [ "$EDITS" -gt 0 ]; then
  # A group file written on disk (as an operator or a config tool would),
  # then asked for over HTTP until its profile (p1, not the default's p0) answers.
  python3 - "$work/data" "$http" "$EDITS" <<'PY'
import json, os, statistics, sys, time, urllib.request
root, http, edits = sys.argv[1], sys.argv[2], int(sys.argv[3])
took = []
for i in range(edits):
    tmp = os.path.join(root, "groups", f".edit{i}.tmp")
    with open(tmp, "w") as f:
        json.dump({"id": f"edit{i}", "profile": "p1", "selector": {"os": f"edit{i}"}}, f)
    start = time.monotonic()
    os.rename(tmp, os.path.join(root, "groups", f"edit{i}.json"))
    while True:
        with urllib.request.urlopen(f"http://{http}/ipxe?os=edit{i}", timeout=5) as r:
            if b"/assets/flatcar/1/" in r.read():
                break
        if time.monotonic() - start > 10:
            sys.exit(f"edit {i} not served after 10 s")
        time.sleep(0.001)
    took.append((time.monotonic() - start) * 1000)
    time.sleep(0.2)
took.sort()
print(f"dir: an edited group file is served after {statistics.median(took):.0f} ms (median of {edits}; min {took[0]:.0f}, max {took[-1]:.0f})")
PY
fi
