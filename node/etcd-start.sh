#!/usr/bin/env bash
# etcd-start: enables and starts etcd, the certificate sync and member metric timers and (when backups are on) the
# backup, backup-metrics and defragmentation timers under systemd. Does not wait
# for etcd to be ready (a first bootstrap needs its peers); etcd-health tells when it is.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-start

# member.env names them (config/contract.ts unitsStartedOnBoot): etcd and its timers, the backup
# ones only with backups on.
read -ra units <<<"${START_UNITS:?START_UNITS is not set in $ETCD_MEMBER_ENV}"
systemctl daemon-reload
systemctl enable "${units[@]}"
systemctl start --no-block "${units[@]}"
echo "etcd-start: started ${units[*]} for member $MEMBER_NAME" >&2
