#!/usr/bin/env bash
# etcd-cert-expiry: the days left on this member's certificates (the soonest of its member, node and
# etcdkeeper certificates) and on its CA, as CloudWatch metrics of this member (CERT_DAYS_METRIC,
# CA_DAYS_METRIC with the dimensions Cluster and Member), so an alarm fires while a renewal is still
# possible. Runs after each certificate sync (etcd-cert-sync.service). Prints one JSON line;
# MEMBER_METRICS=off in member.env prints without publishing.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-cert-expiry


days_left() { # certificate file (its first certificate)
  local end
  end="$(openssl x509 -noout -enddate -in "$1")" || { log "cannot read $1"; return 1; }
  end="$(date -u -d "${end#notAfter=}" +%s)" || { log "cannot read the expiry of $1"; return 1; }
  awk -v s="$((end - $(date -u +%s)))" 'BEGIN { printf "%.2f", s / 86400 }'
}

certificates=("$MEMBER_CERT_FILE" "$NODE_CERT_FILE")
[[ "${KEEPER_ENABLED:-}" == true ]] && certificates+=("$KEEPER_CERT_FILE")
soonest=""
soonest_file=""
for file in "${certificates[@]}"; do
  days="$(days_left "$file")"
  if [[ -z "$soonest" ]] || awk -v a="$days" -v b="$soonest" 'BEGIN { exit !(a < b) }'; then
    soonest="$days"
    soonest_file="$file"
  fi
done
ca="$(days_left "$CA_FILE")"

publish() { # metric value
  aws cloudwatch put-metric-data --region "$AWS_REGION" --namespace "$METRIC_NAMESPACE" --metric-name "$1" \
    --dimensions "Cluster=$METRIC_CLUSTER,Member=$MEMBER_NAME" --value "$2" --unit None
}
if [[ "${MEMBER_METRICS:-on}" != off ]]; then
  publish "$CERT_DAYS_METRIC" "$soonest"
  publish "$CA_DAYS_METRIC" "$ca"
fi
jq -cn --arg member "$MEMBER_NAME" --arg soonest "$soonest_file" --argjson certificate "$soonest" --argjson ca "$ca" \
  '{member: $member, certificateDaysLeft: $certificate, soonest: $soonest, caDaysLeft: $ca}'
