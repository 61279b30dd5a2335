#!/usr/bin/env bash
# etcd-record-formed: records, once etcd runs, that this cluster (its token) has formed: the SSM
# parameter CLUSTER_FORMED_PARAMETER holds the token. From then on an empty member never starts a
# new cluster (etcd-choose-state), and the program's health gates wait even when they are new.
# Runs after etcd-start: etcd is up only once it has joined a cluster with a quorum. Idempotent:
# an unchanged record is not written again. A restored cluster has a new token and overwrites it.
set -euo pipefail

ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"

log() { echo "etcd-record-formed: $MEMBER_NAME: $*" >&2; }

recorded="$(aws ssm get-parameter --region "$AWS_REGION" --name "$CLUSTER_FORMED_PARAMETER" --query Parameter.Value --output text 2>/dev/null || true)"
if [[ "$recorded" == "$CLUSTER_TOKEN" ]]; then
  log "$CLUSTER_FORMED_PARAMETER already records $CLUSTER_TOKEN"
  exit 0
fi
aws ssm put-parameter --region "$AWS_REGION" --name "$CLUSTER_FORMED_PARAMETER" --type String \
  --value "$CLUSTER_TOKEN" --overwrite >/dev/null
log "recorded $CLUSTER_TOKEN in $CLUSTER_FORMED_PARAMETER"
