#!/usr/bin/env bash
# HTTP benchmark: kindling's /ipxe against nginx serving a static file of the
# same size, in one run, with wrk. Two workloads (keep-alive at 64
# connections; a new connection per request, as many iPXE clients do) on data
# directories of 100 and 10,000 MAC-selected groups. Prints a table with
# throughput, the kindling/nginx ratio, p99 latency and kindling's RSS.
#
# Needs: wrk, nginx (apt-get install wrk nginx-light), python3.
# Usage: bench/http.sh            (DURATION=10 CONNECTIONS=64 by default;
#        RECORDER=false runs kindling without its flight recorder, to compare)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
for tool in wrk nginx python3; do
  command -v "$tool" >/dev/null || { echo "bench/http.sh needs $tool (apt-get install wrk nginx-light)" >&2; exit 1; }
done

echo "building the release binary..." >&2
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d)
chmod 755 "$work"   # nginx workers run as an unprivileged user and must read the file
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

. bench/lib.sh

results=()
for groups in 100 10000; do
  data=$work/data-$groups
  python3 bench/gen_data.py "$data" "$groups"
  export MACS_FILE=$data/macs.txt
  port=$(free_port)
  "$BIN" serve --address "127.0.0.1:$port" --data-path "$data" --assets-path= \
    --recorder="${RECORDER:-true}" --recorder-file "$work/recorder-$groups.redb" 2>"$work/kindling-$groups.log" &
  kpid=$!; pids+=("$kpid")
  for _ in $(seq 1 200); do grep -q 'listening' "$work/kindling-$groups.log" 2>/dev/null && break; sleep 0.05; done
  mac=$(head -n1 "$MACS_FILE")
  curl -fsS "http://127.0.0.1:$port/ipxe?mac=$mac" >"$work/ipxe-body"
  size=$(stat -c %s "$work/ipxe-body")

  # nginx: the same bytes as a static file, access log on like kindling's request log.
  nport=$(free_port)
  mkdir -p "$work/nginx-$groups/root"
  chmod -R a+rX "$work"
  cp "$work/ipxe-body" "$work/nginx-$groups/root/ipxe"
  cat >"$work/nginx-$groups/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx-$groups/nginx.pid;
error_log $work/nginx-$groups/error.log;
events { worker_connections 4096; }
http {
  access_log $work/nginx-$groups/access.log;
  default_type text/plain;
  server {
    listen 127.0.0.1:$nport;
    root $work/nginx-$groups/root;
  }
}
CONF
  nginx -c "$work/nginx-$groups/nginx.conf" -g 'daemon off;' &
  npid=$!; pids+=("$npid")
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$nport/ipxe" >/dev/null 2>&1 && break; sleep 0.05; done
  cmp -s "$work/ipxe-body" <(curl -fsS "http://127.0.0.1:$nport/ipxe") || { echo "nginx does not serve the body" >&2; exit 1; }

  for mode in keepalive close; do
    extra=()
    [ "$mode" = close ] && extra=(-H 'Connection: close')
    t0=$(cpu_ticks "$kpid")
    k=$(wrk_run "http://127.0.0.1:$port/ipxe" "${extra[@]}")
    t1=$(cpu_ticks "$kpid")
    n=$(REQ_PATH=/ipxe wrk_run "http://127.0.0.1:$nport/ipxe" "${extra[@]}")
    read -r k_rps k_p99 k_reqs <<<"$k"
    read -r n_rps n_p99 _ <<<"$n"
    # Server CPU per request: independent of how fast the (shared-core) client runs.
    k_cpu=$(python3 -c "print(f'{($t1-$t0)*1e6/$TICK/$k_reqs:.1f}')")
    rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$kpid/status")
    ratio=$(python3 -c "print(f'{$k_rps/$n_rps:.2f}')")
    results+=("$(printf '| %-9s | %6s | %4s B | %8.0f | %8.0f | %5s | %6.2f | %6.2f | %5s | %4s |' "$mode" "$groups" "$size" "$k_rps" "$n_rps" "$ratio" "$k_p99" "$n_p99" "$k_cpu" "$rss")")
  done
  kill "$kpid" "$npid" 2>/dev/null || true
  wait "$kpid" "$npid" 2>/dev/null || true
done

echo
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, random MAC per request; $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| workload | groups | body | kindling r/s | nginx r/s | ratio | kindling p99 ms | nginx p99 ms | kindling CPU µs/req | kindling peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${results[@]}"
