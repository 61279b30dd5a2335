#!/usr/bin/env bash
# Sandbox substitute for etcd-prepare-volume: the member's "EBS volume" is a directory the machine
# has bound at MOUNT_POINT, so there is no device to wait for, probe, format or add to fstab. What
# etcd sees is the same: a mounted MOUNT_POINT with DATA_DIR owned by the etcd user, mode 0700.
set -euo pipefail

ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"

log() { echo "etcd-prepare-volume (sandbox): $*" >&2; }

mountpoint -q "$MOUNT_POINT" || { log "$MOUNT_POINT is not mounted"; exit 1; }
mkdir -p "$DATA_DIR"
chown "$SERVICE_USER:" "$MOUNT_POINT" "$DATA_DIR"
chmod 0700 "$DATA_DIR"
log "volume $DATA_VOLUME_ID is the sandbox directory mounted at $MOUNT_POINT, data dir $DATA_DIR"
