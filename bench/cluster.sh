#!/usr/bin/env bash
# Shared leases: DHCP exchanges per second (DISCOVER-OFFER-REQUEST-ACK, a new
# client each time) in one run, on this machine, for
#   1. two kindling replicas sharing leases through three etcd members
#      (one perfdhcp relay per replica, each at half the rate),
#   2. kea-dhcp4 with its PostgreSQL lease backend (the closest peer that
#      shares leases through a database; multi-threaded, its best setting),
#   3. one kindling on its embedded lease file (for reference).
# Each raises the rate step by step and reports the highest rate whose
# exchanges completed with under 2% loss. Every server makes a lease
# durable before its ACK: etcd commits to a quorum (each member fsyncs its
# log), PostgreSQL commits (fsync on), kindling's lease file fsyncs.
#
# Everything runs in network namespaces this script creates and removes:
# a hub with the boot network (br0, 10.232.0.0/16) and the etcd network
# (br1, 10.233.0.0/24, etcd on 10.233.0.254), replica namespaces A and B,
# and C for perfdhcp (relay addresses 10.232.0.2 and .3). PostgreSQL runs
# in the host namespace on a Unix socket only, which Kea in namespace A
# reaches through the file system.
#
# Needs root, iproute2, perfdhcp (kea-admin), kea-dhcp4 (kea-dhcp4-server),
# PostgreSQL 15 (postgresql), etcd (etcd-server, etcd-client).
# Usage: bench/cluster.sh     (STEP=5 seconds per rate; RATES to override;
#        RECORDER=false runs kindling without its flight recorder, to compare)
set -euo pipefail
cd "$(dirname "$0")/.."
STEP=${STEP:-5}
RATES=${RATES:-"250 500 750 1000 1250 1500 1750 2000 2500 3000 3500 4000 4500 5000 5500 6000 7000 8000 10000"}
SETUPS=${SETUPS:-"cluster kea single"}   # which setups to run
k_cluster=0 k_cluster_loss=- kea=0 kea_loss=- k_single=0 k_single_loss=- leases= rss_a=0
PGBIN=/usr/lib/postgresql/15/bin
for tool in ip perfdhcp kea-dhcp4 kea-admin etcd etcdctl python3 "$PGBIN/postgres"; do
  command -v "$tool" >/dev/null || { echo "bench/cluster.sh needs $tool (apt-get install iproute2 kea-admin kea-dhcp4-server postgresql etcd-server etcd-client)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/cluster.sh needs root (network namespaces)" >&2; exit 1; }

echo "building the release binary..." >&2
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d)
chmod 755 "$work"
H=kcb-h-$$; A=kcb-a-$$; B=kcb-b-$$; C=kcb-c-$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -d "$work/pg" ] && runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  for ns in "$C" "$A" "$B" "$H"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

for ns in "$H" "$A" "$B" "$C"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
for br in br0 br1; do ip -n "$H" link add "$br" type bridge; ip -n "$H" link set "$br" up; done
ip -n "$H" addr add 10.233.0.254/24 dev br1
link() {  # NS LOCAL PEER BRIDGE [ADDR...]
  local ns=$1 local=$2 peer=$3 br=$4; shift 4
  ip link add "$local" netns "$ns" type veth peer name "$peer" netns "$H"
  ip -n "$H" link set "$peer" master "$br"; ip -n "$H" link set "$peer" up
  for a in "$@"; do ip -n "$ns" addr add "$a" dev "$local"; done
  ip -n "$ns" link set "$local" up
}
link "$A" lan la br0 10.232.0.1/16; link "$A" ctl ca br1 10.233.0.1/24
link "$B" lan lb br0 10.232.0.4/16; link "$B" ctl cb br1 10.233.0.2/24
link "$C" lan lc br0 10.232.0.2/16 10.232.0.3/16

# run_perfdhcp RELAY SERVER RATE MAC_BASE -> perfdhcp's output. Each relay
# has its own clients (MAC range), as two separate networks would.
run_perfdhcp() {
  ip netns exec "$C" perfdhcp -4 -l "$1" -r "$3" -p "$STEP" -R 30000 -b "mac=$4" "$2" 2>&1 || true
}
# achieved and loss% of one perfdhcp output
summarize() {
  awk '/^Rate:/ {rate=$2} /drops ratio:/ {gsub("%","",$3); keep *= (1 - $3/100)} BEGIN {keep=1; rate=0}
       END {printf "%s %.3f\n", rate, (1-keep)*100}' <<<"$1"
}

# ladder NAME SPLIT: the highest total rate reached with < 2% loss; SPLIT=2
# runs two perfdhcp relays at half the rate each (to replica A and B).
ladder() {
  local name=$1 split=$2 best=0 best_loss=0
  for r in $RATES; do
    local achieved loss
    if [ "$split" = 2 ]; then
      local half=$((r / 2)) o1 o2
      o1=$(mktemp -p "$work"); o2=$(mktemp -p "$work")
      run_perfdhcp 10.232.0.2 10.232.0.1 "$half" 00:0c:01:00:00:00 >"$o1" &
      local p1=$!
      run_perfdhcp 10.232.0.3 10.232.0.4 "$half" 00:0c:02:00:00:00 >"$o2" &
      local p2=$!
      wait "$p1" "$p2"
      read -r a1 l1 < <(summarize "$(cat "$o1")")
      read -r a2 l2 < <(summarize "$(cat "$o2")")
      achieved=$(python3 -c "print(round($a1 + $a2, 3))")
      loss=$(python3 -c "print(round(max($l1, $l2), 3))")
    else
      read -r achieved loss < <(summarize "$(run_perfdhcp 10.232.0.2 10.232.0.1 "$r" 00:0c:01:00:00:00)")
    fi
    printf '  %-28s rate %6s: achieved %9s/s, loss %6s%%\n' "$name" "$r" "$achieved" "$loss" >&2
    if python3 -c "import sys; sys.exit(0 if $loss < 2 and $achieved >= 0.98*$r else 1)"; then
      best=$achieved; best_loss=$loss
    else
      break
    fi
  done
  echo "$best $best_loss"
}

kindling_cfg() {
  mkdir -p "$work/data/groups"
  printf '[dhcp]\nmode = "full"\ninterfaces = ["lan"]\n[[dhcp.subnet]]\nnetwork = "10.232.0.0/16"\nranges = ["10.232.1.0-10.232.250.255"]\nlease_time = "1h"\n' >"$work/kindling.toml"
}

start_etcd() {
  local cluster=m0=http://10.233.0.254:2380,m1=http://10.233.0.254:2390,m2=http://10.233.0.254:2400
  for i in 0 1 2; do
    local c=$((2379 + 10 * i)) p=$((2380 + 10 * i))
    ip netns exec "$H" etcd --name "m$i" --data-dir "$work/etcd-m$i" \
      --listen-client-urls "http://10.233.0.254:$c" --advertise-client-urls "http://10.233.0.254:$c" \
      --listen-peer-urls "http://10.233.0.254:$p" --initial-advertise-peer-urls "http://10.233.0.254:$p" \
      --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token bench \
      --auto-compaction-mode revision --auto-compaction-retention 100000 \
      --logger zap --log-level warn 2>"$work/etcd-m$i.log" &
    pids+=($!)
  done
  ENDPOINTS=http://10.233.0.254:2379,http://10.233.0.254:2389,http://10.233.0.254:2399
  for _ in $(seq 1 100); do
    ip netns exec "$H" env ETCDCTL_API=3 etcdctl --endpoints "$ENDPOINTS" endpoint health >/dev/null 2>&1 && return
    sleep 0.2
  done
  echo "etcd did not start" >&2; exit 1
}

start_replica() {  # NS NAME ADDRESS
  mkdir -p "$work/data/groups"
  ip netns exec "$1" "$BIN" serve --address "$3:8080" --assets-path= --log-level warn \
    --store etcd --etcd-endpoints "$ENDPOINTS" --replica-name "$2" \
    --recorder="${RECORDER:-true}" --recorder-file "$work/recorder-$2.redb" \
    --config "$work/kindling.toml" 2>"$work/kindling-$2.log" &
  pids+=($!)
}

start_postgres() {
  mkdir -p "$work/pg" "$work/pgsock"; chown postgres "$work/pg" "$work/pgsock"
  runuser -u postgres -- "$PGBIN/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
  # Unix socket only; durable commits (fsync and synchronous_commit stay on).
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg" -l "$work/pgsock/pg.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories=$work/pgsock -c max_connections=50" start >/dev/null
  runuser -u postgres -- psql -h "$work/pgsock" -U postgres -qc "CREATE USER kea PASSWORD 'kea'" >/dev/null
  runuser -u postgres -- psql -h "$work/pgsock" -U postgres -qc "CREATE DATABASE kea OWNER kea" >/dev/null
  kea-admin db-init pgsql -h "$work/pgsock" -u kea -p kea -n kea >"$work/kea-admin.log" 2>&1
}

start_kea() {
  cat >"$work/kea.json" <<JSON
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["lan/10.232.0.1"], "dhcp-socket-type": "udp"},
  "lease-database": {"type": "postgresql", "name": "kea", "user": "kea", "password": "kea", "host": "$work/pgsock"},
  "valid-lifetime": 3600,
  "multi-threading": {"enable-multi-threading": true, "thread-pool-size": 4, "packet-queue-size": 256},
  "subnet4": [{"id": 1, "subnet": "10.232.0.0/16", "pools": [{"pool": "10.232.1.0 - 10.232.250.255"}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "WARN", "output_options": [{"output": "stderr"}]}]
}}
JSON
  ip netns exec "$A" env KEA_PIDFILE_DIR="$work" KEA_LOCKFILE_DIR="$work" kea-dhcp4 -c "$work/kea.json" 2>"$work/kea.log" &
  KEA=$!; pids+=($KEA)
  sleep 2
}

kindling_cfg
if [[ " $SETUPS " == *" cluster "* ]]; then
echo "two kindling replicas on three etcd members:" >&2
start_etcd
start_replica "$A" a 10.232.0.1
start_replica "$B" b 10.232.0.4
sleep 2
read -r k_cluster k_cluster_loss < <(ladder "kindling x2 on etcd x3" 2)
rss_a=0
for p in $(ip netns pids "$A"); do
  grep -q kindling "/proc/$p/cmdline" 2>/dev/null && rss_a=$(awk '/VmHWM/ {print $2}' "/proc/$p/status")
done
leases=$(ip netns exec "$H" "$BIN" cluster status --etcd-endpoints "$ENDPOINTS" --output json 2>/dev/null \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["counts"]["lease_keys"])' || true)
for p in $(ip netns pids "$A") $(ip netns pids "$B") $(ip netns pids "$H"); do kill "$p" 2>/dev/null || true; done
sleep 1
fi

if [[ " $SETUPS " == *" kea "* ]]; then
echo "kea-dhcp4 on PostgreSQL:" >&2
start_postgres
start_kea
read -r kea kea_loss < <(ladder "kea-dhcp4 + PostgreSQL" 1)
kill "$KEA" 2>/dev/null || true; wait "$KEA" 2>/dev/null || true
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$work/pg" -m fast stop >/dev/null
fi

if [[ " $SETUPS " == *" single "* ]]; then
echo "one kindling on its lease file:" >&2
ip netns exec "$A" "$BIN" serve --address 10.232.0.1:8080 --data-path "$work/data" --assets-path= --log-level warn \
  --config "$work/kindling.toml" --dhcp-lease-file "$work/leases.redb" \
  --recorder="${RECORDER:-true}" --recorder-file "$work/recorder-single.redb" 2>"$work/kindling-single.log" &
single=$!; pids+=($single)
sleep 1
read -r k_single k_single_loss < <(ladder "kindling, lease file" 1)
kill "$single" 2>/dev/null || true
fi

ratio() { python3 -c "print(f'{$1/$2:.2f}' if $2 > 0 else 'n/a')"; }
echo
echo "perfdhcp, ${STEP}s per rate, highest rate with < 2% loss; $(nproc) cores shared by everything; $(date -u +%Y-%m-%d)"
echo "etcd lease keys (address and client) after the cluster run: ${leases:-?}; replica a peak RSS: $((rss_a / 1024)) MiB"
echo
echo "| setup | exchanges/s | loss % | vs Kea on PostgreSQL |"
echo "|---|---:|---:|---:|"
printf '| kindling x2, leases in etcd x3 | %s | %s | %s |\n' "$k_cluster" "$k_cluster_loss" "$(ratio "$k_cluster" "$kea")"
printf '| kea-dhcp4 2.2, leases in PostgreSQL 15 | %s | %s | 1.00 |\n' "$kea" "$kea_loss"
printf '| kindling x1, lease file | %s | %s | %s |\n' "$k_single" "$k_single_loss" "$(ratio "$k_single" "$kea")"
