#!/usr/bin/env bash
# etcd-record-formed: records that this cluster (its token) has formed: the SSM parameter
# CLUSTER_FORMED_PARAMETER holds the token. From then on an empty member never starts a new cluster
# (etcd-choose-state), and the program's health gates wait even when they are new.
# Runs after etcd-start, and records only once this member answers a linearizable read (a quorum):
# etcd tells systemd it is ready after a few seconds even without one (its wait for the cluster
# times out), so a started etcd is no proof. Waits for that up to RECORD_FORMED_WAIT_SECONDS.
# Idempotent: an unchanged record is not written again. A restored cluster has a new token and
# overwrites the record of the cluster before it.
# It also adds the cluster's id (hex, as snapshot manifests carry it) to the ids under
# CLUSTER_IDS_PATH, as `<path>/<id>` once and for ever (a restore adds the new cluster's):
# `etcd-restore --from latest` restores only snapshots of those clusters.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-record-formed


wait_seconds="${RECORD_FORMED_WAIT_SECONDS:-600}"
deadline=$((SECONDS + wait_seconds))
# `endpoint health` reads linearizably: it answers only within a cluster that has a quorum.
until etcdctl_local endpoint health >/dev/null 2>&1; do
  if ((SECONDS >= deadline)); then
    log "the cluster has no quorum after ${wait_seconds}s; not recorded (another member, or the next boot, records it)"
    exit 1
  fi
  sleep 2
done

record() { # parameter value
  local recorded
  # A record that cannot be read is written anyway: the write says whether SSM can be reached.
  recorded="$(ssm_get "$1")" || recorded=""
  if [[ "$recorded" == "$2" ]]; then
    log "$1 already records $2"
    return 0
  fi
  aws ssm put-parameter --region "$AWS_REGION" --name "$1" --type String --value "$2" --overwrite >/dev/null
  log "recorded $2 in $1"
}

record "$CLUSTER_FORMED_PARAMETER" "$CLUSTER_TOKEN"
if [[ -n "${CLUSTER_IDS_PATH:-}" ]]; then
  status="$(etcdctl_local endpoint status -w fields)" || fail "the local etcd stopped answering; the cluster id was not recorded"
  id="$(status_field "$status" ClusterID)"
  [[ "$id" =~ ^[0-9]+$ ]] || fail "no cluster id in etcd's status; not recorded"
  id="$(printf '%x' "$id")"
  ssm_create "$CLUSTER_IDS_PATH/$id" "$CLUSTER_TOKEN" || fail "the cluster id $id was not recorded under $CLUSTER_IDS_PATH"
  log "cluster id $id is recorded under $CLUSTER_IDS_PATH"
fi
