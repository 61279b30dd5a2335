#!/usr/bin/env bash
# etcd-prepare-volume: mounts the member's EBS data volume at MOUNT_POINT.
# Waits for the volume to appear, creates an XFS filesystem ONLY when the device carries no
# signature at all (a volume that holds data is never formatted), mounts it through /etc/fstab by
# UUID with nofail, and gives it to the etcd user.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-prepare-volume


wait_seconds="${VOLUME_WAIT_SECONDS:-900}"
fstab=/etc/fstab

waited=0
until [[ -b "$DATA_DEVICE" ]]; do
  if ((waited >= wait_seconds)); then
    fail "volume $DATA_VOLUME_ID did not appear as $DATA_DEVICE within ${wait_seconds}s; is it attached to this instance?"
  fi
  ((waited % 30 == 0)) && log "waiting for volume $DATA_VOLUME_ID ($DATA_DEVICE)"
  sleep 2
  waited=$((waited + 2))
done
if command -v udevadm >/dev/null; then udevadm settle || true; fi
device="$(readlink -f "$DATA_DEVICE")"

# blkid -p probes the device itself (no cache): exit 0 = some signature found, 2 = none at all.
probe=0
blkid -p "$device" >/dev/null 2>&1 || probe=$?
case "$probe" in
  0)
    fstype="$(blkid -p -o value -s TYPE "$device" || true)"
    [[ -n "$fstype" ]] || fail "$device has a signature (e.g. a partition table) but no filesystem; refusing to format it"
    log "$device already holds a $fstype filesystem; keeping it"
    ;;
  2)
    log "$device is blank; creating an XFS filesystem"
    # No -f: mkfs.xfs itself refuses to overwrite anything it recognises.
    mkfs.xfs -q -L etcd-data "$device"
    fstype=xfs
    ;;
  *)
    fail "blkid could not probe $device (exit $probe); refusing to format it"
    ;;
esac

uuid="$(blkid -p -o value -s UUID "$device")"
[[ -n "$uuid" ]] || fail "no filesystem UUID on $device"

entry="UUID=$uuid $MOUNT_POINT $fstype defaults,nofail,noatime,x-systemd.device-timeout=120s 0 2"
new_fstab="$(mktemp "$fstab.etcd.XXXXXX")"
trap 'rm -f "$new_fstab"' EXIT
awk -v mp="$MOUNT_POINT" '$2 != mp' "$fstab" >"$new_fstab"
echo "$entry" >>"$new_fstab"
if cmp -s "$new_fstab" "$fstab"; then
  rm -f "$new_fstab"
else
  chmod 0644 "$new_fstab"
  mv -f "$new_fstab" "$fstab"
  log "fstab: $entry"
  if [[ -d /run/systemd/system ]]; then systemctl daemon-reload; fi
fi

mkdir -p "$MOUNT_POINT"
mountpoint -q "$MOUNT_POINT" || mount "$MOUNT_POINT"
mountpoint -q "$MOUNT_POINT" || fail "$MOUNT_POINT is not mounted"

mkdir -p "$DATA_DIR"
chown "$SERVICE_USER:" "$MOUNT_POINT" "$DATA_DIR"
chmod 0700 "$DATA_DIR"
log "volume $DATA_VOLUME_ID mounted at $MOUNT_POINT, data dir $DATA_DIR"
