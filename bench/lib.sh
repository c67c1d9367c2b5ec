# Shared by the benchmark scripts (source it from the repository root).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A process's user+system CPU time in clock ticks (TICK per second): the
# server's CPU per request, whatever the load generator sharing the cores does.
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }

# wrk_run URL EXTRA_ARGS... → "req_per_sec p99_ms requests", with wrk at
# THREADS threads and CONNECTIONS connections for DURATION seconds, asking
# for a random machine each time (bench/random_mac.lua). Any non-2xx answer
# or socket error stops the benchmark: the numbers would be meaningless.
wrk_run() {
  local url=$1; shift
  local out rps p99 errors
  out=$(wrk -t"${THREADS:-1}" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s bench/random_mac.lua "$@" "$url")
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  if [ -n "$errors" ]; then
    echo "$0: $url answered errors ($errors); the numbers would be meaningless" >&2
    exit 1
  fi
  echo "$rps $p99 $(awk '/requests in/ {print $1}' <<<"$out")"
}
