#!/usr/bin/env bash
# DNS benchmark: dnsperf against kindling and dnsmasq answering the same
# local names, in one run, across a veth pair between two network
# namespaces this script creates and removes. Both servers run at the same
# time on two addresses of the server namespace (kindling 10.235.0.1,
# dnsmasq 10.235.0.3; dnsperf on 10.235.0.2), each in its own cpuacct
# cgroup, and the rounds alternate between them (the order flips every
# round), so a change in the machine's load during the run does not favour
# one of them.
#
# Zones: for each size in ZONES, that many A records hostNNNN.bench.example
# (every tenth with an AAAA too) and two CNAMEs, answered locally by both
# servers (restarted for each zone): kindling from a
# [dns] section, dnsmasq from host-record/cname lines with --local
# (no upstream, no forwarding). Queries, the same file for both: mostly A
# for existing names, AAAA for names that have one, AAAA for names with
# only an A (NODATA), A through a CNAME, and names that do not exist
# (NXDOMAIN). Before measuring, a sample of questions is asked of both with
# dig and the answers must be the same.
#
# For each zone and each dnsperf thread count in THREADS, reports the
# median queries/s of ROUNDS, the kindling/dnsmasq ratio,
# average latency, lost queries and the server's CPU time per query (its
# cgroup's cpuacct.usage over the queries answered): dnsperf and the
# server share the machine's cores, so queries/s depends on the client too,
# CPU per query does not. dnsmasq is single-threaded (one core at most).
# The run fails if more than 1% of the queries of a round are lost or if
# the servers' response codes differ from the query file's. A summary table
# of every zone and thread count ends the output.
#
# Needs root, iproute2, dnsperf, dig (bind9-dnsutils), dnsmasq
# (dnsmasq-base), python3.
# Usage: bench/dns.sh     (ROUNDS=3 DURATION=10 ZONES="5 1000" CLIENTS=8
#                          OUTSTANDING=200 THREADS="1 2"; ONLY=dnsmasq or
#                          ONLY=kindling measures one server; NAMES=N is
#                          ZONES=N)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
ZONES=${ZONES:-${NAMES:-5 1000}}
CLIENTS=${CLIENTS:-8}
OUTSTANDING=${OUTSTANDING:-200}
THREADS=${THREADS:-1 2}
for n in $ZONES; do
  [ "$n" -ge 4 ] 2>/dev/null || { echo "bench/dns.sh: each zone needs at least 4 names (ZONES=\"$ZONES\")" >&2; exit 1; }
done
ONLY=${ONLY:-}
case "$ONLY" in "" | kindling | dnsmasq) ;; *) echo "bench/dns.sh: ONLY is kindling or dnsmasq" >&2; exit 1 ;; esac
for tool in ip dnsperf dig dnsmasq python3; do
  command -v "$tool" >/dev/null || { echo "bench/dns.sh needs $tool (apt-get install iproute2 dnsperf bind9-dnsutils dnsmasq-base)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/dns.sh needs root (network namespaces)" >&2; exit 1; }

SERVERS=()
[ "$ONLY" != dnsmasq ] && SERVERS+=(kindling)
[ "$ONLY" != kindling ] && SERVERS+=(dnsmasq)
declare -A ADDR=([kindling]=10.235.0.1 [dnsmasq]=10.235.0.3)

if [ "$ONLY" != dnsmasq ]; then
  echo "building the release binary..." >&2
  cargo build --release -q -p kindling
  target=${CARGO_TARGET_DIR:-target}
  case "$target" in /*) ;; *) target=$PWD/$target ;; esac
  BIN=$target/release/kindling
  "$BIN" serve --help | grep -q -- '--dns ' ||
    { echo "bench/dns.sh: this kindling has no 'serve --dns' (ONLY=dnsmasq measures dnsmasq alone)" >&2; exit 1; }
fi
work=$(mktemp -d)
chmod 755 "$work"
S=kbench-ds-$$
C=kbench-dc-$$
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
ip link add ds0 netns "$S" type veth peer name dc0 netns "$C"
for a in 1 3; do ip -n "$S" addr add "10.235.0.$a/24" dev ds0; done
ip -n "$C" addr add 10.235.0.2/24 dev dc0
for ns in "$S" "$C"; do ip -n "$ns" link set lo up; done
ip -n "$S" link set ds0 up; ip -n "$C" link set dc0 up

# make_zone N: the zone, both servers' configurations, the query file,
# the dig sample and the response codes the query file must get.
mkdir -p "$work/data/groups"
make_zone() {
python3 - "$work" "$1" <<'PY'
import random, sys
work, n = sys.argv[1], int(sys.argv[2])
dom = "bench.example"
rng = random.Random(235)
a = {f"host{i:04d}.{dom}": f"10.235.{1 + i // 250}.{1 + i % 250}" for i in range(n)}
aaaa = {name: f"fd00:235::{i:x}" for i, name in enumerate(a) if i % 10 == 0}
hosts = list(a)
cname = {f"www.{dom}": hosts[1], f"boot.{dom}": hosts[2]}
with open(f"{work}/kindling.toml", "w") as f:
    f.write(f'[dns]\ndomain = "{dom}"\nttl = "60s"\n')
    for kind, table in (("A", a), ("AAAA", aaaa), ("CNAME", cname)):
        for name, value in table.items():
            f.write(f'\n[[dns.record]]\nname = "{name}"\ntype = "{kind}"\nvalue = "{value}"\n')
with open(f"{work}/dnsmasq.conf", "w") as f:
    for name, ip in a.items():
        f.write(f"host-record={name},{ip}" + (f",{aaaa[name]}" if name in aaaa else "") + "\n")
    for alias, target in cname.items():
        f.write(f"cname={alias},{target}\n")
only_a = [h for h in hosts if h not in aaaa]
# (share, how to pick a question, expected rcode)
mix = [
    (80, lambda: (rng.choice(hosts), "A"), "NOERROR"),
    (5, lambda: (rng.choice(list(aaaa)), "AAAA"), "NOERROR"),
    (5, lambda: (rng.choice(only_a), "AAAA"), "NOERROR"),  # NODATA
    (2, lambda: (rng.choice(list(cname)), "A"), "NOERROR"),
    (8, lambda: (f"nohost{rng.randrange(10 * n):05d}.{dom}", "A"), "NXDOMAIN"),
]
queries, codes = [], {}
for share, pick, rcode in mix:
    for _ in range(share * 100):
        queries.append(pick())
        codes[rcode] = codes.get(rcode, 0) + 1
rng.shuffle(queries)
with open(f"{work}/queries.txt", "w") as f:
    f.writelines(f"{name} {kind}\n" for name, kind in queries)
with open(f"{work}/expected-rcodes", "w") as f:
    f.write(" ".join(f"{k} {v / len(queries) * 100:.2f}" for k, v in sorted(codes.items())) + "\n")
# The dig sample: a few of each kind, plus names the query file lacks.
sample = [(h, "A") for h in hosts[:5] + hosts[-3:]] + [(h, "AAAA") for h in list(aaaa)[:4] + only_a[:4]]
sample += [(c, t) for c in cname for t in ("A", "CNAME", "AAAA")]
sample += [(f"nohost{i}.{dom}", "A") for i in range(3)] + [(hosts[3].upper(), "A")]
with open(f"{work}/sample.txt", "w") as f:
    f.writelines(f"{name} {kind}\n" for name, kind in sample)
PY
}

# Each server runs in its own cpuacct cgroup (v1), so its CPU time counts
# every thread.
CG=/sys/fs/cgroup/cpuacct
# run_in_cgroup NAME LOG CMD...: starts CMD in the server namespace.
run_in_cgroup() {
  local name=$1 log=$2 cg="$CG/kbench-$$-$1"; shift 2
  # Kept from one zone to the next: CPU time is read as differences.
  if [ -d "$cg" ]; then :; elif mkdir "$cg" 2>/dev/null; then CGROUPS+=("$cg"); else cg=; fi
  (
    [ -n "$cg" ] && echo "$BASHPID" >"$cg/cgroup.procs"
    exec ip netns exec "$S" "$@" 2>"$log"
  ) &
  disown
}
# cpu_ns NAME: CPU time of a server so far (its cgroup), or 0 without cgroups.
cpu_ns() {
  local f="$CG/kbench-$$-$1/cpuacct.usage"
  if [ -r "$f" ]; then cat "$f"; else echo 0; fi
}
# ask NAME QNAME TYPE: the answer section, sorted, with the rcode first.
# Both servers spell an owner name as the question did.
ask() {
  local out
  out=$(ip netns exec "$C" dig +tries=1 +time=2 +norecurse +noall +answer +comments -p 53 "@${ADDR[$1]}" "$2" "$3" 2>&1) || true
  grep -o 'status: [A-Z]*' <<<"$out" || echo "status: none"
  { grep -v -e '^;' -e '^$' <<<"$out" || true; } | sed 's/[[:space:]]\+/ /g' | sort
}

# start_servers: both servers on the current zone, once each answers.
start_servers() {
if [ "$ONLY" != dnsmasq ]; then
  run_in_cgroup kindling "$work/kindling.log" "$BIN" serve --address 10.235.0.1:8080 --data-path "$work/data" \
    --assets-path= --log-level warn --config "$work/kindling.toml" --dns --dns-address 10.235.0.1:53
fi
if [ "$ONLY" != kindling ]; then
  # dnsmasq answers every name under bench.example itself (--local, no
  # upstream: --no-resolv) from the host-record and cname lines, with the
  # same TTL as kindling's (--local-ttl). It is single-threaded.
  run_in_cgroup dnsmasq "$work/dnsmasq.log" dnsmasq --keep-in-foreground --user=root --pid-file= \
    --port=53 --listen-address=10.235.0.3 --bind-interfaces --no-resolv --no-hosts --local=/bench.example/ \
    --local-ttl=60 --cache-size=10000 --dns-forward-max=10000 --conf-file="$work/dnsmasq.conf"
fi
# Ready: kindling's "listening" line; dnsmasq answering a question.
for s in "${SERVERS[@]}"; do
  for i in $(seq 1 100); do
    if [ "$s" = kindling ]; then
      grep -q 'listening service="dns"' "$work/kindling.log" 2>/dev/null && break
    else
      [ "$(ask dnsmasq host0000.bench.example A | head -n1)" = "status: NOERROR" ] && break
    fi
    [ "$i" = 100 ] && { echo "bench/dns.sh: $s did not start within 10 s:" >&2; cat "$work/$s.log" >&2; exit 1; }
    sleep 0.1
  done
done
}
# stop_servers: every process of the server namespace, and waits for it.
stop_servers() {
  local p
  for p in $(ip netns pids "$S" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do [ -z "$(ip netns pids "$S" 2>/dev/null)" ] && break; sleep 0.1; done
  for p in $(ip netns pids "$S" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  sleep 0.2
  rm -f "$work/kindling.log" "$work/dnsmasq.log"
}

# check_answers: the same answers (rcode, records, TTLs) from both servers,
# or the numbers would compare different work.
check_answers() {
if [ "${#SERVERS[@]}" = 2 ]; then
  while read -r qname qtype; do
    k=$(ask kindling "$qname" "$qtype"); d=$(ask dnsmasq "$qname" "$qtype")
    if [ "$k" != "$d" ]; then
      printf 'bench/dns.sh: the servers answer %s %s differently\n--- kindling\n%s\n--- dnsmasq\n%s\n' "$qname" "$qtype" "$k" "$d" >&2
      exit 1
    fi
  done <"$work/sample.txt"
else
  while read -r qname qtype; do echo "  ${SERVERS[0]}: $qname $qtype: $(ask "${SERVERS[0]}" "$qname" "$qtype" | tr '\n' ' ')" >&2; done <"$work/sample.txt"
fi
}

# perf NAME THREADS -> "qps lost sent latency_us cpu_us_per_query rcodes"
# for one dnsperf run of DURATION seconds (and at most 1000 passes over the
# file).
perf() {
  local name=$1 threads=$2 out c0 c1
  c0=$(cpu_ns "$name")
  out=$(timeout $((DURATION + 30)) ip netns exec "$C" dnsperf -s "${ADDR[$name]}" -p 53 -d "$work/queries.txt" \
    -c "$CLIENTS" -q "$OUTSTANDING" -T "$threads" -l "$DURATION" -n 1000 -t 2 2>&1) ||
    { echo "bench/dns.sh: dnsperf against $name failed:" >&2; echo "$out" >&2; exit 1; }
  c1=$(cpu_ns "$name")
  echo "$out" >"$work/dnsperf-$name.last"
  DNSPERF_OUT=$out python3 - "$name" "$c0" "$c1" "$work/expected-rcodes" <<'PY'
import os, re, sys
name, c0, c1, expected_file = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
out = os.environ["DNSPERF_OUT"]
def field(label):
    m = re.search(r"^\s*" + re.escape(label) + r":\s+([0-9.]+)", out, re.M)
    if not m:
        sys.exit(f"bench/dns.sh: no '{label}' in dnsperf's output for {name}:\n{out}")
    return float(m.group(1))
sent, done, lost = field("Queries sent"), field("Queries completed"), field("Queries lost")
qps, latency = field("Queries per second"), field("Average Latency (s)")
codes = dict((k, int(v)) for k, v in re.findall(r"([A-Z]+) (\d+) \(", re.search(r"Response codes:(.*)", out).group(1)))
answered = sum(codes.values())
shares = {k: v / answered * 100 for k, v in codes.items()}
exp = open(expected_file).read().split()
expected = {exp[i]: float(exp[i + 1]) for i in range(0, len(exp), 2)}
if sent == 0 or lost / sent > 0.01:
    sys.exit(f"bench/dns.sh: {name} lost {lost:.0f} of {sent:.0f} queries (over 1%)")
if set(shares) != set(expected) or any(abs(shares[k] - expected[k]) > 0.5 for k in expected):
    sys.exit(f"bench/dns.sh: {name} answered with response codes {shares}, the query file expects {expected}")
cpu = (c1 - c0) / 1000 / done if c1 > c0 else 0
rc = ",".join(f"{k}:{v:.1f}%" for k, v in sorted(shares.items()))
print(f"{qps:.0f} {lost:.0f} {sent:.0f} {latency * 1e6:.0f} {cpu:.2f} {rc}")
PY
}

median() { python3 -c "import statistics,sys; print(f'{statistics.median(float(x) for x in sys.argv[1:]):.${2:-0}f}')" $1; }
py() { python3 -c "$1"; }
SUMMARY=()
# measure NAMES THREADS: the rounds against both servers, then their table.
measure() {
local names=$1 threads=$2
unset QPS LOST SENT LAT CPU RC MQ ML MC
declare -A QPS LOST SENT LAT CPU RC
for round in $(seq 1 "$ROUNDS"); do
  order=("${SERVERS[@]}")
  [ $((round % 2)) = 0 ] && [ "${#order[@]}" = 2 ] && order=("${order[1]}" "${order[0]}")
  for s in "${order[@]}"; do
    read -r qps lost sent lat cpu rc < <(perf "$s" "$threads") || exit 1
    QPS[$s]+="$qps "; LOST[$s]=$((${LOST[$s]:-0} + lost)); SENT[$s]=$((${SENT[$s]:-0} + sent))
    LAT[$s]+="$lat "; CPU[$s]+="$cpu "; RC[$s]=$rc
    printf '  %s names -T %s round %s %-8s %8s q/s, latency %5s µs, lost %s of %s, %s µs CPU/query, %s\n' \
      "$names" "$threads" "$round" "$s" "$qps" "$lat" "$lost" "$sent" "$cpu" "$rc" >&2
  done
done

declare -A MQ ML MC
for s in "${SERVERS[@]}"; do
  MQ[$s]=$(median "${QPS[$s]}"); ML[$s]=$(median "${LAT[$s]}"); MC[$s]=$(median "${CPU[$s]}" 2)
done
[ "${#CGROUPS[@]}" = "${#SERVERS[@]}" ] || for s in "${SERVERS[@]}"; do MC[$s]=n/a; done

echo
echo "dnsperf -c $CLIENTS -q $OUTSTANDING -T $threads, ${DURATION}s over a veth pair, $names names, median of $ROUNDS alternating rounds; $(nproc) cores (shared with dnsperf); $(date -u +%Y-%m-%d)"
echo
if [ "${#SERVERS[@]}" = 2 ]; then
  echo "| metric | kindling | dnsmasq $(dnsmasq --version | awk 'NR==1 {print $3}') | kindling / dnsmasq |"
  echo "|---|---:|---:|---:|"
  printf '| queries/s | %s | %s | %s |\n' "${MQ[kindling]}" "${MQ[dnsmasq]}" "$(py "print(f'{${MQ[kindling]}/${MQ[dnsmasq]}:.2f}')")"
  printf '| average latency | %s µs | %s µs | %s |\n' "${ML[kindling]}" "${ML[dnsmasq]}" "$(py "print(f'{${ML[dnsmasq]}/max(${ML[kindling]},1):.2f}')")"
  [ "${MC[kindling]}" != n/a ] && printf '| server CPU per query | %s µs | %s µs | %s |\n' "${MC[kindling]}" "${MC[dnsmasq]}" "$(py "print(f'{${MC[dnsmasq]}/max(${MC[kindling]},0.01):.2f}')")"
  printf '| lost queries | %s of %s | %s of %s | |\n' "${LOST[kindling]}" "${SENT[kindling]}" "${LOST[dnsmasq]}" "${SENT[dnsmasq]}"
  printf '| response codes | %s | %s | |\n' "${RC[kindling]}" "${RC[dnsmasq]}"
  echo
  echo "Ratios above 1 favour kindling (latency and CPU: dnsmasq's over kindling's)."
  SUMMARY+=("$(printf '| %s | %s | %s | %s | %s | %s µs | %s µs | %s |' "$names" "$threads" "${MQ[kindling]}" "${MQ[dnsmasq]}" \
    "$(py "print(f'{${MQ[kindling]}/${MQ[dnsmasq]}:.2f}')")" "${MC[kindling]}" "${MC[dnsmasq]}" \
    "$(py "print(f'{${MC[dnsmasq]}/max(${MC[kindling]},0.01):.2f}')" 2>/dev/null || echo n/a)")")
else
  s=${SERVERS[0]}
  echo "| metric | $s |"
  echo "|---|---:|"
  printf '| queries/s | %s |\n| average latency | %s µs |\n| server CPU per query | %s µs |\n| lost queries | %s of %s |\n| response codes | %s |\n' \
    "${MQ[$s]}" "${ML[$s]}" "${MC[$s]}" "${LOST[$s]}" "${SENT[$s]}" "${RC[$s]}"
fi
}

for names in $ZONES; do
  make_zone "$names"
  start_servers
  check_answers
  for threads in $THREADS; do
    measure "$names" "$threads"
  done
  stop_servers
done
if [ "${#SUMMARY[@]}" -gt 1 ]; then
  echo
  echo "Summary, $(nproc) cores, ${DURATION}s rounds, median of $ROUNDS (CPU ratio: dnsmasq's over kindling's):"
  echo
  echo "| names | dnsperf -T | kindling q/s | dnsmasq q/s | q/s ratio | kindling CPU/query | dnsmasq CPU/query | CPU ratio |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${SUMMARY[@]}"
fi
