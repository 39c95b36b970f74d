#!/usr/bin/env bash
# make profile: where the ingress spends its CPU on small keep-alive GETs. perf samples the Native AOT binary (its
# symbols come from bin/publish/opensandbox-ingress.dbg) while wrk drives it through an nginx backend on 127.0.0.1.
#   DURATION seconds of sampling (5)  CONNECTIONS (64)  TOP lines of the report (40)
#   TARGET ingress (default) or bare: the bare forwarder of bench/BareForwarder, for a profile to compare against
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
TOP="${TOP:-40}"
OUT="bench/out"
BACKEND_PORT=18180 INGRESS_PORT=18182

need() { command -v "$1" >/dev/null 2>&1; }
if ! need wrk || ! need nginx || ! need perf; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends wrk nginx linux-perf >/dev/null
fi
TARGET="${TARGET:-ingress}"
[[ -x bin/publish/opensandbox-ingress ]] || make build >/dev/null
[[ $TARGET != bare || -x "$OUT/bare/BareForwarder" ]] || dotnet publish bench/BareForwarder -c Release -r linux-x64 -o "$OUT/bare" >/dev/null

# The GC setting the image and deploy/ give the ingress (bench/run.sh gives it the same).
export DOTNET_GCgen0size=800000

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$OUT"
source bench/sandbox-backend.sh
write_sandbox_backend "$work" "$BACKEND_PORT"
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' & pids+=($!)
if [[ $TARGET == bare ]]; then
  "$OUT/bare/BareForwarder" "$INGRESS_PORT" "127.0.0.1:$BACKEND_PORT" "127.0.0.1:$BACKEND_PORT" & ingress_pid=$!; pids+=($ingress_pid)
else
  # The published copy: perf finds its symbols in opensandbox-ingress.dbg beside it.
  bin/publish/opensandbox-ingress --provider-type file --sandboxes-dir "$work/sandboxes" --listen-address 127.0.0.1 --port "$INGRESS_PORT" \
    >"$work/logs/ingress.log" & ingress_pid=$!; pids+=($ingress_pid)
fi
for _ in $(seq 1 100); do curl -fs -o /dev/null -H "OpenSandbox-Ingress-To: bench-$BACKEND_PORT" "http://127.0.0.1:$INGRESS_PORT/small" && break; sleep 0.1; done

route="OpenSandbox-Ingress-To: bench-$BACKEND_PORT"
threads=$((CONNECTIONS < 2 ? 1 : 2))  # wrk needs a connection per thread
wrk -t"$threads" -c"$CONNECTIONS" -d2s -H "$route" "http://127.0.0.1:$INGRESS_PORT/small" >/dev/null   # warm-up
wrk -t"$threads" -c"$CONNECTIONS" -d"$((DURATION + 2))s" -H "$route" "http://127.0.0.1:$INGRESS_PORT/small" > "$OUT/profile-wrk.txt" & wrk_pid=$!
sleep 1
perf record -F 999 -g -p "$ingress_pid" -o "$OUT/perf.data" -- sleep "$DURATION" 2>/dev/null
wait "$wrk_pid"
# Share of samples by symbol, kernel ([k]) and user ([.]) alike, symbol names cut to 110 characters.
perf report -i "$OUT/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]' | sed -E 's/ +- +- *$//' \
  | cut -c1-130 | head -n "$TOP" | tee "$OUT/profile-$TARGET.txt"
grep -E 'Requests/sec' "$OUT/profile-wrk.txt"
