#!/usr/bin/env bash
# etcd-defrag: defragments THIS member's database, one member of the cluster at a time.
#
# Runs from a timer on every member. A defragmentation blocks the member while it rewrites its
# database, so members take turns: each holds a lock in etcd itself (`etcdctl lock`, a lease that
# expires if the holder dies) while it defragments, checks health and lets the member settle; the
# others wait for the lock. Never all at once, and never on a degraded cluster:
#   1. the whole cluster must be healthy (etcd-health), else exit 1 without defragmenting;
#   2. nothing to do (exit 0) unless the member could give back at least DEFRAG_MIN_RECLAIM_BYTES
#      and DEFRAG_MIN_RECLAIM_PERCENT of its file (dbSize - dbSizeInUse), or --force;
#   3. take the lock, check health again, `etcdctl defrag` this member only, wait until the cluster
#      is healthy again, settle, release. Prints one JSON line.
#
#   etcd-defrag [--force]
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
# shellcheck source=/dev/null
source "$(sibling etcd-backup-common)"
backup_init etcd-defrag

force=false phase=check
while (($#)); do
  case "$1" in
    --force) force=true ;;
    --holding-lock) phase=locked ;; # internal: re-run by `etcdctl lock` with the lock held
    *) echo "usage: etcd-defrag [--force]" >&2; exit 2 ;;
  esac
  shift
done

lock_name="${DEFRAG_LOCK_NAME:-/etcd-maintenance/defrag-lock}"
lock_ttl="${DEFRAG_LOCK_TTL_SECONDS:-30}"
lock_wait="${DEFRAG_LOCK_WAIT_SECONDS:-1800}"
min_bytes="${DEFRAG_MIN_RECLAIM_BYTES:-67108864}"
min_percent="${DEFRAG_MIN_RECLAIM_PERCENT:-20}"
health_wait="${DEFRAG_HEALTH_WAIT_SECONDS:-120}"
settle="${DEFRAG_SETTLE_SECONDS:-10}"
defrag_timeout="${DEFRAG_TIMEOUT_SECONDS:-600}"
health="$(sibling etcd-health)" || fail "etcd-health is not installed next to $0"
self="$(readlink -f "${BASH_SOURCE[0]}")"
now_ms() { echo $(($(date +%s%N) / 1000000)); }

unhealthy_reason() { # prints the reason and returns 0 when the cluster is NOT healthy
  local out
  if out="$("$health" 2>/dev/null)"; then return 1; fi
  json_get .reason <<<"$out" 2>/dev/null | grep . || echo "etcd-health failed"
  return 0
}

sizes() { # "dbSize dbSizeInUse" of this member
  local status
  status="$(etcdctl_local endpoint status -w json)" || return 1
  json_get '.[0].Status | "\(.dbSize) \(.dbSizeInUse // 0)"' <<<"$status"
}

if [[ "$phase" == check ]]; then
  if why="$(unhealthy_reason)"; then
    fail "the cluster is not healthy ($why); not defragmenting any member"
  fi
  read -r size in_use < <(sizes) || fail "cannot read this member's database size"
  reclaim=$((size - ${in_use:-$size}))
  if [[ "$force" != true ]] && ((reclaim < min_bytes || reclaim * 100 < min_percent * size)); then
    log "only $reclaim of $size bytes to reclaim (thresholds $min_bytes bytes and $min_percent%); nothing to do"
    printf '{"member":%s,"defragmented":false,"dbSize":%s,"dbSizeInUse":%s}\n' "$(json_string "$MEMBER_NAME")" "$size" "${in_use:-0}"
    exit 0
  fi
  log "$reclaim of $size bytes to reclaim; waiting for the defrag lock $lock_name"
  args=("$self" --holding-lock)
  [[ "$force" == true ]] && args+=(--force)
  etcdctl_cmd "${ETCDCTL_ENDPOINTS:-$LOCAL_CLIENT_URL}"
  code=0
  timeout "$lock_wait" "${ETCDCTL_CMD[@]}" lock --ttl "$lock_ttl" "$lock_name" -- "${args[@]}" || code=$?
  if ((code == 124)); then fail "did not get the defrag lock within ${lock_wait}s"; fi
  exit "$code"
fi

# ---- with the lock held ------------------------------------------------------------------------------------
started="$(now_ms)"
if why="$(unhealthy_reason)"; then
  fail "the cluster became unhealthy while waiting for the lock ($why); not defragmenting"
fi
read -r before _ < <(sizes) || fail "cannot read this member's database size"
log "defragmenting (lock ${ETCD_LOCK_KEY:-held}); database $before bytes"
ETCDCTL_COMMAND_TIMEOUT_S="${defrag_timeout}s" etcdctl_cmd "${ETCDCTL_ENDPOINTS:-$LOCAL_CLIENT_URL}"
if ! out="$(timeout "$defrag_timeout" "${ETCDCTL_CMD[@]}" defrag 2>&1)"; then
  fail "etcdctl defrag failed: $(grep -m 1 -iE 'error|failed' <<<"$out" || tail -n 1 <<<"$out")"
fi
defragged="$(now_ms)"
deadline=$(($(date +%s) + health_wait))
while why="$(unhealthy_reason)"; do
  if (($(date +%s) >= deadline)); then fail "the cluster is not healthy ${health_wait}s after defragmenting this member ($why)"; fi
  sleep 2
done
read -r after _ < <(sizes) || fail "cannot read this member's database size after defragmenting"
sleep "$settle"
finished="$(now_ms)"
log "defragmented: $before -> $after bytes in $((defragged - started)) ms; cluster healthy"
printf '{"member":%s,"defragmented":true,"dbSizeBefore":%s,"dbSizeAfter":%s,"startedMs":%s,"defragmentedMs":%s,"finishedMs":%s}\n' \
  "$(json_string "$MEMBER_NAME")" "$before" "$after" "$started" "$defragged" "$finished"
