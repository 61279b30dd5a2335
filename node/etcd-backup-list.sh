#!/usr/bin/env bash
# etcd-backup-list: the cluster's backups in the bucket, newest first, one JSON line each.
#
#   etcd-backup-list               finished backups: a snapshot (.db) whose manifest (.json) exists
#   etcd-backup-list --latest      only the newest finished backup (exit 1 when there is none)
#   etcd-backup-list --incomplete  objects that are NOT finished backups (a snapshot without manifest:
#                                  an upload in progress or one that failed), with the reason
# Read-only; needs s3:ListBucket on the prefix.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
# shellcheck source=/dev/null
source "$(sibling etcd-backup-common)"
backup_init etcd-backup-list

mode=all
case "${1:-}" in
  "") ;;
  --latest) mode=latest ;;
  --incomplete) mode=incomplete ;;
  *) echo "usage: etcd-backup-list [--latest | --incomplete]" >&2; exit 2 ;;
esac
require_bucket

listing="$(list_snapshot_objects 2>&1)" || fail "cannot list s3://$BACKUP_BUCKET/$(snapshots_prefix): $(tr '\n' ' ' <<<"$listing")"

time_of() { # ISO time of a key's stamp
  local epoch
  epoch="$(key_epoch "$1")"
  if [[ -n "$epoch" ]]; then date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ; fi
}

if [[ "$mode" == incomplete ]]; then
  incomplete_from_listing <<<"$listing" | tac | while IFS=$'\t' read -r key size reason; do
    printf '{"key":%s,"size":%s,"time":%s,"reason":%s}\n' "$(json_string "$key")" "${size:-0}" "$(json_string "$(time_of "$key")")" "$(json_string "$reason")"
  done
  exit 0
fi

finished="$(finished_from_listing <<<"$listing" | tac)"
if [[ "$mode" == latest ]]; then
  finished="$(head -n 1 <<<"$finished")"
  [[ -n "$finished" ]] || fail "no finished backup under s3://$BACKUP_BUCKET/$(snapshots_prefix)"
fi
[[ -n "$finished" ]] || exit 0
while IFS=$'\t' read -r key size manifest; do
  revision=""
  [[ "${key##*/}" =~ -r([0-9]+)\.db$ ]] && revision="${BASH_REMATCH[1]}"
  printf '{"bucket":%s,"key":%s,"manifest":%s,"size":%s,"revision":%s,"time":%s,"uri":%s}\n' \
    "$(json_string "$BACKUP_BUCKET")" "$(json_string "$key")" "$(json_string "$manifest")" "$size" "${revision:-null}" \
    "$(json_string "$(time_of "$key")")" "$(json_string "s3://$BACKUP_BUCKET/$key")"
done <<<"$finished"
