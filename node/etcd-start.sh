#!/usr/bin/env bash
# etcd-start: enables and starts etcd and the certificate sync timer under systemd. Does not wait
# for etcd to be ready (a first bootstrap needs its peers); etcd-health tells when it is.
set -euo pipefail

ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"

systemctl daemon-reload
systemctl enable etcd.service etcd-cert-sync.timer
systemctl start --no-block etcd.service etcd-cert-sync.timer
echo "etcd-start: started etcd.service and etcd-cert-sync.timer for member $MEMBER_NAME" >&2
