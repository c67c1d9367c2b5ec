#!/usr/bin/env bash
# TFTP benchmark: kindling against dnsmasq's TFTP and tftpd-hpa, in one run,
# across a veth pair between two network namespaces this script creates and
# removes. The three servers run at the same time on three addresses of the
# server namespace (kindling .1, dnsmasq .3, tftpd-hpa .4), and the rounds
# of every measurement alternate between them, so a change in the machine's
# load during the run does not favour one of them. Measures, with atftp:
#   1. a 32 MiB file with blksize 1468, lock-step (no windowsize);
#   2. the same with windowsize 16 (dnsmasq 2.90 and tftpd-hpa do not
#      implement windowsize and answer lock-step);
#   3. 200 concurrent transfers of a 1 MiB file (dnsmasq with --tftp-max=1000).
# Prints the median of ROUNDS for the single transfers, wall time and server
# CPU time for the concurrent ones, and kindling's ratio
# to the better peer.
#
# Needs root, iproute2, atftp, dnsmasq (dnsmasq-base), in.tftpd (tftpd-hpa).
# Usage: bench/tftp.sh      (ROUNDS=7 CONCURRENT=200)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-7}
CONCURRENT=${CONCURRENT:-200}
for tool in ip atftp dnsmasq in.tftpd python3; do
  command -v "$tool" >/dev/null || { echo "bench/tftp.sh needs $tool (apt-get install iproute2 atftp dnsmasq-base tftpd-hpa)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/tftp.sh needs root (network namespaces)" >&2; exit 1; }

echo "building the release binary..." >&2
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d)
chmod 755 "$work"
S=kbench-ts-$$
C=kbench-tc-$$
CGROUPS=()
cleanup() {
  for ns in "$S" "$C"; do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$work"
  sleep 0.2
  for cg in "${CGROUPS[@]}"; do rmdir "$cg" 2>/dev/null || true; done
}
trap cleanup EXIT
ip netns add "$S"; ip netns add "$C"
ip link add ts0 netns "$S" type veth peer name tc0 netns "$C"
for a in 1 3 4; do ip -n "$S" addr add "10.233.0.$a/24" dev ts0; done
ip -n "$C" addr add 10.233.0.2/24 dev tc0
for ns in "$S" "$C"; do ip -n "$ns" link set lo up; done
ip -n "$S" link set ts0 up; ip -n "$C" link set tc0 up

root=$work/root
mkdir -p "$root" "$work/data/groups" "$work/out"
head -c $((32 * 1024 * 1024)) /dev/urandom >"$root/big.bin"
head -c $((1024 * 1024)) /dev/urandom >"$root/one.bin"
chmod -R a+rX "$root"

# Each server runs in its own cpuacct cgroup (v1), so its CPU time counts
# every thread and every child (tftpd-hpa forks one per transfer and does
# not wait for them, so /proc/PID/stat would miss their time).
CG=/sys/fs/cgroup/cpuacct
# run_in_cgroup NAME LOG CMD...: starts CMD in the server namespace.
run_in_cgroup() {
  local name=$1 log=$2 cg="$CG/kbench-$$-$1"; shift 2
  if mkdir "$cg" 2>/dev/null; then CGROUPS+=("$cg"); else cg=; fi
  (
    [ -n "$cg" ] && echo "$BASHPID" >"$cg/cgroup.procs"
    exec ip netns exec "$S" "$@" 2>"$log"
  ) &
  disown
}
run_in_cgroup kindling "$work/kindling.log" "$BIN" serve --address 10.233.0.1:8080 --data-path "$work/data" \
  --assets-path= --log-level warn --tftp --tftp-address 10.233.0.1:69 --tftp-root "$root" --ipxe-dir "$root"
run_in_cgroup dnsmasq "$work/dnsmasq.log" dnsmasq --keep-in-foreground --port=0 --user=root --pid-file= \
  --listen-address=10.233.0.3 --bind-interfaces --enable-tftp --tftp-root="$root" --tftp-max=1000
run_in_cgroup tftpd-hpa "$work/tftpd.log" in.tftpd --foreground --listen --address 10.233.0.4:69 --secure "$root"
sleep 1.5

NAMES=(kindling dnsmasq tftpd-hpa)
ADDRS=(10.233.0.1 10.233.0.3 10.233.0.4)
now() { date +%s.%N; }

# fetch ADDR FILE [atftp options...] -> MB/s (the run fails on a bad copy)
fetch() {
  local addr=$1 file=$2; shift 2
  local out=$work/out/$file.$addr t0 t1
  rm -f "$out"
  t0=$(now)
  ip netns exec "$C" atftp "$@" -g -r "$file" -l "$out" "$addr" >/dev/null 2>&1 || true
  t1=$(now)
  cmp -s "$out" "$root/$file" || { echo "bench/tftp.sh: $file from $addr arrived corrupted or incomplete" >&2; exit 1; }
  python3 -c "print($(stat -c %s "$root/$file") / ($t1 - $t0) / 1e6)"
}

median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.1f}')" "$@"; }

# single LABEL [atftp options...]: median MB/s per server, rounds alternating.
single() {
  local label=$1; shift
  local -a r0=() r1=() r2=()
  for round in $(seq 1 "$ROUNDS"); do
    r0+=("$(fetch "${ADDRS[0]}" big.bin "$@")")
    r1+=("$(fetch "${ADDRS[1]}" big.bin "$@")")
    r2+=("$(fetch "${ADDRS[2]}" big.bin "$@")")
    printf '  %s round %s: %.1f %.1f %.1f MB/s\n' "$label" "$round" "${r0[-1]}" "${r1[-1]}" "${r2[-1]}" >&2
  done
  echo "$(median "${r0[@]}") $(median "${r1[@]}") $(median "${r2[@]}")"
}

# cpu_ms I: CPU time of server I so far (its cgroup), or 0 without cgroups.
cpu_ms() {
  local f="$CG/kbench-$$-${NAMES[$1]}/cpuacct.usage"
  if [ -r "$f" ]; then echo $(($(cat "$f") / 1000000)); else echo 0; fi
}

# concurrent I: "wall-seconds server-CPU-ms" for CONCURRENT parallel 1 MiB
# transfers from server I.
concurrent() {
  local addr=${ADDRS[$1]} t0 t1 c0 c1 ok=0
  rm -f "$work"/out/c.*
  c0=$(cpu_ms "$1")
  t0=$(now)
  for i in $(seq 1 "$CONCURRENT"); do
    ip netns exec "$C" atftp --option "blksize 1468" -g -r one.bin -l "$work/out/c.$i" "$addr" >/dev/null 2>&1 &
  done
  wait_for_clients
  t1=$(now)
  c1=$(cpu_ms "$1")
  for i in $(seq 1 "$CONCURRENT"); do cmp -s "$work/out/c.$i" "$root/one.bin" && ok=$((ok + 1)); done
  [ "$ok" = "$CONCURRENT" ] || { echo "bench/tftp.sh: only $ok of $CONCURRENT concurrent transfers from $addr were complete" >&2; exit 1; }
  python3 -c "print(f'{$t1 - $t0:.2f} {$c1 - $c0:.0f}')"
}
# Waits for the atftp clients only (the servers are background jobs too).
wait_for_clients() { while pgrep -f "atftp --option blksize 1468 -g -r one.bin" >/dev/null; do sleep 0.02; done; }

read -r k_lock d_lock h_lock < <(single lock-step --option "blksize 1468")
read -r k_win d_win h_win < <(single windowsize-16 --option "blksize 1468" --option "windowsize 16")
read -r k_conc k_cpu < <(concurrent 0)
read -r d_conc d_cpu < <(concurrent 1)
read -r h_conc h_cpu < <(concurrent 2)
echo "  $CONCURRENT concurrent: kindling ${k_conc}s ${k_cpu}ms CPU, dnsmasq ${d_conc}s ${d_cpu}ms, tftpd-hpa ${h_conc}s ${h_cpu}ms" >&2

py() { python3 -c "$1"; }
echo
echo "atftp over a veth pair, median of $ROUNDS alternating rounds; $(nproc) cores; $(date -u +%Y-%m-%d)"
echo
echo "| workload | kindling | dnsmasq 2.90 | tftpd-hpa | kindling / better peer |"
echo "|---|---:|---:|---:|---:|"
printf '| 32 MiB, blksize 1468, lock-step | %s MB/s | %s MB/s | %s MB/s | %s |\n' "$k_lock" "$d_lock" "$h_lock" "$(py "print(f'{$k_lock/max($d_lock,$h_lock):.2f}')")"
printf '| 32 MiB, blksize 1468, windowsize 16 | %s MB/s | %s MB/s | %s MB/s | %s |\n' "$k_win" "$d_win" "$h_win" "$(py "print(f'{$k_win/max($d_win,$h_win):.2f}')")"
printf '| %s concurrent 1 MiB (wall time) | %s s | %s s | %s s | %s |\n' "$CONCURRENT" "$k_conc" "$d_conc" "$h_conc" "$(py "print(f'{min($d_conc,$h_conc)/$k_conc:.2f}')")"
[ "${#CGROUPS[@]}" = 3 ] && printf '| %s concurrent 1 MiB (server CPU) | %s ms | %s ms | %s ms | %s |\n' "$CONCURRENT" "$k_cpu" "$d_cpu" "$h_cpu" "$(py "print(f'{min($d_cpu,$h_cpu)/max($k_cpu,1):.2f}')")"
