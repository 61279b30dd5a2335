#!/usr/bin/env bash
# etcd-choose-state: decides how this member starts and points CONFIG_FILE at the matching config.
#
#   data dir holds member/  -> "new" config as is: etcd restarts from its data and ignores the
#                              initial-cluster settings. A member with data never starts a new cluster.
#                              If another member answers and lists this member at another peer URL
#                              (it moved subnets, keeping its volume), `member update` it first.
#   data dir empty, the member list shows this member from the initial cluster, never started
#                           -> "new": a late-booting member of the static bootstrap joins as itself.
#   data dir empty, another member answers with the member list (a cluster with quorum exists: this
#   member is new, or its volume was lost or replaced)
#                           -> remove this member's stale entry (same name or peer URL) if present,
#                              `member add --learner` it, start with "existing" (etcd-promote makes it
#                              a voter once it has caught up). A member that was added but never
#                              started is kept as it is. Another member being added (unstarted) is
#                              waited for: one membership change at a time.
#   data dir empty, no other member answers, the cluster has not formed (no record of this token)
#                           -> "new": the first bootstrap.
#   data dir empty, no other member answers, but the record says the cluster formed (a partition,
#   slow peers), or the record cannot be read
#                           -> refuse: an empty member of a formed cluster never starts "new"; the
#                              bootstrap unit retries until a peer answers.
#   data dir empty, others answer but have no quorum (their own status shows no leader)
#                           -> refuse: joining needs a quorum; that is a disaster recovery.
#   data dir empty, a member has a leader but its member list does not come (it was still forming
#   the cluster, or is slow)
#                           -> ask again, up to four times the attempts; then refuse rather than guess.
# The config etcd runs with (CONFIG_FILE) is the chosen variant plus `initial-cluster`: the roster's
# (etcd-fetch-roster) for "new", the cluster's own member list after the add for "existing".
# Prints the chosen state on stdout.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-choose-state
node_load_roster

attempts="${CHOOSE_STATE_ATTEMPTS:-3}"
retry_seconds="${CHOOSE_STATE_RETRY_SECONDS:-5}"

use_config() { # state initial-cluster
  local target tmp
  if [[ "$1" == new ]]; then target="$CONFIG_NEW_FILE"; else target="$CONFIG_EXISTING_FILE"; fi
  [[ -f "$target" ]] || { log "$target is missing"; exit 1; }
  # The rendered config has no initial-cluster key; the one added is a plain list of name=URL pairs,
  # checked here, in single quotes.
  [[ "$2" =~ ^[A-Za-z0-9._-]+=https://[^,\'[:space:]]+(,[A-Za-z0-9._-]+=https://[^,\'[:space:]]+)*$ ]] || { log "not an initial cluster: '$2'"; exit 1; }
  tmp="$(mktemp "$CONFIG_FILE.XXXXXX")"
  { cat "$target"; printf "initial-cluster: '%s'\n" "$2"; } >"$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$CONFIG_FILE"
  log "starting with initial-cluster-state $1 ($CONFIG_FILE: $target, initial-cluster $2)"
  echo "$1"
}

# initial-cluster from `member list -w simple` (ID, status, name, peer URLs, client URLs, is learner):
# this member's unstarted entry has no name yet, and gets its own.
initial_cluster_of() { # member-list
  awk -F', ' -v me="$MEMBER_NAME" -v mine="$MEMBER_PEER_URL" '
    NF >= 4 { name = ($4 == mine ? me : $3); printf "%s%s=%s", sep, name, $4; sep = "," }' <<<"$1"
}

# Is anything listening at the URL's host:port? A member not started yet refuses the connection at
# once, where etcdctl would spend its whole command timeout retrying.
listening() { # url
  local hostport="${1#https://}"
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
  timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "${hostport%:*}" "${hostport##*:}" 2>/dev/null
}

# The leader a member reports in its own status (answered locally, even without a quorum): 0 when
# it has none, empty when it does not answer.
leader_of() { # url
  local status
  status="$(etcdctl_at "$1" endpoint status -w fields 2>/dev/null)" || return 0
  status_field "$status" Leader
}

# A member that moved (memberSubnets) with its volume kept has its data, and its old peer URL in the
# cluster's member list: peers would keep sending to the old address. Another member updates it to
# this member's address first. A peer that has a leader but does not list the members yet (an
# election, a slow peer) is asked again, a bounded number of times. Without any peer with a leader
# (a whole-cluster restart: nobody has a quorum yet) etcd starts at once: waiting there would keep
# the quorum from ever forming.
update_moved_peer_url() {
  local url list id urls try leader with_leader
  IFS=',' read -r -a urls <<<"$OTHER_CLIENT_URLS"
  for ((try = 1; try <= attempts * 4; try++)); do
    with_leader=""
    for url in "${urls[@]}"; do
      listening "$url" || continue
      if list="$(etcdctl_at "$url" member list -w simple 2>/dev/null)"; then
        id="$(awk -F', ' -v me="$MEMBER_NAME" -v mine="$MEMBER_PEER_URL" 'NF >= 4 && $3 == me && $4 != mine { print $1 }' <<<"$list")"
        [[ -n "$id" ]] || return 0
        log "the cluster lists this member ($id) at another peer URL; updating it to $MEMBER_PEER_URL (this member moved)"
        etcdctl_at "$url" member update "$id" --peer-urls "$MEMBER_PEER_URL" >&2
        return 0
      fi
      leader="$(leader_of "$url" || true)"
      [[ -n "$leader" && "$leader" != 0 ]] && with_leader="$url"
    done
    if [[ -z "$with_leader" ]]; then
      log "no other member has a quorum to ask; restarting with the peer URL the cluster has"
      return 0
    fi
    sleep "$retry_seconds"
  done
  log "$with_leader has a leader but did not list the members in $((attempts * 4)) tries; refusing to start unchecked (the boot is retried)"
  exit 1
}

if [[ -d "$DATA_DIR/member" ]]; then
  log "$DATA_DIR holds etcd data; restarting from it"
  [[ -z "$OTHER_CLIENT_URLS" ]] || update_moved_peer_url
  use_config new "$INITIAL_CLUSTER"
  exit 0
fi

if [[ -z "$OTHER_CLIENT_URLS" ]]; then
  log "single-member cluster; bootstrapping"
  use_config new "$INITIAL_CLUSTER"
  exit 0
fi

IFS=',' read -r -a others <<<"$OTHER_CLIENT_URLS"

# The token in the formed record (etcd-record-formed); empty when there is none; fails when the
# record cannot be read (SSM unreachable, no permission).
formed_record() { ssm_get "$CLUSTER_FORMED_PARAMETER"; }

# Ask each other member in turn for the member list (linearizable: answers only with a quorum).
# etcd binds its client port before it serves: a peer that is just forming the cluster accepts the
# connection and answers only once it has a quorum. So a failed member list counts as "no quorum"
# only when that member's status says it has no leader; with a leader it is asked again.
members=""
answering=""
reachable_without_quorum=""
with_leader=""
max_tries=$((attempts * 4))
for ((try = 1; try <= max_tries; try++)); do
  with_leader=""
  for url in "${others[@]}"; do
    listening "$url" || continue
    if members="$(etcdctl_at "$url" member list -w simple 2>/dev/null)"; then
      answering="$url"
      break 2
    fi
    leader="$(leader_of "$url" || true)"
    if [[ "$leader" == 0 ]]; then
      reachable_without_quorum="$url"
    elif [[ -n "$leader" ]]; then
      with_leader="$url"
    fi
  done
  # Without a member that has a leader, the first `attempts` tries decide; with one, up to four times as many.
  ((try >= attempts)) && [[ -z "$with_leader" ]] && break
  ((try < max_tries)) && sleep "$retry_seconds"
done

if [[ -z "$answering" ]]; then
  if [[ -n "$with_leader" ]]; then
    log "$with_leader has a leader but did not list the members in $max_tries tries; refusing to guess (the boot can be retried)"
    exit 1
  fi
  if [[ -n "$reachable_without_quorum" ]]; then
    log "$reachable_without_quorum is up but the cluster has no quorum; refusing to join or bootstrap with an empty data dir (restore from a snapshot instead)"
    exit 1
  fi
  # Nobody answers: a first bootstrap, or a partition or slow peers around an empty member of a
  # formed cluster. Only the record tells them apart, and when it cannot be read, nothing is assumed.
  if ! formed="$(formed_record)"; then
    log "no other member answers, and $CLUSTER_FORMED_PARAMETER cannot be read; refusing to bootstrap without knowing the cluster is new (the boot is retried)"
    exit 1
  fi
  if [[ "$formed" == "$CLUSTER_TOKEN" ]]; then
    log "no other member answers at $OTHER_CLIENT_URLS, but the cluster has formed ($CLUSTER_FORMED_PARAMETER); an empty member never starts a new one: waiting for its peers (the boot is retried)"
    exit 1
  fi
  log "no other member answers at $OTHER_CLIENT_URLS and the cluster has not formed; bootstrapping a new cluster"
  use_config new "$INITIAL_CLUSTER"
  exit 0
fi

log "a cluster exists (answered by $answering)"
# member list -w simple: ID, status, name, peer URLs, client URLs, is learner
stale_ids=()
while IFS='|' read -r id status name peers clients; do
  # A member of the static bootstrap that never started: etcd lists it with its name (from
  # --initial-cluster) and peer URL but no client URLs, as "started". Start with the "new" config;
  # etcd joins the running cluster under that member id. (Members created one after another, as
  # EC2 boots them, reach this branch.)
  if [[ "$name" == "$MEMBER_NAME" && "$peers" == "$MEMBER_PEER_URL" && -z "$clients" ]]; then
    log "a member of the initial cluster that has not started yet ($id); joining with the new config"
    use_config new "$INITIAL_CLUSTER"
    exit 0
  fi
  if [[ "$peers" == "$MEMBER_PEER_URL" || "$name" == "$MEMBER_NAME" ]]; then
    if [[ "$status" == unstarted && "$peers" == "$MEMBER_PEER_URL" ]]; then
      log "already a member ($id) that has not started yet; joining as it is"
      use_config existing "$(initial_cluster_of "$members")"
      exit 0
    fi
    stale_ids+=("$id")
  elif [[ "$status" == unstarted ]]; then
    log "$peers is being added to the cluster and has not started yet; one membership change at a time: waiting for it (the boot is retried)"
    exit 1
  fi
done < <(awk -F', ' -v OFS='|' 'NF >= 4 { print $1, $2, $3, $4, $5 }' <<<"$members")

for id in "${stale_ids[@]}"; do
  log "removing stale member entry $id (its data is gone)"
  etcdctl_at "$answering" member remove "$id" >&2
done

# A learner: it does not count towards the quorum until etcd-promote makes it a voter, after it has
# caught up. etcd allows one learner at a time, so a second member added at once waits its turn.
# etcd refuses a member add until its leader has been connected to every voter for 5 s
# ("unhealthy cluster"), which is how it stands just after a member joined or restarted: asked again.
log "adding this member as a learner with peer URL $MEMBER_PEER_URL"
for ((try = 1; ; try++)); do
  if out="$(etcdctl_at "$answering" member add "$MEMBER_NAME" --learner --peer-urls "$MEMBER_PEER_URL" 2>&1)"; then
    break
  fi
  if ((try >= max_tries)) || ! grep -q "unhealthy cluster" <<<"$out"; then
    log "member add failed: $(grep -m 1 '^Error:' <<<"$out" || head -n 1 <<<"$out")"
    exit 1
  fi
  sleep "$retry_seconds"
done
members="$(etcdctl_at "$answering" member list -w simple)"
use_config existing "$(initial_cluster_of "$members")"
