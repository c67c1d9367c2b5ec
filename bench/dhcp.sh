#!/usr/bin/env bash
# DHCP benchmark: perfdhcp against kindling, dnsmasq and kea-dhcp4 (memfile,
# single-threaded), in one run, in network namespaces this script creates
# and removes (server 10.232.0.1/16, perfdhcp on 10.232.0.2/16 acting as a
# relay). For each server it raises the rate step by step and reports the
# highest rate whose exchanges completed with under 2% loss. Then proxy
# mode: PXE DISCOVER -> OFFER for kindling and dnsmasq (both proxyDHCP).
#
# Leases are durable in every server: kindling syncs its lease database
# before each ACK (grouped), Kea appends to its memfile, dnsmasq rewrites
# its lease file (dnsmasq with --no-ping). No server logs per packet
# (kindling --log-level warn).
#
# Needs root, iproute2, perfdhcp (kea-admin), dnsmasq (dnsmasq-base),
# kea-dhcp4 (kea-dhcp4-server).
# Full mode runs kindling twice: with the plain configuration, and with 50
# client classes and 1,000 host entries (as a large imported dnsmasq file
# has), to show what classes cost per exchange.
#
# Usage: bench/dhcp.sh     (STEP=5 seconds per rate; RATES to override;
#        RECORDER=false runs kindling without its flight recorder, to compare;
#        ONLY=kindling runs kindling's two full-mode rows alone)
set -euo pipefail
cd "$(dirname "$0")/.."
STEP=${STEP:-5}
RATES=${RATES:-"250 500 1000 2000 4000 6000 8000 10000 12000 15000 20000 25000 30000 40000 50000"}
for tool in ip perfdhcp dnsmasq kea-dhcp4 python3; do
  command -v "$tool" >/dev/null || { echo "bench/dhcp.sh needs $tool (apt-get install iproute2 kea-admin dnsmasq-base kea-dhcp4-server)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/dhcp.sh needs root (network namespaces)" >&2; exit 1; }

echo "building the release binary..." >&2
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d)
S=kbench-s-$$
C=kbench-c-$$
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  for ns in "$S" "$C"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$S"; ip netns add "$C"
ip link add bs0 netns "$S" type veth peer name bc0 netns "$C"
ip -n "$S" addr add 10.232.0.1/16 dev bs0
ip -n "$C" addr add 10.232.0.2/16 dev bc0
for ns in "$S" "$C"; do ip -n "$ns" link set lo up; done
ip -n "$S" link set bs0 up; ip -n "$C" link set bc0 up

VC=$(printf 'PXEClient:Arch:00000:UNDI:002001' | od -An -tx1 | tr -d ' \n')

# run_perfdhcp RATE [extra perfdhcp args] -> "achieved loss%"
run_perfdhcp() {
  local rate=$1; shift
  local out
  out=$(ip netns exec "$C" perfdhcp -4 -l 10.232.0.2 -r "$rate" -p "$STEP" -R 60000 "$@" 10.232.0.1 2>&1 || true)
  local achieved
  achieved=$(awk '/^Rate:/ {print $2}' <<<"$out")
  # Loss over the whole exchange: 1 - product of (1 - drop ratio) per stage.
  local loss
  loss=$(awk '/drops ratio:/ {gsub("%","",$3); keep *= (1 - $3/100)} BEGIN {keep=1} END {printf "%.3f", (1-keep)*100}' <<<"$out")
  echo "${achieved:-0} ${loss:-100}"
}

# ladder NAME [perfdhcp args]: the highest rate reached with < 2% loss.
ladder() {
  local name=$1; shift
  local best=0 best_loss=0
  for r in $RATES; do
    read -r achieved loss < <(run_perfdhcp "$r" "$@")
    printf '  %-22s rate %6s: achieved %9s/s, loss %6s%%\n' "$name" "$r" "$achieved" "$loss" >&2
    if python3 -c "import sys; sys.exit(0 if $loss < 2 and $achieved >= 0.98*$r else 1)"; then
      best=$achieved; best_loss=$loss
    else
      break
    fi
  done
  echo "$best $best_loss"
}

wait_port() { sleep "${1:-1}"; }

start_kindling() {  # MODE
  local cfg=$work/kindling-$1.toml
  mkdir -p "$work/data/groups"
  if [ "$1" = full ] || [ "$1" = classes ]; then
    printf '[dhcp]\nmode = "full"\ninterfaces = ["bs0"]\n[[dhcp.subnet]]\nnetwork = "10.232.0.0/16"\nranges = ["10.232.1.0-10.232.250.255"]\nlease_time = "1h"\n' >"$cfg"
  fi
  if [ "$1" = classes ]; then
    # 1,000 hosts (MACs perfdhcp does not use, addresses outside its pool)
    # and 50 classes of every kind of match, each with options; the last
    # one matches every request, so its options and boot file are applied.
    python3 - >>"$cfg" <<'PY'
for i in range(1000):
    print(f'[[dhcp.host]]\nmac = "02:00:00:00:{i >> 8:02x}:{i & 255:02x}"\naddress = "10.232.0.{i % 250 + 3}"' if i < 250 else
          f'[[dhcp.host]]\nmac = "02:00:00:00:{i >> 8:02x}:{i & 255:02x}"\nhostname = "h{i}"')
kinds = [
    lambda i: f'{{ arch = [{i % 12}, {i % 12 + 100}] }}',
    lambda i: f'{{ vendor_class_contains = "Arch:{i:05d}" }}',
    lambda i: f'{{ user_class = "class{i}" }}',
    lambda i: f'{{ mac = "02:{i:02x}:*:*:*:*" }}',
    lambda i: f'{{ circuit_id = "port{i}" }}',
    lambda i: f'{{ option = {{ code = 77, value = {{ text = "uc{i}" }} }} }}',
    lambda i: f'{{ ipxe_feature = {i % 200 + 1}, known = true }}',
    lambda i: f'{{ classes = ["c{i - 1}", "!c{i - 2}"] }}' if i >= 2 else '{ known = true }',
]
for i in range(49):
    print(f'[[dhcp.class]]\nname = "c{i}"\nmatch = [{kinds[i % len(kinds)](i)}, {{ subnet = "10.99.{i}.0/24" }}]')
    print(f'options = {{ ntp-server = ["10.232.0.{i + 1}"], 224 = {{ text = "class {i}" }} }}')
print('[[dhcp.class]]\nname = "everyone"\nmatch = {}\nboot_file = "undionly.kpxe"')
print('options = { domain-name = "bench.example", domain-search = ["bench.example"] }')
PY
  elif [ "$1" != full ]; then
    printf '[dhcp]\nmode = "proxy"\ninterfaces = ["bs0"]\n' >"$cfg"
  fi
  rm -f "$work/leases.redb"
  ip netns exec "$S" "$BIN" serve --address 10.232.0.1:8080 --data-path "$work/data" --assets-path= --log-level warn \
    --config "$cfg" --dhcp-lease-file "$work/leases.redb" \
    --recorder="${RECORDER:-true}" --recorder-file "$work/recorder.redb" 2>"$work/kindling.log" &
  server_pid=$!; wait_port 1
}
start_dnsmasq() {  # MODE
  rm -f "$work/dnsmasq.leases"
  if [ "$1" = full ]; then
    # --no-ping: dnsmasq otherwise pings every address it offers and stalls
    # ~3 s per DISCOVER (perfdhcp gives up long before).
    ip netns exec "$S" dnsmasq --keep-in-foreground --port=0 --user=root --pid-file= --interface bs0 --bind-interfaces \
      --no-ping --dhcp-range=10.232.1.0,10.232.250.255,255.255.0.0,1h --dhcp-lease-max=100000 --dhcp-authoritative \
      --dhcp-leasefile="$work/dnsmasq.leases" 2>"$work/dnsmasq.log" &
  else
    ip netns exec "$S" dnsmasq --keep-in-foreground --port=0 --user=root --pid-file= --interface bs0 --bind-interfaces \
      --dhcp-range=10.232.0.0,proxy,255.255.0.0 --pxe-service=x86PC,"PXE",undionly.kpxe \
      --dhcp-leasefile="$work/dnsmasq.leases" 2>"$work/dnsmasq.log" &
  fi
  server_pid=$!; wait_port 1
}
start_kea() {
  rm -f "$work"/kea-leases.csv*
  cat >"$work/kea.json" <<JSON
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["bs0/10.232.0.1"], "dhcp-socket-type": "udp"},
  "lease-database": {"type": "memfile", "persist": true, "name": "$work/kea-leases.csv", "lfc-interval": 0},
  "valid-lifetime": 3600,
  "multi-threading": {"enable-multi-threading": false},
  "subnet4": [{"id": 1, "subnet": "10.232.0.0/16", "pools": [{"pool": "10.232.1.0 - 10.232.250.255"}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "WARN", "output_options": [{"output": "stderr"}]}]
}}
JSON
  ip netns exec "$S" env KEA_PIDFILE_DIR="$work" KEA_LOCKFILE_DIR="$work" kea-dhcp4 -c "$work/kea.json" 2>"$work/kea.log" &
  server_pid=$!; wait_port 2
}
stop_server() { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; server_pid=""; sleep 0.5; }

echo "full mode (DISCOVER-OFFER-REQUEST-ACK, new client each exchange):" >&2
start_kindling full; read -r k_full k_full_loss < <(ladder "kindling full"); stop_server
start_kindling classes; read -r k_classes k_classes_loss < <(ladder "kindling 50 classes"); stop_server
if [ "${ONLY:-}" = kindling ]; then
  echo
  echo "| mode | server | exchanges/s | loss % | ratio to plain |"
  echo "|---|---|---:|---:|---:|"
  printf '| full | kindling | %s | %s | 1.00 |\n' "$k_full" "$k_full_loss"
  printf '| full | kindling, 50 classes, 1,000 hosts | %s | %s | %s |\n' "$k_classes" "$k_classes_loss" \
    "$(python3 -c "print(f'{$k_classes/$k_full:.2f}' if $k_full > 0 else 'n/a')")"
  exit 0
fi
start_kea;           read -r kea_full kea_loss < <(ladder "kea-dhcp4 memfile");  stop_server
start_dnsmasq full;  read -r d_full d_full_loss < <(ladder "dnsmasq full");  stop_server
echo "proxy mode (PXE DISCOVER-OFFER):" >&2
start_kindling proxy; read -r k_proxy k_proxy_loss < <(ladder "kindling proxy" -i -o "60,$VC" -o 93,0000); stop_server
start_dnsmasq proxy;  read -r d_proxy d_proxy_loss < <(ladder "dnsmasq proxy" -i -o "60,$VC" -o 93,0000); stop_server

ratio() { python3 -c "print(f'{$1/$2:.2f}' if $2 > 0 else 'n/a')"; }
echo
echo "perfdhcp, ${STEP}s per rate, highest rate with < 2% loss; $(nproc) cores (shared with perfdhcp); $(date -u +%Y-%m-%d)"
echo
echo "| mode | server | exchanges/s | loss % | kindling ratio |"
echo "|---|---|---:|---:|---:|"
printf '| full | kindling (durable, grouped fsync) | %s | %s | 1.00 |\n' "$k_full" "$k_full_loss"
printf '| full | kindling, 50 classes, 1,000 hosts | %s | %s | %s |\n' "$k_classes" "$k_classes_loss" "$(ratio "$k_classes" "$k_full")"
printf '| full | kea-dhcp4 memfile, 1 thread | %s | %s | %s |\n' "$kea_full" "$kea_loss" "$(ratio "$k_full" "$kea_full")"
printf '| full | dnsmasq | %s | %s | %s |\n' "$d_full" "$d_full_loss" "$(ratio "$k_full" "$d_full")"
printf '| proxy | kindling | %s | %s | 1.00 |\n' "$k_proxy" "$k_proxy_loss"
printf '| proxy | dnsmasq | %s | %s | %s |\n' "$d_proxy" "$d_proxy_loss" "$(ratio "$k_proxy" "$d_proxy")"
