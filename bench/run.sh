#!/usr/bin/env bash
# make bench: the ingress against direct access, nginx, the bare forwarder (bench/BareForwarder: Kestrel + one
# HttpMessageInvoker, the limit of the ingress's design) and YARP's forwarder with its default transformer over the same
# kind of invoker (bench/YarpDefault: the price of the library), side by side on this machine, in alternating rounds.
#   ROUNDS (3)  DURATION seconds per run (5)  CONNECTIONS (64)  THREADS for wrk (2)
#   BASELINE: another ingress binary (an earlier build, say) measured as the target "baseline" in the same rounds
#   TRACING=1: two more ingress targets exporting traces over OTLP/HTTP to a local sink (nginx answering 200), sampled
#              at 1 % ("traced-1pct") and 100 % ("traced-100pct"); small keep-alive GETs only
#   LEVELS ("1 8"): small keep-alive GETs and new connections per request also at these connection counts, for the bare
#              forwarder, yarp-default and the ingress (scenarios small-keepalive-c1 … and new-connection-c1 …; direct
#              too for keep-alive, for the latency the ingress adds); LEVELS= measures 64 connections only
#   IDLE_CONNECTIONS (10000), IDLE_SECONDS (60): after the rounds, that many keep-alive client connections, each served
#              once, sit idle on the ingress holding 100,000 sandboxes while its CPU time is read; IDLE_CONNECTIONS=0 skips
#   PROTOCOLS=1: small GETs over TLS, HTTP/1.1 (wrk) and HTTP/2 (h2load), through the ingress's TLS port and nginx
#              terminating TLS with the same certificate; unary gRPC calls (bench/GrpcLoad) direct and through the
#              ingress's h2c port
# Needs wrk and nginx (installed from Debian if missing) and the AOT binary (built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
OUT="bench/out"
BASELINE="${BASELINE:-}"
TRACING="${TRACING:-}"
PROTOCOLS="${PROTOCOLS:-}"
LEVELS="${LEVELS-1 8}"
IDLE_CONNECTIONS="${IDLE_CONNECTIONS:-10000}"
IDLE_SECONDS="${IDLE_SECONDS:-60}"
BACKEND_PORT=18080 NGINX_PROXY_PORT=18081 INGRESS_PORT=18082 INGRESS_100K_PORT=18083 BARE_PORT=18084 BASELINE_PORT=18085
YARP_PORT=18086 OTLP_SINK_PORT=18087 TRACED_1PCT_PORT=18088 TRACED_100PCT_PORT=18089
NGINX_TLS_PORT=18092 INGRESS_TLS_PORT=18093 INGRESS_H2C_PORT=18094 GRPC_PORT=18095
WS_BACKEND_PORT=18090

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx || { [[ -n $PROTOCOLS ]] && ! need h2load; }; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends wrk nginx nghttp2-client openssl >/dev/null
fi
[[ -x bin/opensandbox-ingress ]] || make build >/dev/null
[[ -x "$OUT/wsload/WsLoad" ]] || dotnet publish bench/WsLoad -c Release -r linux-x64 -o "$OUT/wsload" >/dev/null
[[ $IDLE_CONNECTIONS == 0 || -x "$OUT/idle/IdleClients" ]] || dotnet publish bench/IdleClients -c Release -r linux-x64 -o "$OUT/idle" >/dev/null
# Built every run: it is the reference the ingress is held to, and must be built the way the ingress is.
dotnet publish bench/BareForwarder -c Release -r linux-x64 -o "$OUT/bare" >/dev/null
dotnet publish bench/YarpDefault -c Release -r linux-x64 -o "$OUT/yarp" >/dev/null
[[ -z $PROTOCOLS ]] || dotnet publish bench/GrpcLoad -c Release -o "$OUT/grpcload" >/dev/null

# A server left on one of these ports (the backend listens with reuseport) would answer part of the load and spoil
# every figure: refuse to measure rather than print a wrong table.
for port in $BACKEND_PORT $NGINX_PROXY_PORT $INGRESS_PORT $INGRESS_100K_PORT $BARE_PORT $BASELINE_PORT $YARP_PORT $WS_BACKEND_PORT \
  $OTLP_SINK_PORT $TRACED_1PCT_PORT $TRACED_100PCT_PORT $NGINX_TLS_PORT $INGRESS_TLS_PORT $INGRESS_H2C_PORT $GRPC_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "bench: port $port on 127.0.0.1 is already taken (a server from an earlier run?); stop it first" >&2
    exit 1
  fi
done

# The .NET processes (the ingress and the bare forwarder) run with the GC setting the image and deploy/ give the ingress.
export DOTNET_GCgen0size=800000
# Room for the idle connections on both ends: the soft open-file limit raised to the hard one, which every process
# started below inherits.
hard=$(ulimit -Hn); [[ $hard == unlimited ]] && hard=1048576
ulimit -n "$hard"
if (( IDLE_CONNECTIONS + 1024 > hard )); then
  echo "bench: the open-file limit ($hard) leaves no room for IDLE_CONNECTIONS=$IDLE_CONNECTIONS" >&2
  exit 1
fi

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# --- the backend: nginx serving a small body and a 1 MiB file; the reverse proxy: nginx with an upstream pool ---
source bench/sandbox-backend.sh
write_sandbox_backend "$work" "$BACKEND_PORT"
mkdir -p "$work/sandboxes-100k"
# One certificate for nginx and the ingress (PROTOCOLS=1), so the TLS rows compare the same handshake and cipher.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
  -days 1 -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
cat > "$work/proxy.conf" <<NGINX
worker_processes auto;
pid $work/proxy.pid;
error_log $work/logs/proxy-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  upstream sandbox { server 127.0.0.1:$BACKEND_PORT; keepalive 128; }
  upstream ws { server 127.0.0.1:$WS_BACKEND_PORT; }
  # nginx terminating TLS (HTTP/1.1 and HTTP/2) in front of the same sandbox, for PROTOCOLS=1.
  server {
    listen 127.0.0.1:$NGINX_TLS_PORT ssl http2;
    ssl_certificate $work/tls.crt;
    ssl_certificate_key $work/tls.key;
    keepalive_requests 100000;
    location / {
      proxy_pass http://sandbox;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
  # The OTLP/HTTP sink for TRACING=1: takes every export and answers 200 with an empty body.
  server {
    listen 127.0.0.1:$OTLP_SINK_PORT;
    client_max_body_size 64m;
    location / { return 200; }
  }
  server {
    listen 127.0.0.1:$NGINX_PROXY_PORT;
    location /ws {
      proxy_pass http://ws;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection "upgrade";
    }
    location / {
      proxy_pass http://sandbox;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
NGINX
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' & backend_pid=$!; pids+=($backend_pid)
nginx -p "$work" -c "$work/proxy.conf" -g 'daemon off;' & proxy_pid=$!; pids+=($proxy_pid)
"$OUT/wsload/WsLoad" serve "$WS_BACKEND_PORT" & pids+=($!)
"$OUT/bare/BareForwarder" "$BARE_PORT" "127.0.0.1:$BACKEND_PORT" "127.0.0.1:$WS_BACKEND_PORT" & bare_pid=$!; pids+=($bare_pid)
"$OUT/yarp/YarpDefault" "$YARP_PORT" "127.0.0.1:$BACKEND_PORT" "127.0.0.1:$WS_BACKEND_PORT" & yarp_pid=$!; pids+=($yarp_pid)

# --- the ingress: one sandbox (written with the backend), and a directory of 100,000 ---
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "---\nkind: BatchSandbox\nmetadata: {name: sb-%06d, annotations: {sandbox.opensandbox.io/endpoints: '"'"'[\"127.0.0.1\"]'"'"'}}\nstatus: {ready: 1}\n", i }' \
  > "$work/sandboxes-100k/many.yaml"
protocol_flags=()
[[ -z $PROTOCOLS ]] || protocol_flags=(--tls-port "$INGRESS_TLS_PORT" --tls-cert-file "$work/tls.crt" --tls-key-file "$work/tls.key" --h2c-port "$INGRESS_H2C_PORT")
bin/opensandbox-ingress --provider-type file --sandboxes-dir "$work/sandboxes" --listen-address 127.0.0.1 --port "$INGRESS_PORT" "${protocol_flags[@]}" \
  >"$work/logs/ingress.log" & ingress_pid=$!; pids+=($ingress_pid)
if [[ -n $PROTOCOLS ]]; then
  "$OUT/grpcload/GrpcLoad" serve "$GRPC_PORT" & grpc_pid=$!; pids+=($grpc_pid)
fi
bin/opensandbox-ingress --provider-type file --sandboxes-dir "$work/sandboxes-100k" --listen-address 127.0.0.1 --port "$INGRESS_100K_PORT" >"$work/logs/ingress-100k.log" & ingress_100k_pid=$!; pids+=($ingress_100k_pid)

targets="direct nginx bare yarp ingress"
if [[ -n $BASELINE ]]; then
  "$BASELINE" --provider-type file --sandboxes-dir "$work/sandboxes" --listen-address 127.0.0.1 --port "$BASELINE_PORT" >"$work/logs/baseline.log" & baseline_pid=$!; pids+=($baseline_pid)
  targets="$targets baseline"
fi

if [[ -n $TRACING ]]; then
  for sampled in 1pct 100pct; do
    [[ $sampled == 1pct ]] && port=$TRACED_1PCT_PORT sampler=parentbased_traceidratio ratio=0.01 || port=$TRACED_100PCT_PORT sampler=always_on ratio=1
    OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTLP_SINK_PORT" OTEL_TRACES_SAMPLER=$sampler OTEL_TRACES_SAMPLER_ARG=$ratio \
      bin/opensandbox-ingress --provider-type file --sandboxes-dir "$work/sandboxes" --listen-address 127.0.0.1 --port "$port" \
      >"$work/logs/traced-$sampled.log" & pids+=($!)
    eval "traced_${sampled}_pid=$!"
  done
  targets="$targets traced-1pct traced-100pct"
fi

wait_for() { for _ in $(seq 1 100); do curl -fs "${@:2}" -o /dev/null "$1" && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }
wait_for "http://127.0.0.1:$INGRESS_PORT/status.ok"
wait_for "http://127.0.0.1:$INGRESS_100K_PORT/status.ok"
# /status.ok answers before the file is read: wait until the last of the 100,000 is routed.
for _ in $(seq 1 600); do curl -fs -o /dev/null -H "OpenSandbox-Ingress-To: sb-099999-$BACKEND_PORT" "http://127.0.0.1:$INGRESS_100K_PORT/small" && break; sleep 0.1; done
wait_for "http://127.0.0.1:$BACKEND_PORT/small"
wait_for "http://127.0.0.1:$NGINX_PROXY_PORT/small"
wait_for "http://127.0.0.1:$BARE_PORT/small"
wait_for "http://127.0.0.1:$YARP_PORT/small"
[[ -z $BASELINE ]] || wait_for "http://127.0.0.1:$BASELINE_PORT/status.ok"
if [[ -n $PROTOCOLS ]]; then
  wait_for "https://127.0.0.1:$INGRESS_TLS_PORT/status.ok" -k
  for _ in $(seq 1 100); do curl -s --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$GRPC_PORT/" && break; sleep 0.1; done
fi
[[ -z $TRACING ]] || { wait_for "http://127.0.0.1:$TRACED_1PCT_PORT/status.ok"; wait_for "http://127.0.0.1:$TRACED_100PCT_PORT/status.ok"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
idle_rss=$(rss_mib "$ingress_pid")
rss_100k=$(rss_mib "$ingress_100k_pid")

# --- measurement ---
# CPU time (clock ticks) of a process and its children (nginx's workers): divided by the requests a run served, it is a
# cost per request that does not depend on how the shared cores were split between the load generator and the rest.
cpu_ticks() { local t=0 p; for p in "$1" $(pgrep -P "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
# Context switches, voluntary and not, of every thread of a process and its children, one "thread count" line each: a
# thread that ends during a run (a pool thread retiring) must not take its switches out of the sum, so runs are
# compared thread by thread (switched_since).
switches() {
  local p t; for p in "$1" $(pgrep -P "$1"); do for t in /proc/"$p"/task/*; do
    awk -v t="${t##*/}" '/^(non)?voluntary_ctxt_switches/ {s += $2} END {print t, s}' "$t/status" 2>/dev/null || true
  done; done
}
# Switches since a snapshot of switches(): threads in both count their difference, threads started since count whole.
switched_since() { awk 'NR == FNR {before[$1] = $2; next} {s += $2 - ($1 in before ? before[$1] : 0)} END {print s + 0}' <(echo "$1") <(switches "$2"); }
ticks_per_second=$(getconf CLK_TCK)
# wrk prints latency percentiles with --latency; we keep requests/s, p50, p99, errors (non-2xx + socket errors) and the
# CPU microseconds per request of the process serving it.
run_wrk() { # name pid url header extra...
  local name=$1 pid=$2 url=$3 header=$4; shift 4
  local before; before=$(cpu_ticks "$pid")
  local switched; switched=$(switches "$pid")
  local out; out=$(wrk -t"${WRK_THREADS:-$THREADS}" -c"${WRK_CONNECTIONS:-$CONNECTIONS}" -d"${DURATION}s" --latency -H "$header" "$@" "$url" 2>&1)
  local ticks=$(($(cpu_ticks "$pid") - before))
  switched=$(switched_since "$switched" "$pid")
  local rps p50 p99 errors requests
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  errors=$(awk '/Non-2xx/ {n+=$NF} /Socket errors/ {gsub(",",""); n+=$4+$6+$8+$10} END {print n+0}' <<<"$out")
  echo "$name $rps $(to_ms "$p50") $(to_ms "$p99") $errors $(awk -v t="$ticks" -v hz="$ticks_per_second" -v n="$requests" -v s="$switched" 'BEGIN { printf "%.1f %.2f", t * 1e6 / hz / n, s / n }')"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms/,"",v); print v } else if (v ~ /s$/) { sub(/s/,"",v); print v*1000 } else print v }'; }
run_h2load() { # name pid url header
  local before; before=$(cpu_ticks "$2")
  local out; out=$(h2load -c "$CONNECTIONS" -t "$THREADS" -m 1 -D "$DURATION" -H "$4" "$3" 2>&1)
  local ticks=$(($(cpu_ticks "$2") - before))
  local rps requests errors mean
  rps=$(awk '/^finished in/ {print $4}' <<<"$out")
  requests=$(awk '/^requests:/ {print $8}' <<<"$out")
  errors=$(awk '/^requests:/ {print $10 + $12}' <<<"$out")
  mean=$(awk '/time for request:/ {print $6}' <<<"$out")
  echo "$1 $rps $(to_ms "$mean") - $errors $(awk -v t="$ticks" -v hz="$ticks_per_second" -v n="$requests" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')"
}
run_grpc() { # name pid url header
  local before; before=$(cpu_ticks "$2")
  local out; out=$("$OUT/grpcload/GrpcLoad" load "$3" "$CONNECTIONS" "$DURATION" "$4")
  local ticks=$(($(cpu_ticks "$2") - before))
  read -r rps p50 p99 errors <<<"$out"
  echo "$1 $rps $p50 $p99 $errors $(awk -v t="$ticks" -v hz="$ticks_per_second" -v n="$rps" -v d="$DURATION" 'BEGIN { printf "%.1f", t * 1e6 / hz / (n * d) }')"
}
run_ws() { # name url header
  local out; out=$("$OUT/wsload/WsLoad" load "$2" 100 "$DURATION" "$3")
  echo "$1 $out"
}

# The port a target listens on and the process whose CPU time is its cost: sets port and pid.
locate() {
  case $1 in
    baseline) port=$BASELINE_PORT pid=$baseline_pid ;;
    direct) port=$BACKEND_PORT pid=$backend_pid ;;
    nginx) port=$NGINX_PROXY_PORT pid=$proxy_pid ;;
    bare) port=$BARE_PORT pid=$bare_pid ;;
    yarp) port=$YARP_PORT pid=$yarp_pid ;;
    ingress) port=$INGRESS_PORT pid=$ingress_pid ;;
    traced-1pct) port=$TRACED_1PCT_PORT pid=$traced_1pct_pid ;;
    traced-100pct) port=$TRACED_100PCT_PORT pid=$traced_100pct_pid ;;
  esac
}

route="OpenSandbox-Ingress-To: bench-$BACKEND_PORT"
route100k="OpenSandbox-Ingress-To: sb-099999-$BACKEND_PORT"
# Kept in bench/out with the report, so a run can be summarised again or compared later.
mkdir -p "$OUT"
results="$OUT/results.txt"
: > "$results"
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round/$ROUNDS" >&2
  for target in $targets; do
    locate "$target"
    if [[ $target == traced-* ]]; then
      run_wrk "small-keepalive/$target" "$pid" "http://127.0.0.1:$port/small" "$route" >> "$results"
      continue
    fi
    run_wrk "small-keepalive/$target" "$pid" "http://127.0.0.1:$port/small" "$route" >> "$results"
    run_wrk "new-connection/$target" "$pid" "http://127.0.0.1:$port/small" "$route" -H "Connection: close" >> "$results"
    run_wrk "1mib/$target" "$pid" "http://127.0.0.1:$port/1m" "$route" >> "$results"
    if [[ $target == ingress ]]; then
      small_rss=$(rss_mib "$ingress_pid")
      run_wrk "small-100k-sandboxes/ingress" "$ingress_100k_pid" "http://127.0.0.1:$INGRESS_100K_PORT/small" "$route100k" >> "$results"
    fi
  done
  for level in $LEVELS; do
    for target in direct bare yarp ingress ${BASELINE:+baseline}; do
      locate "$target"
      export WRK_CONNECTIONS=$level WRK_THREADS=$((level < THREADS ? level : THREADS))
      run_wrk "small-keepalive-c$level/$target" "$pid" "http://127.0.0.1:$port/small" "$route" >> "$results"
      [[ $target == direct ]] || run_wrk "new-connection-c$level/$target" "$pid" "http://127.0.0.1:$port/small" "$route" -H "Connection: close" >> "$results"
      unset WRK_CONNECTIONS WRK_THREADS
    done
  done
  if [[ -n $PROTOCOLS ]]; then
    run_wrk "tls-h1/nginx" "$proxy_pid" "https://127.0.0.1:$NGINX_TLS_PORT/small" "$route" >> "$results"
    run_wrk "tls-h1/ingress" "$ingress_pid" "https://127.0.0.1:$INGRESS_TLS_PORT/small" "$route" >> "$results"
    run_h2load "tls-h2/nginx" "$proxy_pid" "https://127.0.0.1:$NGINX_TLS_PORT/small" "$route" >> "$results"
    run_h2load "tls-h2/ingress" "$ingress_pid" "https://127.0.0.1:$INGRESS_TLS_PORT/small" "$route" >> "$results"
    run_grpc "grpc/direct" "$grpc_pid" "http://127.0.0.1:$GRPC_PORT" "X-Unused: 1" >> "$results"
    run_grpc "grpc/ingress" "$ingress_pid" "http://127.0.0.1:$INGRESS_H2C_PORT" "OpenSandbox-Ingress-To: bench-$GRPC_PORT" >> "$results"
  fi
  run_ws "websocket/direct" "ws://127.0.0.1:$WS_BACKEND_PORT/ws" "X-Unused: 1" >> "$results"
  run_ws "websocket/nginx" "ws://127.0.0.1:$NGINX_PROXY_PORT/ws" "X-Unused: 1" >> "$results"
  run_ws "websocket/bare" "ws://127.0.0.1:$BARE_PORT/ws" "X-Unused: 1" >> "$results"
  run_ws "websocket/yarp" "ws://127.0.0.1:$YARP_PORT/ws" "X-Unused: 1" >> "$results"
  run_ws "websocket/ingress" "ws://127.0.0.1:$INGRESS_PORT/ws" "OpenSandbox-Ingress-To: bench-$WS_BACKEND_PORT" >> "$results"
  [[ -z $BASELINE ]] || run_ws "websocket/baseline" "ws://127.0.0.1:$BASELINE_PORT/ws" "OpenSandbox-Ingress-To: bench-$WS_BACKEND_PORT" >> "$results"
done
peak_rss=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$ingress_pid/status")

# --- idle: keep-alive connections that were served once and then say nothing, on the ingress holding 100,000 sandboxes ---
idle=""
if [[ $IDLE_CONNECTIONS -gt 0 ]]; then
  echo "idle: $IDLE_CONNECTIONS connections, ${IDLE_SECONDS} s" >&2
  mkfifo "$work/idle.in"
  "$OUT/idle/IdleClients" "$INGRESS_100K_PORT" "$IDLE_CONNECTIONS" "$route100k" <"$work/idle.in" >"$work/idle.out" 2>&1 & idle_pid=$!; pids+=($idle_pid)
  exec 6>"$work/idle.in"
  for _ in $(seq 1 1200); do grep -q '^open' "$work/idle.out" && break; kill -0 "$idle_pid" 2>/dev/null || break; sleep 0.1; done
  grep -q '^open' "$work/idle.out" || { echo "bench: the idle clients did not all connect: $(cat "$work/idle.out")" >&2; exit 1; }
  before=$(cpu_ticks "$ingress_100k_pid")
  sleep "$IDLE_SECONDS"
  idle_ticks=$(($(cpu_ticks "$ingress_100k_pid") - before))
  idle_rss_connections=$(rss_mib "$ingress_100k_pid")
  exec 6>&-
  wait "$idle_pid" || true
  idle="$IDLE_CONNECTIONS $IDLE_SECONDS $idle_ticks $idle_rss_connections $(awk '/^still open/ {print $3}' "$work/idle.out")"
fi

# --- report: medians over the rounds, and the ratios ---
mkdir -p "$OUT"
awk -v idle="$idle_rss" -v small="$small_rss" -v peak="$peak_rss" -v rss100k="$rss_100k" -v idlerun="$idle" -v hz="$ticks_per_second" -v rounds="$ROUNDS" -v dur="$DURATION" -v conns="$CONNECTIONS" -v targetlist="$targets" -v levels="$LEVELS" '
function median(list,   n, arr, i, j, t) {
  n = split(list, arr, " ")
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] + 0 < arr[i] + 0) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
  return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
}
{ rps[$1] = rps[$1] " " $2; p50[$1] = p50[$1] " " $3; p99[$1] = p99[$1] " " $4; err[$1] += $5; if (NF >= 6) cpu[$1] = cpu[$1] " " $6; if (NF >= 7) sw[$1] = sw[$1] " " $7 }
END {
  printf "Median of %d rounds, %d s each, %d connections (WebSocket: 100), wrk -t2 / WsLoad, all on 127.0.0.1.\n\n", rounds, dur, conns
  printf "CPU µs/req: CPU time of the serving process (direct: the nginx sandbox; nginx: the proxy; bare: the bare forwarder; yarp: YARP with its default transformer; ingress: the ingress) per request.\n"
  printf "Switches/req: context switches (voluntary and not) of every thread of the serving process per request.\n"
  printf "Ratios: the ingress requests/s (messages/s for WebSocket) over the reference; CPU and p99 ratios below the table.\n\n"
  printf "| scenario | target | requests/s | p50 ms | p99 ms | errors | CPU µs/req | switches/req | ingress/bare | ingress/nginx | ingress/direct |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
  list = "small-keepalive new-connection 1mib websocket tls-h1 tls-h2 grpc"
  nlevels = split(levels, levelarr, " ")
  for (l = 1; l <= nlevels; l++) list = list " small-keepalive-c" levelarr[l] " new-connection-c" levelarr[l]
  nscenarios = split(list, scenarios, " ")
  for (s = 1; s <= nscenarios; s++) {
    sc = scenarios[s]
    # Only scenarios a target ran have entries: look before reading (reading an awk array element creates it).
    n = (sc "/nginx") in rps ? median(rps[sc "/nginx"]) : 0; d = (sc "/direct") in rps ? median(rps[sc "/direct"]) : 0
    b = (sc "/bare") in rps ? median(rps[sc "/bare"]) : 0; i = (sc "/ingress") in rps ? median(rps[sc "/ingress"]) : 0
    ntargets = split(targetlist, targets, " ")
    for (t = 1; t <= ntargets; t++) {
      k = sc "/" targets[t]
      if (!(k in rps)) continue
      ratio_b = targets[t] == "ingress" && b > 0 ? sprintf("%.2f", i / b) : ""
      ratio_n = targets[t] == "ingress" && n > 0 ? sprintf("%.2f", i / n) : ""
      ratio_d = targets[t] == "ingress" && d > 0 ? sprintf("%.2f", i / d) : ""
      cpu_text = k in cpu ? sprintf("%.1f", median(cpu[k])) : ""
      sw_text = k in sw ? sprintf("%.2f", median(sw[k])) : ""
      printf "| %s | %s | %.0f | %.3f | %.3f | %d | %s | %s | %s | %s | %s |\n", sc, targets[t], median(rps[k]), median(p50[k]), median(p99[k]), err[k], cpu_text, sw_text, ratio_b, ratio_n, ratio_d
    }
    if (sc == "small-keepalive") {
      k = "small-100k-sandboxes/ingress"; t100k = median(rps[k])
      printf "| small-keepalive, 100,000 sandboxes | ingress | %.0f | %.3f | %.3f | %d | %.1f | %.2f | %.2f of 1-sandbox (CPU/req %.2f) | | |\n", t100k, median(p50[k]), median(p99[k]), err[k], median(cpu[k]), median(sw[k]), t100k / i, median(cpu[k]) / median(cpu["small-keepalive/ingress"])
    }
  }
  ki = "small-keepalive/ingress"; kb = "small-keepalive/bare"; kn = "small-keepalive/nginx"
  printf "\nsmall-keepalive ingress/bare: CPU per request %.2f, p99 %.2f; ingress/nginx: CPU per request %.2f, p99 %.2f\n", median(cpu[ki]) / median(cpu[kb]), median(p99[ki]) / median(p99[kb]), median(cpu[ki]) / median(cpu[kn]), median(p99[ki]) / median(p99[kn])
  split("small-keepalive new-connection 1mib", compared, " ")
  for (s = 1; s <= 3; s++) {
    ki = compared[s] "/ingress"; ky = compared[s] "/yarp"; kb = compared[s] "/bare"
    printf "%s yarp-default/bare: CPU per request %.2f; ingress/yarp-default: CPU per request %.2f, p99 %.2f\n", compared[s], median(cpu[ky]) / median(cpu[kb]), median(cpu[ki]) / median(cpu[ky]), median(p99[ki]) / median(p99[ky])
  }
  for (l = 1; l <= nlevels; l++) {
    split("small-keepalive new-connection", kinds, " ")
    for (m = 1; m <= 2; m++) {
      sc = kinds[m] "-c" levelarr[l]; ki = sc "/ingress"; ky = sc "/yarp"; kb = sc "/bare"
      printf "%s: CPU per request ingress/yarp-default %.2f, ingress/bare %.2f; p99 ingress/bare %.2f\n", sc, median(cpu[ki]) / median(cpu[ky]), median(cpu[ki]) / median(cpu[kb]), median(p99[ki]) / median(p99[kb])
    }
  }
  if (("small-keepalive/traced-1pct") in cpu) {
    ki = median(cpu["small-keepalive/ingress"])
    printf "small-keepalive traces: CPU per request off %.1f µs, sampled 1 %% %.1f µs (%.2f), 100 %% %.1f µs (%.2f)\n", ki, median(cpu["small-keepalive/traced-1pct"]), median(cpu["small-keepalive/traced-1pct"]) / ki, median(cpu["small-keepalive/traced-100pct"]), median(cpu["small-keepalive/traced-100pct"]) / ki
  }
  if (("small-keepalive/baseline") in cpu) {
    ncompared = split("small-keepalive new-connection 1mib", compared, " ")
    for (l = 1; l <= nlevels; l++) { compared[++ncompared] = "small-keepalive-c" levelarr[l]; compared[++ncompared] = "new-connection-c" levelarr[l] }
    for (s = 1; s <= ncompared; s++) {
      ki = compared[s] "/ingress"; kl = compared[s] "/baseline"
      printf "%s ingress/baseline: CPU per request %.1f / %.1f µs (%.3f), requests/s %.3f, p99 %.2f, switches per request %.2f / %.2f\n", compared[s], median(cpu[ki]), median(cpu[kl]), median(cpu[ki]) / median(cpu[kl]), median(rps[ki]) / median(rps[kl]), median(p99[ki]) / median(p99[kl]), median(sw[ki]), median(sw[kl])
    }
    printf "websocket ingress/baseline: messages/s %.3f\n", median(rps["websocket/ingress"]) / median(rps["websocket/baseline"])
  }
  if (("small-keepalive-c1/direct") in p50) {
    kd = "small-keepalive-c1/direct"; ki = "small-keepalive-c1/ingress"
    printf "latency the ingress adds over direct at 1 connection: p50 +%.3f ms, p99 +%.3f ms\n", median(p50[ki]) - median(p50[kd]), median(p99[ki]) - median(p99[kd])
  }
  printf "ingress RSS: idle %s MiB, after the small-GET scenario %s MiB, peak %s MiB; with 100,000 sandboxes %s MiB after start\n", idle, small, peak, rss100k
  if (idlerun != "") {
    split(idlerun, ir, " ")
    idlecpu = ir[3] / hz / ir[2] * 100
    printf "idle: %d keep-alive connections (%d still open at the end) on the ingress with 100,000 sandboxes: %.2f %% of one core over %d s (%d ticks), RSS %s MiB\n", ir[1], ir[5], idlecpu, ir[2], ir[3], ir[4]
  }

  # Where each target of issue 23 stands in this run.
  printf "\ntargets:\n"
  nchecked = split(levels " 64", checked, " ")
  for (c = 1; c <= nchecked; c++) {
    sc = checked[c] == 64 ? "small-keepalive" : "small-keepalive-c" checked[c]; nc = checked[c] == 64 ? "new-connection" : "new-connection-c" checked[c]
    ry = median(cpu[sc "/ingress"]) / median(cpu[sc "/yarp"]); rb = median(cpu[sc "/ingress"]) / median(cpu[sc "/bare"]); rn = median(cpu[nc "/ingress"]) / median(cpu[nc "/bare"])
    printf "  %d connections: CPU %.2f× yarp-default (≤ 1.20: %s), %.2f× bare (≤ 1.35: %s); new connection CPU %.2f× bare (≤ 1.15: %s)\n", checked[c], ry, verdict(ry <= 1.20), rb, verdict(rb <= 1.35), rn, verdict(rn <= 1.15)
    if (checked[c] != 64) {
      rp = median(p99[sc "/ingress"]) / median(p99[sc "/bare"])
      printf "  %d connections: p99 %.2f× bare (≤ 1.2: %s)\n", checked[c], rp, verdict(rp <= 1.2)
    }
    if (checked[c] == 1) {
      s1 = median(sw[sc "/ingress"])
      printf "  1 connection: %.2f context switches per request (≤ 3: %s; bare %.2f)\n", s1, verdict(s1 <= 3), median(sw[sc "/bare"])
    }
  }
  rw = median(rps["websocket/ingress"]) / median(rps["websocket/bare"])
  printf "  WebSocket echo %.2f× bare (≥ 0.95: %s)\n", rw, verdict(rw >= 0.95)
  if (idlerun != "") printf "  idle CPU %.2f %% of one core (< 0.5: %s)\n", idlecpu, verdict(idlecpu < 0.5)
  printf "  RSS idle %s MiB (≤ 40: %s), after 64 connections %s MiB (≤ 64: %s), with 100,000 sandboxes %s MiB (≤ 100: %s)\n", idle, verdict(idle <= 40), small, verdict(small <= 64), rss100k, verdict(rss100k <= 100)
}
function verdict(ok) { return ok ? "met" : "missed" }' "$results" | tee "$OUT/report.md"
