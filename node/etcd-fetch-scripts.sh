#!/usr/bin/env bash
# etcd-fetch-scripts: installs the backup, restore and defragmentation scripts into SBIN_DIR. They
# are too large for EC2 user data, so they live as S3 objects in the cluster's backup bucket
# (BACKUP_SCRIPTS_S3); each must match the sha256 member.env lists (BACKUP_SCRIPTS_SHA256,
# "name=sha256,..."), or nothing is installed. Does nothing when backups are off.
set -euo pipefail

ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"

log() { echo "etcd-fetch-scripts: $MEMBER_NAME: $*" >&2; }

if [[ "${BACKUP_ENABLED:-false}" != true ]]; then
  log "backups are off; nothing to fetch"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
IFS=',' read -r -a entries <<<"$BACKUP_SCRIPTS_SHA256"
for entry in "${entries[@]}"; do
  name="${entry%%=*}"
  sum="${entry#*=}"
  for try in 1 2 3 4 5; do
    if aws s3 cp --only-show-errors --region "$AWS_REGION" "$BACKUP_SCRIPTS_S3/$name" "$work/$name"; then
      break
    fi
    log "fetching $name failed (attempt $try of 5)"
    if ((try == 5)); then exit 1; fi
    sleep $((try * 3))
  done
  echo "$sum  $work/$name" | sha256sum -c --quiet - || { log "$name does not match its sha256 $sum; nothing installed"; exit 1; }
done
for entry in "${entries[@]}"; do
  name="${entry%%=*}"
  install -m 0755 "$work/$name" "$SBIN_DIR/$name"
done
log "installed ${#entries[@]} scripts from $BACKUP_SCRIPTS_S3"
