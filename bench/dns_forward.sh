#!/usr/bin/env bash
# DNS forwarding benchmark: every query a cache miss, so every one is
# forwarded. kindling and dnsmasq (as forwarders, caches off) both forward
# to the same upstream, a dnsmasq answering every name under fwd.test
# itself; dnsperf asks each in turn on loopback, in one run. This measures
# what forwarding costs, with kindling sending each attempt from a socket
# of its own on a random port, as dnsmasq does with its random ports.
#
# Reports queries/s, the kindling/dnsmasq-forwarder ratio, average latency,
# lost queries and the forwarder's CPU time per query (it shares the two
# cores with dnsperf and the upstream, so queries/s depends on them; the
# CPU per query does not).
#
# Needs dnsperf, dnsmasq (dnsmasq-base), python3.
# Usage: bench/dns_forward.sh   (DURATION=10 QUERIES=50000 OUTSTANDING=100;
#        BASELINE_BIN=path/to/an/older/kindling adds it as a third forwarder)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
QUERIES=${QUERIES:-50000}
OUTSTANDING=${OUTSTANDING:-100}
for tool in dnsperf dnsmasq python3; do
  command -v "$tool" >/dev/null || { echo "bench/dns_forward.sh needs $tool (apt-get install dnsperf dnsmasq-base)" >&2; exit 1; }
done

echo "building the release binary..." >&2
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
. bench/lib.sh

free_udp() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

up=$(free_udp)
dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=127.0.0.1 --bind-interfaces \
  --pid-file= --user=root --port="$up" --cache-size=0 --dns-forward-max=10000 \
  --address=/fwd.test/10.1.1.1 2>"$work/upstream.log" &
pids+=($!)

# The query file: unique names, so nothing can be answered from a cache.
python3 -c "
import random
r = random.Random(7)
with open('$work/queries', 'w') as f:
    for i in range($QUERIES):
        f.write(f'q{i}-{r.getrandbits(32):08x}.fwd.test A\n')
"

kport=$(free_udp)
cat >"$work/kindling.toml" <<CONF
[dns]
domain = "lab.example"
upstreams = ["127.0.0.1:$up"]
cache_size = 0
CONF
"$BIN" serve --address "127.0.0.1:$(free_port)" --data-path "$work" --assets-path= --recorder=false \
  --config "$work/kindling.toml" --dns --dns-address "127.0.0.1:$kport" 2>"$work/kindling.log" &
kpid=$!; pids+=("$kpid")
if [ -n "${BASELINE_BIN:-}" ]; then
  bport=$(free_udp)
  mkdir -p "$work/baseline"
  "$BASELINE_BIN" serve --address "127.0.0.1:$(free_port)" --data-path "$work" --assets-path= --recorder=false \
    --recorder-file "$work/baseline/recorder.redb" --dhcp-lease-file "$work/baseline/leases.redb" \
    --config "$work/kindling.toml" --dns --dns-address "127.0.0.1:$bport" 2>"$work/baseline.log" &
  bpid=$!; pids+=("$bpid")
fi
dport=$(free_udp)
dnsmasq --keep-in-foreground --no-resolv --no-hosts --listen-address=127.0.0.1 --bind-interfaces \
  --pid-file= --user=root --port="$dport" --cache-size=0 --dns-forward-max=10000 \
  --server="127.0.0.1#$up" 2>"$work/forwarder.log" &
dpid=$!; pids+=("$dpid")
for _ in $(seq 1 200); do grep -q 'service="dns"' "$work/kindling.log" 2>/dev/null && break; sleep 0.05; done
sleep 0.5

rows=()
servers=(kindling)
[ -n "${BASELINE_BIN:-}" ] && servers+=(baseline)
servers+=(dnsmasq)
for server in "${servers[@]}"; do
  case $server in
    kindling) port=$kport; pid=$kpid ;;
    baseline) port=$bport; pid=$bpid ;;
    dnsmasq) port=$dport; pid=$dpid ;;
  esac
  t0=$(cpu_ticks "$pid")
  out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$DURATION" -q "$OUTSTANDING" -c 4 -t 2 2>&1)
  t1=$(cpu_ticks "$pid")
  qps=$(awk '/Queries per second:/ {print $4}' <<<"$out")
  done_n=$(awk '/Queries completed:/ {print $3}' <<<"$out")
  lost=$(awk '/Queries lost:/ {print $3}' <<<"$out")
  lat=$(awk '/Average Latency/ {print $4}' <<<"$out")
  noerror=$(grep -o 'NOERROR [0-9]*' <<<"$out" | awk '{print $2}')
  codes=$(awk '/Response codes:/ {$1=$2=""; print}' <<<"$out")
  echo "$server: response codes$codes" >&2
  cpu=$(python3 -c "print(f'{($t1-$t0)*1e6/$TICK/max($done_n,1):.1f}')")
  declare "qps_$server=$qps"
  rows+=("$(printf '| %-16s | %8.0f | %8s | %6s | %9s | %6s |' "$server" "$qps" "${noerror:-0}" "$lost" "$(python3 -c "print(f'{$lat*1000:.2f}')")" "$cpu")")
done
echo
echo "dnsperf -c 4 -q $OUTSTANDING -l $DURATION, $QUERIES unique names, caches off, one upstream dnsmasq; $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| forwarder | queries/s | NOERROR | lost | avg ms | CPU µs/query |"
echo "|---|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
python3 -c "print(f'kindling/dnsmasq: {$qps_kindling/$qps_dnsmasq:.2f}x')"
