#!/usr/bin/env bash
# /ignition benchmark: 1,000 machines, each with its own group and metadata,
# fetch their config rendered from one Butane template (fcos 1.5.0: a user,
# files with inline contents from the metadata, a unit with a dropin, a
# mount unit). Measured in the same run against (a) kindling serving the
# same config as a raw .ign file (no template, no translation) and (b) nginx
# serving that JSON as a static file, with wrk picking a random machine per
# request. Reports requests/s and the kindling process's CPU per request,
# which is the cost of rendering + translating + validating one config.
#
# Needs: wrk, nginx (apt-get install wrk nginx-light), python3, curl.
# Usage: bench/ignition.sh        (DURATION=10 CONNECTIONS=16 MACHINES=1000)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
MACHINES=${MACHINES:-1000}
for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/ignition.sh needs $tool (apt-get install wrk nginx-light curl)" >&2; exit 1; }
done

echo "building the release binary..." >&2
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
. bench/lib.sh

wrk_run() {
  local url=$1 out rps reqs errors
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" -s bench/random_mac.lua "$url")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  if [ -n "$errors" ]; then echo "bench/ignition.sh: $url answered errors ($errors)" >&2; exit 1; fi
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  echo "$rps $reqs"
}

start_kindling() { # DATA LOG → sets $port and $kpid
  port=$(free_port)
  "$BIN" serve --address "127.0.0.1:$port" --data-path "$1" --assets-path= >"$2" 2>&1 &
  kpid=$!; pids+=("$kpid")
  for _ in $(seq 1 200); do grep -q 'listening' "$2" 2>/dev/null && break; sleep 0.05; done
}

# Data: 1,000 MAC-selected groups; every profile names the Butane template.
butane=$work/butane; raw=$work/raw
python3 bench/gen_data.py "$butane" "$MACHINES" >/dev/null
export MACS_FILE=$butane/macs.txt
python3 - "$butane" <<'PY'
import json, os, sys
root = sys.argv[1]
for name in os.listdir(os.path.join(root, "profiles")):
    p = os.path.join(root, "profiles", name)
    prof = json.load(open(p)); prof["ignition_id"] = "node.bu"; json.dump(prof, open(p, "w"))
open(os.path.join(root, "ignition", "node.bu"), "w").write("""variant: fcos
version: 1.5.0
passwd:
  users:
    - name: core
      ssh_authorized_keys:
        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOPQkindlingbenchkey core@example.com
      groups: [wheel, sudo]
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      contents:
        inline: {{.hostname}}
    - path: /etc/NetworkManager/system-connections/eth0.nmconnection
      mode: 0600
      contents:
        inline: |
          [connection]
          id=eth0
          type=ethernet
          interface-name=eth0
          [ipv4]
          method=manual
          addresses=10.0.{{.index}}/16
          gateway=10.0.0.1
          dns=10.0.0.1
    - path: /etc/motd
      contents:
        inline: "Provisioned by kindling for {{.request.query.mac}}\\n"
  filesystems:
    - device: /dev/disk/by-label/data
      format: xfs
      path: /var/data
      with_mount_unit: true
systemd:
  units:
    - name: app.service
      enabled: true
      contents: |
        [Unit]
        Description=Application on {{.hostname}}
        [Service]
        ExecStart=/usr/bin/podman run --rm --name app quay.io/example/app:latest
        [Install]
        WantedBy=multi-user.target
      dropins:
        - name: 10-env.conf
          contents: |
            [Service]
            Environment=NODE_INDEX={{.index}}
""")
PY
blog=$work/kindling-butane.log
start_kindling "$butane" "$blog"; kb=$kpid; bport=$port
mac=$(head -n1 "$MACS_FILE")
curl -fsS "http://127.0.0.1:$bport/ignition?mac=$mac" >"$work/one.json" || { echo "kindling did not translate the template:"; curl -s "http://127.0.0.1:$bport/ignition?mac=$mac"; tail -3 "$blog"; exit 1; } >&2
size=$(stat -c %s "$work/one.json")

# The same config as a raw .ign for every machine, and as a static file for nginx.
cp -r "$butane" "$raw"
cp "$work/one.json" "$raw/ignition/node.ign"
sed -i 's/"node.bu"/"node.ign"/' "$raw"/profiles/*.json
rlog=$work/kindling-raw.log
start_kindling "$raw" "$rlog"; kr=$kpid; rport=$port
cmp -s "$work/one.json" <(curl -fsS "http://127.0.0.1:$rport/ignition?mac=$mac") || { echo "raw .ign answer differs" >&2; exit 1; }
nport=$(free_port)
mkdir -p "$work/nginx/root"; cp "$work/one.json" "$work/nginx/root/ignition"; chmod -R a+rX "$work"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http { access_log $work/nginx/access.log; default_type application/json;
  server { listen 127.0.0.1:$nport; root $work/nginx/root; } }
CONF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' & pids+=("$!")
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$nport/ignition" >/dev/null 2>&1 && break; sleep 0.05; done

export REQ_PATH=/ignition
t0=$(cpu_ticks "$kb"); read -r b_rps b_reqs <<<"$(wrk_run "http://127.0.0.1:$bport/ignition")"; t1=$(cpu_ticks "$kb")
t2=$(cpu_ticks "$kr"); read -r r_rps r_reqs <<<"$(wrk_run "http://127.0.0.1:$rport/ignition")"; t3=$(cpu_ticks "$kr")
read -r n_rps _ <<<"$(wrk_run "http://127.0.0.1:$nport/ignition")"
b_cpu=$(python3 -c "print(f'{($t1-$t0)*1e6/$TICK/$b_reqs:.1f}')")
r_cpu=$(python3 -c "print(f'{($t3-$t2)*1e6/$TICK/$r_reqs:.1f}')")

echo
echo "$MACHINES machines, random MAC per request, wrk -t1 -c$CONNECTIONS -d${DURATION}s; $(nproc) cores; $(date -u +%Y-%m-%d); config $size B"
echo
echo "| server | r/s | kindling CPU µs/req |"
echo "|---|---:|---:|"
printf '| kindling, Butane template (render + translate + validate) | %.0f | %s |\n' "$b_rps" "$b_cpu"
printf '| kindling, raw .ign (parsed once at load) | %.0f | %s |\n' "$r_rps" "$r_cpu"
printf '| nginx, static file | %.0f | |\n' "$n_rps"
python3 -c "print(f'\nButane per-request cost over raw .ign: {$b_cpu-$r_cpu:.1f} µs; Butane/nginx throughput {$b_rps/$n_rps:.2f}x')"
