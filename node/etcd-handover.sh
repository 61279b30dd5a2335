#!/usr/bin/env bash
# etcd-handover: a member hands over before it goes.
#   etcd-handover          before etcd stops (etcd.service ExecStop: a shutdown, a terminated or
#                          replaced instance, a restart). A leader hands its leadership to the most
#                          caught-up peer that answers (move-leader), so the cluster does not wait an
#                          election timeout without a leader. A follower has nothing to do;
#                          etcd.service ignores the exit status: etcd stops either way.
#   etcd-handover --leave  before the member's instance is deleted (a smaller memberCount; `pulumi up`
#                          runs it on the member through SSM, or from the operator's machine in direct
#                          mode, where ETCDCTL_ENDPOINTS and the certificate files say where and how).
#                          Waits until every other member is healthy, hands leadership over, then
#                          `member remove`s itself through the others. A member not in the list has left
#                          already; the only member has nothing to leave (the cluster itself is going).
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-handover
# The other members as of this boot (etcd-fetch-roster): asked too when this member's etcd does not answer.
if [[ -f "${ROSTER_FILE:-}" ]]; then
  # shellcheck source=/dev/null
  source "$ROSTER_FILE"
fi

leave=false
[[ "${1:-}" == --leave ]] && leave=true
# Leaving, every failure stops the update before the instance goes; stopping, etcd stops anyway.
give_up() { if [[ "$leave" == true ]]; then log "$*"; exit 1; fi; log "$*; stopping without a handover"; exit 0; }

# Stopping runs against systemd's stop timeout: a member that does not answer is given up on sooner.
ETCDCTL_DIAL_TIMEOUT_S="${ETCDCTL_DIAL_TIMEOUT_S:-2s}"


# member list -w simple: ID, status, name, peer URLs, client URLs, is learner. Linearizable: it
# answers only where a quorum is, and then names every member, those added since this boot too.
endpoints="${ETCDCTL_ENDPOINTS:-$LOCAL_CLIENT_URL${OTHER_CLIENT_URLS:+,$OTHER_CLIENT_URLS}}"
list="$(etcdctl_at "$endpoints" member list -w simple 2>/dev/null)" || give_up "no member list from $endpoints (no quorum, or etcd is down)"
id="$(awk -F', ' -v me="$MEMBER_NAME" '$3 == me { print $1; exit }' <<<"$list")"
own_url="$(awk -F', ' -v me="$MEMBER_NAME" '$3 == me { print $5; exit }' <<<"$list")"
if [[ -z "$id" ]]; then
  log "not in the member list; $([[ "$leave" == true ]] && echo "already left" || echo "nothing to hand over")"
  exit 0
fi
mapfile -t others < <(awk -F', ' -v me="$MEMBER_NAME" '$3 != me && $2 == "started" && $5 != "" { print $5 }' <<<"$list")
if ((${#others[@]} == 0)); then
  log "the only member; nothing to hand over"
  exit 0
fi
other_urls="$(IFS=,; echo "${others[*]}")"

if [[ "$leave" == true ]]; then
  # Every other member healthy first: removing a voter while another is down could cost the quorum.
  deadline=$(($(date +%s) + ${LEAVE_WAIT_SECONDS:-90}))
  until health="$(etcdctl_at "$other_urls" endpoint health 2>&1)"; do
    (($(date +%s) < deadline)) || give_up "the other members are not all healthy, so $MEMBER_NAME stays: $(tr '\n' ' ' <<<"$health")"
    sleep 3
  done
fi

hand_over() {
  local own status index best_url="" best_index=-1 target
  own="$(etcdctl_at "$own_url" endpoint status -w fields 2>/dev/null)" || { log "etcd does not answer; nothing to hand over"; return 0; }
  if [[ "$(status_field "$own" MemberID)" != "$(status_field "$own" Leader)" ]]; then
    log "not the leader; nothing to hand over"
    return 0
  fi
  # The peer with the highest applied index among those that answer.
  for url in "${others[@]}"; do
    status="$(etcdctl_at "$url" endpoint status -w fields 2>/dev/null)" || continue
    index="$(status_field "$status" RaftAppliedIndex)"
    [[ "$index" =~ ^[0-9]+$ ]] || continue
    if ((index > best_index)); then best_url="$url" best_index="$index"; fi
  done
  [[ -n "$best_url" ]] || { log "no peer answers; no handover"; return 0; }
  # move-leader takes the member id in hex, as `member list` prints it (the status has it in decimal).
  target="$(awk -F', ' -v url="$best_url" '$5 == url { print $1; exit }' <<<"$list")"
  if etcdctl_at "$own_url" move-leader "$target" >&2; then
    log "handed leadership to $target ($best_url)"
  else
    log "move-leader to $target failed; no handover"
  fi
}
hand_over

if [[ "$leave" == true ]]; then
  etcdctl_at "$other_urls" member remove "$id" >&2 || give_up "member remove $id failed"
  log "removed $id from the cluster"
fi
exit 0
