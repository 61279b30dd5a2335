#!/usr/bin/env bash
# etcd-member-metric: whether this member serves, as the CloudWatch metric MEMBER_HEALTHY_METRIC of
# this member (dimensions Cluster and Member): 1 when a quorum read through its own address answers
# (`etcdctl endpoint health`), 0 when not. Every minute (etcd-member-metric.timer). A member that is
# down, never finished its bootstrap or is gone publishes nothing: its alarm counts that as down.
# `--failed UNIT`: systemd ran UNIT's ExecStopPost: when it ended in failure (SERVICE_RESULT is not
# success: a bootstrap or a certificate sync that failed), publishes UNIT_FAILED_METRIC = 1 for it
# (dimensions Cluster, Member and Unit), so its alarm fires at the first failure.
# Prints one JSON line; MEMBER_METRICS=off in member.env prints without publishing.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-member-metric

publish() { # metric value dimensions
  if [[ "${MEMBER_METRICS:-on}" != off ]]; then
    aws cloudwatch put-metric-data --region "$AWS_REGION" --namespace "$METRIC_NAMESPACE" --metric-name "$1" \
      --dimensions "Cluster=$METRIC_CLUSTER,Member=$MEMBER_NAME$3" --value "$2" --unit Count
  fi
}

if [[ "${1:-}" == --failed ]]; then
  unit="${2:?usage: etcd-member-metric --failed UNIT}"
  [[ "${SERVICE_RESULT:-success}" == success ]] && exit 0
  log "$unit failed ($SERVICE_RESULT${EXIT_STATUS:+, status $EXIT_STATUS})"
  publish "$UNIT_FAILED_METRIC" 1 ",Unit=$unit"
  jq -cn --arg member "$MEMBER_NAME" --arg unit "$unit" --arg result "$SERVICE_RESULT" '{member: $member, unit: $unit, failed: $result}'
  exit 0
fi

healthy=0
if etcdctl_local endpoint health >/dev/null 2>&1; then
  healthy=1
fi
publish "$MEMBER_HEALTHY_METRIC" "$healthy" ""
jq -cn --arg member "$MEMBER_NAME" --argjson healthy "$healthy" '{member: $member, healthy: ($healthy == 1)}'
