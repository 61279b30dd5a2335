#!/usr/bin/env bash
# etcd-start: enables and starts etcd, the certificate sync and member metric timers and (when backups are on) the
# backup, backup-metrics and defragmentation timers under systemd. Does not wait
# for etcd to be ready (a first bootstrap needs its peers); etcd-health tells when it is.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-start

units=(etcd.service etcd-cert-sync.timer etcd-member-metric.timer)
if [[ "${BACKUP_ENABLED:-false}" == true ]]; then
  units+=(etcd-backup.timer etcd-backup-metrics.timer etcd-defrag.timer)
fi
systemctl daemon-reload
systemctl enable "${units[@]}"
systemctl start --no-block "${units[@]}"
echo "etcd-start: started ${units[*]} for member $MEMBER_NAME" >&2
