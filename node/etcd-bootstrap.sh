#!/usr/bin/env bash
# etcd-bootstrap: brings a member up, one step per script:
#   etcd-install -> etcd-prepare-volume -> etcd-fetch-certs -> etcd-choose-state -> etcd-start
# Every step is idempotent, so running it again (or on a reboot) is safe. The steps are looked up in
# SBIN_DIR, so a local sandbox can substitute the OS-level ones (install, volume, certs, start).
set -euo pipefail

ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"
export ETCD_MEMBER_ENV

for step in etcd-install etcd-prepare-volume etcd-fetch-certs etcd-choose-state etcd-start; do
  echo "etcd-bootstrap: $MEMBER_NAME: $step" >&2
  if ! "$SBIN_DIR/$step"; then
    echo "etcd-bootstrap: $MEMBER_NAME: $step failed; etcd was not started" >&2
    exit 1
  fi
done
echo "etcd-bootstrap: $MEMBER_NAME: done" >&2
