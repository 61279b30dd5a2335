#!/usr/bin/env bash
# A real S3 API on a loopback address for the backup tests, the benchmark and the sandbox:
# gofakes3 (github.com/johannesboyne/gofakes3, its own cmd/gofakes3 server) with the bolt backend,
# so objects and their x-amz-meta-* metadata persist in one file under a temporary directory, across
# a restart of the server. Built by scripts/tools.sh (`path s3`); run and start only use a built one,
# since they may run inside the sandbox's network namespace, which has no way out. It speaks what the
# node scripts use through the AWS CLI: put (single and multipart, with metadata), head, get,
# list-objects-v2, delete. No authentication, no encryption,
# no versioning or lifecycle: those are AWS's part and are tested on the Pulumi side.
#
#   s3-test-server.sh run   --host 127.0.0.x:PORT --dir DIR [--bucket NAME]   in the foreground (exec)
#   s3-test-server.sh start --host 127.0.0.x:PORT --dir DIR [--bucket NAME]   in the background; waits
#                            until it answers, prints the endpoint URL; its pid goes to DIR/s3-server.pid
#   s3-test-server.sh stop  --dir DIR
# Only loopback addresses (and the sandbox hub's link-local address, inside its namespace) are accepted.
set -euo pipefail

tools="$(dirname "${BASH_SOURCE[0]}")/tools.sh"

log() { echo "s3-test-server: $*" >&2; }
usage() { sed -n '11,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

command="${1:-}"
[[ -n "$command" ]] || usage
shift
host="" dir="" bucket="etcd-backups"
while (($#)); do
  case "$1" in
    --host) host="${2:?}"; shift ;;
    --dir) dir="${2:?}"; shift ;;
    --bucket) bucket="${2:?}"; shift ;;
    *) usage ;;
  esac
  shift
done

server_args() {
  # Loopback, or link-local: the sandbox hub's bridge address, which exists only inside the
  # sandbox's own network namespace.
  [[ "$host" =~ ^(127\.[0-9]{1,3}|169\.254)\.[0-9]{1,3}\.[0-9]{1,3}:[0-9]{1,5}$ ]] || { log "--host must be a loopback address and port like 127.0.1.100:9000, or the sandbox hub's link-local address (got '$host')"; exit 2; }
  # A link-local address must be one of this namespace's own, or a probe below would leave the host.
  if [[ "$host" == 169.254.* ]] && ! ip -4 -o addr show | grep -q " inet ${host%:*}/"; then
    log "$host is not an address of this network namespace (run it inside the sandbox's hub namespace)"
    exit 2
  fi
  [[ -n "$dir" ]] || { log "--dir is required"; exit 2; }
  mkdir -p "$dir"
  args=(-backend bolt -bolt.db "$dir/s3.db" -host "$host" -initialbucket "$bucket" -quiet)
}

case "$command" in
  run)
    server_args
    bin="$(bash "$tools" path --no-build s3)"
    exec "$bin" "${args[@]}"
    ;;
  start)
    server_args
    bin="$(bash "$tools" path --no-build s3)"
    ip="${host%:*}" port="${host##*:}"
    if (exec 3<>"/dev/tcp/$ip/$port") 2>/dev/null; then log "something already listens on $host"; exit 1; fi
    "$bin" "${args[@]}" >>"$dir/s3-server.log" 2>&1 &
    echo $! >"$dir/s3-server.pid"
    for _ in $(seq 1 100); do
      if (exec 3<>"/dev/tcp/$ip/$port") 2>/dev/null; then
        echo "http://$host"
        exit 0
      fi
      kill -0 "$(cat "$dir/s3-server.pid")" 2>/dev/null || { log "the server exited: $(tail -n 3 "$dir/s3-server.log")"; exit 1; }
      sleep 0.1
    done
    log "the server did not answer on $host within 10 s"
    kill "$(cat "$dir/s3-server.pid")" 2>/dev/null || true
    exit 1
    ;;
  stop)
    [[ -n "$dir" && -f "$dir/s3-server.pid" ]] || { log "no $dir/s3-server.pid"; exit 1; }
    pid="$(cat "$dir/s3-server.pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/s3-server.pid"
    ;;
  *)
    usage
    ;;
esac
