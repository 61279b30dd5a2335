#!/usr/bin/env bash
# etcd-member-metric: whether this member serves, as the CloudWatch metric MEMBER_HEALTHY_METRIC of
# this member (dimensions Cluster and Member): 1 when a quorum read through its own address answers
# (`etcdctl endpoint health`), 0 when not. Every minute (etcd-member-metric.timer). A member that is
# down, never finished its bootstrap or is gone publishes nothing: its alarm counts that as down.
# Prints one JSON line; MEMBER_METRICS=off in member.env prints without publishing.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-member-metric

healthy=0
if etcdctl_local endpoint health >/dev/null 2>&1; then
  healthy=1
fi
if [[ "${MEMBER_METRICS:-on}" != off ]]; then
  aws cloudwatch put-metric-data --region "$AWS_REGION" --namespace "$METRIC_NAMESPACE" --metric-name "$MEMBER_HEALTHY_METRIC" \
    --dimensions "Cluster=$METRIC_CLUSTER,Member=$MEMBER_NAME" --value "$healthy" --unit Count
fi
jq -cn --arg member "$MEMBER_NAME" --argjson healthy "$healthy" '{member: $member, healthy: ($healthy == 1)}'
