#!/usr/bin/env bash
# The flight recorder's cost, in one run, in network namespaces this script
# creates and removes (kindling on 10.232.0.1/16, perfdhcp as a relay on
# 10.232.0.2):
#   1. server CPU per DHCP exchange (DORA, a new client each time) at a
#      fixed rate, with the recorder off and on, twice each, interleaved;
#   2. a flood of FLOOD distinct MACs (a DHCP starvation attempt): kindling's
#      peak resident memory with the recorder's default bounds, and how many
#      machines it kept.
# For HTTP, run bench/http.sh with RECORDER=false and RECORDER=true.
#
# Needs root, iproute2, perfdhcp (kea-admin).
# Usage: bench/recorder.sh     (RATE=6000 SECONDS=8 FLOOD=100000)
set -euo pipefail
cd "$(dirname "$0")/.."
RATE=${RATE:-6000}; SECS=${SECONDS_PER_RUN:-8}; FLOOD=${FLOOD:-100000}
for tool in ip perfdhcp python3; do
  command -v "$tool" >/dev/null || { echo "bench/recorder.sh needs $tool (apt-get install iproute2 kea-admin)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/recorder.sh needs root (network namespaces)" >&2; exit 1; }
echo "building the release binary..." >&2
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
. bench/lib.sh
work=$(mktemp -d); S=krec-s-$$; C=krec-c-$$; pid=
cleanup() {
  for ns in "$S" "$C"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$S"; ip netns add "$C"
ip link add bs0 netns "$S" type veth peer name bc0 netns "$C"
ip -n "$S" addr add 10.232.0.1/16 dev bs0; ip -n "$C" addr add 10.232.0.2/16 dev bc0
for ns in "$S" "$C"; do ip -n "$ns" link set lo up; done
ip -n "$S" link set bs0 up; ip -n "$C" link set bc0 up
mkdir -p "$work/data/groups"
printf '[dhcp]\nmode = "full"\ninterfaces = ["bs0"]\n[[dhcp.subnet]]\nnetwork = "10.232.0.0/16"\nranges = ["10.232.1.0-10.232.250.255"]\nlease_time = "1h"\n' >"$work/k.toml"

start() {  # RECORDER
  rm -f "$work/leases.redb" "$work/recorder.redb"
  ip netns exec "$S" "$BIN" serve --address 10.232.0.1:8080 --data-path "$work/data" --assets-path= --log-level warn \
    --config "$work/k.toml" --dhcp-lease-file "$work/leases.redb" \
    --recorder="$1" --recorder-file "$work/recorder.redb" 2>"$work/kindling.log" &
  for _ in $(seq 1 100); do grep -q 'service="dhcp"' "$work/kindling.log" 2>/dev/null && break; sleep 0.05; done
  pid=$(ip netns pids "$S" | head -n1)
}
stop() { kill "$pid" 2>/dev/null || true; sleep 0.5; }

declare -A cpu
for round in 1 2; do
  for rec in false true; do
    start "$rec"
    t0=$(cpu_ticks "$pid")
    out=$(ip netns exec "$C" perfdhcp -4 -l 10.232.0.2 -r "$RATE" -p "$SECS" -R 60000 10.232.0.1 2>&1 || true)
    t1=$(cpu_ticks "$pid")
    n=$(awk '/received packets:/ {s += $3} END {print s / 2}' <<<"$out")
    c=$(python3 -c "print(f'{($t1 - $t0) * 1e6 / $TICK / $n:.1f}')")
    cpu[$rec]+="$c "
    echo "  recorder=$rec: $(awk '/^Rate:/ {print $2}' <<<"$out") exchanges/s, server CPU $c us per exchange" >&2
    stop
  done
done

echo "flood: $FLOOD distinct MACs..." >&2
start true
# Each of perfdhcp's FLOOD clients has its own MAC (from a range of -R);
# the pool (64,000 addresses) runs out on the way, as in a real starvation
# attempt. The count that reached the recorder is printed: kept + evicted.
flood=$(ip netns exec "$C" perfdhcp -4 -l 10.232.0.2 -r 8000 -R "$((FLOOD * 100))" -n "$FLOOD" -b mac=02:00:00:00:00:00 10.232.0.1 2>&1 || true)
sent=$(awk '/sent packets:/ {print $3; exit}' <<<"$flood")
sleep 1
dropped=$(ip netns exec "$S" curl -s "http://10.232.0.1:8080/metrics" | awk '/^kindling_recorder_dropped/ {print $2}')
rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
machines=$(ip netns exec "$S" curl -s "http://10.232.0.1:8080/api/machines?local=1" \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["machines"]), d["evicted_unknown"])')
stop

echo
echo "perfdhcp at $RATE/s for ${SECS}s, new client per exchange; $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| recorder | server CPU per DORA exchange (µs), two runs |"
echo "|---|---|"
echo "| off | ${cpu[false]}|"
echo "| on | ${cpu[true]}|"
echo
read -r kept evicted <<<"$machines"
echo "flood of $FLOOD clients with distinct MACs: ${sent:-?} DISCOVERs sent, $((kept + evicted)) distinct machines recorded, ${dropped:-0} events dropped by the full queue; peak RSS $rss MiB; $kept kept, $evicted unknown machines evicted"
