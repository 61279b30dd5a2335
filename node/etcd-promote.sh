#!/usr/bin/env bash
# etcd-promote: makes this member a voter when it joined as a learner (etcd-choose-state adds every
# joining member as one). etcd promotes a learner only once its log has caught up with the leader's,
# so this asks again until it does, for PROMOTE_WAIT_SECONDS (default 600); then it fails, and the
# bootstrap unit is retried (etcd keeps running as a learner meanwhile, counting for no quorum).
# A voting member has nothing to do. Runs after etcd-start at every boot.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-promote
node_load_roster

[[ -n "${OTHER_CLIENT_URLS:-}" ]] || exit 0
wait_seconds="${PROMOTE_WAIT_SECONDS:-600}"
retry_seconds="${PROMOTE_RETRY_SECONDS:-2}"

deadline=$(($(date +%s) + wait_seconds))
last=""
while true; do
  # member list -w simple: ID, status, name, peer URLs, client URLs, is learner. Asked of the others:
  # a learner serves no linearizable request.
  if entry="$(etcdctl_at "$OTHER_CLIENT_URLS" member list -w simple 2>&1 | awk -F', ' -v peer="$MEMBER_PEER_URL" '$4 == peer { print $1 "|" $6; exit }')" && [[ -n "$entry" ]]; then
    id="${entry%%|*}"
    if [[ "${entry#*|}" != true ]]; then
      log "a voting member ($id); nothing to promote"
      exit 0
    fi
    if out="$(etcdctl_at "$OTHER_CLIENT_URLS" member promote "$id" 2>&1)"; then
      log "promoted from learner to voting member ($id)"
      exit 0
    fi
    last="$out"
  else
    last="this member ($MEMBER_PEER_URL) is not in the member list, or no other member answers"
  fi
  if (($(date +%s) + retry_seconds > deadline)); then
    log "still a learner after ${wait_seconds}s: $(tr '\n' ' ' <<<"$last")"
    exit 1
  fi
  sleep "$retry_seconds"
done
