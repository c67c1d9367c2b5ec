#!/usr/bin/env bash
# HTTPS and signing benchmark, in one run:
#  1. kindling --web-ssl serving /ipxe against nginx serving the same bytes
#     over TLS with the same certificate (ECDSA P-256 from kindling certs
#     init), keep-alive and a new connection (full TLS handshake) per request;
#  2. kindling's signed answers against its own unsigned ones over plain
#     HTTP, for an Ed25519 and an RSA-3072 key made by gpg: /ipxe.sig (ten
#     profiles, so signatures are reused) and /metadata.sig with a body no
#     two requests share (a new signature every time).
# wrk, a random MAC per request, 100 MAC-selected groups. Prints two tables
# with throughput, ratios, p99 latency and kindling's CPU per request.
#
# Needs: wrk, nginx (apt-get install wrk nginx-light), gnupg, python3.
# Usage: bench/https.sh        (DURATION=10 CONNECTIONS=64 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
GROUPS_N=${GROUPS_N:-100}
for tool in wrk nginx gpg python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench/https.sh needs $tool (apt-get install wrk nginx-light gnupg curl)" >&2; exit 1; }
done

echo "building the release binary..." >&2
cargo build --release -q -p kindling
BIN=$PWD/target/release/kindling
work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  GNUPGHOME=$work/gpg gpgconf --kill gpg-agent 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. bench/lib.sh

# wait_ready LOG: until kindling prints its readiness line.
wait_ready() {
  for _ in $(seq 1 200); do grep -q 'listening' "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "kindling did not start:" >&2; cat "$1" >&2; exit 1
}

data=$work/data
python3 bench/gen_data.py "$data" "$GROUPS_N"
export MACS_FILE=$data/macs.txt
mac=$(head -n1 "$MACS_FILE")
"$BIN" certs init "$work/certs" --web-san localhost,127.0.0.1 >/dev/null
ca=$work/certs/ca.crt

# --- 1. HTTPS: kindling against nginx ---------------------------------------
port=$(free_port)
"$BIN" serve --address "127.0.0.1:$port" --data-path "$data" --assets-path= \
  --web-ssl --web-cert-file "$work/certs/ssl/server.crt" --web-key-file "$work/certs/ssl/server.key" \
  --recorder-file "$work/recorder.redb" 2>"$work/kindling-tls.log" &
kpid=$!; pids+=("$kpid")
wait_ready "$work/kindling-tls.log"
curl -fsS --cacert "$ca" "https://localhost:$port/ipxe?mac=$mac" >"$work/ipxe-body"
size=$(stat -c %s "$work/ipxe-body")

nport=$(free_port)
mkdir -p "$work/nginx/root"
cp "$work/ipxe-body" "$work/nginx/root/ipxe"
cp "$work/certs/ssl/server.crt" "$work/certs/ssl/server.key" "$work/nginx/"
chmod -R a+rX "$work"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log $work/nginx/access.log;
  default_type text/plain;
  server {
    listen 127.0.0.1:$nport ssl;
    ssl_certificate $work/nginx/server.crt;
    ssl_certificate_key $work/nginx/server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache off;
    ssl_session_tickets off;
    root $work/nginx/root;
  }
}
CONF
nginx -c "$work/nginx/nginx.conf" -g 'daemon off;' &
npid=$!; pids+=("$npid")
for _ in $(seq 1 100); do curl -fsS --cacert "$ca" "https://localhost:$nport/ipxe" >/dev/null 2>&1 && break; sleep 0.05; done
cmp -s "$work/ipxe-body" <(curl -fsS --cacert "$ca" "https://localhost:$nport/ipxe") || { echo "nginx does not serve the body over TLS" >&2; exit 1; }
k_tls=$(curl -sS -o /dev/null --cacert "$ca" -w '%{ssl_verify_result}' "https://localhost:$port/ipxe?mac=$mac")

tls_rows=()
for mode in keepalive close; do
  extra=()
  [ "$mode" = close ] && extra=(-H 'Connection: close')
  t0=$(cpu_ticks "$kpid")
  k=$(wrk_run "https://127.0.0.1:$port/ipxe" "${extra[@]}")
  t1=$(cpu_ticks "$kpid")
  n=$(REQ_PATH=/ipxe wrk_run "https://127.0.0.1:$nport/ipxe" "${extra[@]}")
  read -r k_rps k_p99 k_reqs <<<"$k"
  read -r n_rps n_p99 _ <<<"$n"
  k_cpu=$(python3 -c "print(f'{($t1-$t0)*1e6/$TICK/$k_reqs:.1f}')")
  ratio=$(python3 -c "print(f'{$k_rps/$n_rps:.2f}')")
  tls_rows+=("$(printf '| %-9s | %4s B | %8.0f | %8.0f | %5s | %7.2f | %7.2f | %6s |' "$mode" "$size" "$k_rps" "$n_rps" "$ratio" "$k_p99" "$n_p99" "$k_cpu")")
done
kill "$kpid" "$npid" 2>/dev/null || true
wait "$kpid" "$npid" 2>/dev/null || true

# --- 2. Signing: /ipxe.sig against /ipxe ------------------------------------
mkdir -m 700 "$work/gpg"
sign_rows=()
for algo in ed25519 rsa3072; do
  uid="bench-$algo <bench-$algo@kindling.invalid>"
  GNUPGHOME=$work/gpg gpg --batch --pinentry-mode loopback --passphrase bench --quick-gen-key "$uid" "$algo" sign never 2>/dev/null
  GNUPGHOME=$work/gpg gpg --batch --pinentry-mode loopback --passphrase bench --export-secret-keys "$uid" >"$work/$algo.gpg"
  port=$(free_port)
  MATCHBOX_PASSPHRASE=bench "$BIN" serve --address "127.0.0.1:$port" --data-path "$data" --assets-path= \
    --key-ring-path "$work/$algo.gpg" --recorder-file "$work/recorder-$algo.redb" 2>"$work/kindling-$algo.log" &
  kpid=$!; pids+=("$kpid")
  wait_ready "$work/kindling-$algo.log"
  curl -fsS "http://127.0.0.1:$port/ipxe?mac=$mac" >"$work/body"
  curl -fsS "http://127.0.0.1:$port/ipxe.sig?mac=$mac" >"$work/body.sig"
  GNUPGHOME=$work/gpg gpg --batch --verify "$work/body.sig" "$work/body" 2>/dev/null || { echo "the $algo signature does not verify" >&2; exit 1; }
  # /ipxe: ten profiles, so ten bodies, each signed once and then reused.
  u=$(REQ_PATH=/ipxe wrk_run "http://127.0.0.1:$port/ipxe")
  s=$(REQ_PATH=/ipxe.sig wrk_run "http://127.0.0.1:$port/ipxe.sig")
  # /metadata with a label no two requests share: every body is new, so
  # every .sig is a private-key operation.
  t0=$(cpu_ticks "$kpid")
  mu=$(NONCE=1 REQ_PATH=/metadata wrk_run "http://127.0.0.1:$port/metadata")
  t1=$(cpu_ticks "$kpid")
  ms=$(NONCE=1 REQ_PATH=/metadata.sig wrk_run "http://127.0.0.1:$port/metadata.sig")
  t2=$(cpu_ticks "$kpid")
  read -r u_rps _ _ <<<"$u"
  read -r s_rps _ _ <<<"$s"
  read -r mu_rps _ mu_reqs <<<"$mu"
  read -r ms_rps ms_p99 ms_reqs <<<"$ms"
  mu_cpu=$(python3 -c "print(f'{($t1-$t0)*1e6/$TICK/$mu_reqs:.1f}')")
  ms_cpu=$(python3 -c "print(f'{($t2-$t1)*1e6/$TICK/$ms_reqs:.1f}')")
  r1=$(python3 -c "print(f'{$s_rps/$u_rps:.2f}')")
  r2=$(python3 -c "print(f'{$ms_rps/$mu_rps:.3f}')")
  sign_rows+=("$(printf '| %-8s | %8.0f | %8.0f | %5s | %8.0f | %8.0f | %6s | %7.2f | %7s | %7s |' "$algo" "$u_rps" "$s_rps" "$r1" "$mu_rps" "$ms_rps" "$r2" "$ms_p99" "$mu_cpu" "$ms_cpu")")
  kill "$kpid" 2>/dev/null || true
  wait "$kpid" 2>/dev/null || true
done

echo
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, random MAC per request, $GROUPS_N groups; $(nproc) cores; $(date -u +%Y-%m-%d); certificate verified: $k_tls (0 = ok)"
echo
echo "HTTPS, /ipxe: kindling --web-ssl against nginx (ssl, same ECDSA P-256 certificate, no session resumption)"
echo
echo "| workload | body | kindling r/s | nginx r/s | ratio | kindling p99 ms | nginx p99 ms | kindling CPU µs/req |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${tls_rows[@]}"
echo
echo "Signing, keep-alive over HTTP: signed against unsigned, for bodies shared by many machines (/ipxe, 10 profiles: the signature is reused) and for a new body on every request (/metadata with a unique label: a new signature each time)"
echo
echo "| key | /ipxe r/s | /ipxe.sig r/s | ratio | /metadata r/s (unique) | /metadata.sig r/s (unique) | ratio | .sig p99 ms | /metadata CPU µs/req | .sig CPU µs/req |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${sign_rows[@]}"
