# Shared by the benchmark scripts (source it from the repository root).

# A free TCP port on loopback.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A process's user+system CPU time in clock ticks (TICK per second): the
# server's CPU per request, whatever the load generator sharing the cores does.
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
