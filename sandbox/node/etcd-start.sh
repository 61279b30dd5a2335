#!/usr/bin/env bash
# Sandbox substitute for etcd-start: instead of `systemctl enable --now etcd.service`, tells the
# sandbox machine (machine.sh, the stand-in for systemd) to run etcd.service. Like the real one it
# does not wait for etcd. The certificate sync timer is not run in the sandbox.
set -euo pipefail

ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"

touch "${SANDBOX_RUN_DIR:?}/etcd.enabled"
echo "etcd-start (sandbox): etcd.service enabled and started for member $MEMBER_NAME" >&2
