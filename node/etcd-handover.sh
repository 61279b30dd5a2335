#!/usr/bin/env bash
# etcd-handover: runs before etcd stops (etcd.service ExecStop: a shutdown, a terminated or
# replaced instance, a restart). A leader hands its leadership to the most caught-up peer that
# answers (etcdctl move-leader), so the cluster does not wait an election timeout without a leader.
# A follower has nothing to do. etcd.service ignores its exit status: etcd stops either way.
set -euo pipefail

ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"

log() { echo "etcd-handover: $MEMBER_NAME: $*" >&2; }

etcdctl() {
  "$BIN_DIR/etcdctl" --cacert "$CA_FILE" --cert "$NODE_CERT_FILE" --key "$NODE_KEY_FILE" \
    --dial-timeout 2s --command-timeout 5s "$@"
}

# One field of `endpoint status -w fields` (decimal numbers, as text).
field() { # status-text name
  awk -F' : ' -v key="\"$2\"" '$1 == key { print $2; exit }' <<<"$1"
}

[[ -n "${OTHER_CLIENT_URLS:-}" ]] || exit 0
own="$(etcdctl --endpoints "$LOCAL_CLIENT_URL" endpoint status -w fields 2>/dev/null)" || { log "etcd does not answer; nothing to hand over"; exit 0; }
if [[ "$(field "$own" MemberID)" != "$(field "$own" Leader)" ]]; then
  log "not the leader; nothing to hand over"
  exit 0
fi

# The peer with the highest applied index among those that answer.
best_url="" best_index=-1
IFS=',' read -r -a others <<<"$OTHER_CLIENT_URLS"
for url in "${others[@]}"; do
  status="$(etcdctl --endpoints "$url" endpoint status -w fields 2>/dev/null)" || continue
  index="$(field "$status" RaftAppliedIndex)"
  [[ "$index" =~ ^[0-9]+$ ]] || continue
  if ((index > best_index)); then best_url="$url" best_index="$index"; fi
done
[[ -n "$best_url" ]] || { log "no peer answers; stopping without a handover"; exit 0; }

# move-leader takes the member id in hex, as `member list` prints it (the status has it in decimal).
target="$(etcdctl --endpoints "$LOCAL_CLIENT_URL" member list -w simple 2>/dev/null | awk -F', ' -v url="$best_url" '$5 == url { print $1; exit }')"
[[ -n "$target" ]] || { log "$best_url is not in the member list; stopping without a handover"; exit 0; }
if etcdctl --endpoints "$LOCAL_CLIENT_URL" move-leader "$target" >&2; then
  log "handed leadership to $target ($best_url) before stopping"
else
  log "move-leader to $target failed; stopping without a handover"
fi
exit 0
