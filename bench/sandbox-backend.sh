# Sourced by bench/run.sh and bench/profile.sh: the "sandbox" both measure against, written into a work directory.
#   write_sandbox_backend WORK PORT
# WORK/nginx.conf: nginx on 127.0.0.1:PORT serving /small (a 23-byte body) and /1m (a 1 MiB file from WORK/www);
# WORK/sandboxes/bench.yaml: the BatchSandbox "bench" on 127.0.0.1, for the ingress's file provider.
write_sandbox_backend() {
  local work=$1 port=$2
  mkdir -p "$work/www" "$work/logs" "$work/sandboxes"
  chmod 755 "$work"  # nginx workers run as an unprivileged user and must read the 1 MiB file
  head -c 1048576 /dev/zero > "$work/www/1m"
  cat > "$work/nginx.conf" <<NGINX
worker_processes 1;
pid $work/backend.pid;
error_log $work/logs/backend-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port reuseport;
    location = /small { default_type text/plain; return 200 "hello from the sandbox\n"; }
    location = /1m { root $work/www; }
  }
}
NGINX
  cat > "$work/sandboxes/bench.yaml" <<YAML
kind: BatchSandbox
metadata: {name: bench, annotations: {sandbox.opensandbox.io/endpoints: '["127.0.0.1"]'}}
status: {ready: 1}
YAML
}
