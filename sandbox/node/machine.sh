#!/usr/bin/env bash
# The member's machine in the sandbox. Started by sandbox/supervisor.ts inside a new mount namespace
# (and, in netns mode, inside the member's network namespace):
#   1. the disk: binds the member's directories over the real node paths (/etc/etcd,
#      /etc/ssl/etcd/ssl, /var/lib/etcd, /usr/local/bin, /usr/local/sbin, ...), so the rendered
#      files and node scripts run with their paths unchanged;
#   2. cloud-init: runs the user data's runcmd (etcd-bootstrap), written by the sandbox as
#      MEMBER_DIR/runcmd the way cloud-init writes it to its instance scripts;
#   3. systemd: runs etcd.service's ExecStart as its User, restarting it as its Restart= and
#      RestartSec= say, until the machine is stopped. `sandbox stop <member>` (run/etcd.stopped) is
#      `systemctl stop etcd`; removing the file is `systemctl start etcd`.
# Usage: machine.sh MEMBER_DIR UNIT_FILE
set -euo pipefail

member_dir="$1"
unit="$2"
run="$member_dir/run"
mkdir -p "$run"
# Written whole (a rename), never truncated in place: the sandbox polls this file for liveness.
echo "$$" >"$run/machine.pid.tmp" && mv -f "$run/machine.pid.tmp" "$run/machine.pid"
rm -f "$run/etcd.pid" "$run/etcd.enabled" "$run/bootstrap.done" "$run/bootstrap.failed"
export SANDBOX_RUN_DIR="$run"

log() { echo "sandbox-machine: $(date -u +%FT%T.%3NZ) $*" >&2; }

# 1. The disk. "mounts" holds "HOST_PATH NODE_PATH" lines.
mount --make-rprivate /
while read -r source target; do
  [[ -n "$source" ]] || continue
  mount --bind "$source" "$target"
done <"$member_dir/mounts"
log "node paths mounted"

# 2. cloud-init's runcmd.
if ! sh "$member_dir/runcmd"; then
  touch "$run/bootstrap.failed"
  log "runcmd failed"
  exit 1
fi
touch "$run/bootstrap.done"

# 3. systemd for etcd.service.
unit_value() { sed -n "s/^$1=//p" "$unit" | tail -n 1; }
read -r -a exec_start <<<"$(unit_value ExecStart)"
user="$(unit_value User)"
restart="$(unit_value Restart)"
restart_sec="$(unit_value RestartSec)"
nofile="$(unit_value LimitNOFILE)"
as_user=()
if [[ -n "$user" ]]; then as_user=(setpriv "--reuid=$user" "--regid=$user" --init-groups --); fi

stopping=0
pid=""
on_term() {
  stopping=1
  if [[ -n "$pid" ]]; then kill -TERM "$pid" 2>/dev/null || true; fi
}
trap on_term TERM INT

while ((stopping == 0)); do
  if [[ ! -f "$run/etcd.enabled" || -f "$run/etcd.stopped" ]]; then
    sleep 0.2 &
    wait $! || true
    continue
  fi
  (
    # LimitNOFILE=, or as close as this host's hard limit allows.
    if [[ -n "$nofile" ]]; then ulimit -n "$nofile" 2>/dev/null || ulimit -n "$(ulimit -H -n)"; fi
    exec "${as_user[@]}" "${exec_start[@]}"
  ) &
  pid=$!
  echo "$pid" >"$run/etcd.pid"
  log "etcd started (pid $pid)"
  code=0
  wait "$pid" || code=$?
  while kill -0 "$pid" 2>/dev/null; do wait "$pid" || code=$?; done
  rm -f "$run/etcd.pid"
  pid=""
  log "etcd exited with status $code"
  ((stopping == 0)) || break
  [[ -f "$run/etcd.stopped" ]] && continue
  if [[ "$restart" != always && ! ("$restart" == on-failure && "$code" != 0) ]]; then
    log "Restart=$restart: not restarting"
    touch "$run/etcd.stopped"
    continue
  fi
  sleep "${restart_sec:-0}" &
  wait $! || true
done
log "machine stopped"
