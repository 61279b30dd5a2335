#!/usr/bin/env bash
# etcd-fetch-scripts: installs the backup, restore and defragmentation scripts into SBIN_DIR. They
# are too large for EC2 user data, so they live as S3 objects in the cluster's backup bucket
# (BACKUP_SCRIPTS_S3); each must match the sha256 member.env lists (BACKUP_SCRIPTS_SHA256,
# "name=sha256,..."), or nothing is installed. Does nothing when backups are off, or when the
# installed scripts already match.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-fetch-scripts


if [[ "${BACKUP_ENABLED:-false}" != true ]]; then
  log "backups are off; nothing to fetch"
  exit 0
fi

# Installed already and each matching its sha256 (every boot after the first): nothing to fetch. A
# member that reboots during a roll keeps its scripts, although the bucket already holds the newer
# release's (they would not match its member.env).
IFS=',' read -r -a entries <<<"$BACKUP_SCRIPTS_SHA256"
matching=0
for entry in "${entries[@]}"; do
  if [[ -f "$SBIN_DIR/${entry%%=*}" ]] && echo "${entry#*=}  $SBIN_DIR/${entry%%=*}" | sha256sum -c --quiet - >/dev/null 2>&1; then
    matching=$((matching + 1))
  fi
done
if ((${#entries[@]} > 0 && matching == ${#entries[@]})); then
  log "the ${#entries[@]} scripts in $SBIN_DIR match their sha256; nothing to fetch"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
retry_seconds="${FETCH_SCRIPTS_RETRY_SECONDS:-3}"

# BACKUP_S3_ENDPOINT: another S3 endpoint, as the backup scripts take it (etcd-backup-common).
endpoint=()
if [[ -n "${BACKUP_S3_ENDPOINT:-}" ]]; then endpoint=(--endpoint-url "$BACKUP_S3_ENDPOINT"); fi

# One object, retried: S3 or the instance's credentials may not answer at first boot.
fetch() { # name
  local try
  for try in 1 2 3 4 5; do
    if aws s3 cp --only-show-errors --region "$AWS_REGION" "${endpoint[@]}" "$BACKUP_SCRIPTS_S3/$1" "$work/$1"; then
      return 0
    fi
    log "fetching $1 failed (attempt $try of 5)"
    if ((try < 5)); then sleep $((try * retry_seconds)); fi
  done
  return 1
}

# All at once: each AWS CLI call costs a second or two of start-up, and the boot waits for them.
# (One recursive copy would need s3:ListBucket on the prefix, which the members do not have.)
pids=()
for entry in "${entries[@]}"; do
  fetch "${entry%%=*}" &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do
  wait "$pid" || failed=1
done
((failed == 0)) || { log "a script could not be fetched from $BACKUP_SCRIPTS_S3; nothing installed"; exit 1; }
for entry in "${entries[@]}"; do
  name="${entry%%=*}"
  sum="${entry#*=}"
  echo "$sum  $work/$name" | sha256sum -c --quiet - || { log "$name does not match its sha256 $sum; nothing installed"; exit 1; }
done
for entry in "${entries[@]}"; do
  name="${entry%%=*}"
  install -m 0755 "$work/$name" "$SBIN_DIR/$name"
done
log "installed ${#entries[@]} scripts from $BACKUP_SCRIPTS_S3"
