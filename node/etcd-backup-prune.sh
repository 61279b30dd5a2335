#!/usr/bin/env bash
# etcd-backup-prune: retention for buckets without a lifecycle rule (a test bucket, an operator's
# own bucket). On AWS the bucket's lifecycle expires snapshots and members may not delete at all.
#
#   etcd-backup-prune --keep N [--orphan-min-age-minutes M] [--dry-run]
#
# Keeps the N newest finished backups and deletes the older ones (manifest first, so a backup stops
# counting before its snapshot goes). Objects that are not part of a finished backup (a snapshot
# without manifest) are deleted once older than M minutes (default 60), so an upload in progress is
# never touched. Prints one JSON line per deleted object and a summary line.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
# shellcheck source=/dev/null
source "$(sibling etcd-backup-common)"
backup_init etcd-backup-prune

usage() { echo "usage: etcd-backup-prune --keep N [--orphan-min-age-minutes M] [--dry-run]" >&2; exit 2; }
keep="" orphan_minutes=60 dry_run=false
while (($#)); do
  case "$1" in
    --keep) keep="${2:-}"; shift ;;
    --orphan-min-age-minutes) orphan_minutes="${2:-}"; shift ;;
    --dry-run) dry_run=true ;;
    *) usage ;;
  esac
  shift
done
if ! [[ "$keep" =~ ^[0-9]+$ ]] || ((keep < 1)); then
  echo "etcd-backup-prune: --keep must be a whole number of at least 1 (got '${keep}')" >&2
  usage
fi
[[ "$orphan_minutes" =~ ^[0-9]+$ ]] || usage
require_bucket

listing="$(list_snapshot_objects 2>&1)" || fail "cannot list s3://$BACKUP_BUCKET/$(snapshots_prefix): $(tr '\n' ' ' <<<"$listing")"
now="$(date -u +%s)"
deleted=0 kept=0

remove() { # key reason
  printf '{"deleted":%s,"reason":%s,"dryRun":%s}\n' "$(json_string "$1")" "$(json_string "$2")" "$dry_run"
  if [[ "$dry_run" == false ]]; then
    s3_cli s3 rm "s3://$BACKUP_BUCKET/$1" --only-show-errors >&2 || fail "cannot delete s3://$BACKUP_BUCKET/$1"
  fi
  deleted=$((deleted + 1))
}

finished="$(finished_from_listing <<<"$listing" | tac)"
index=0
if [[ -n "$finished" ]]; then
  while IFS=$'\t' read -r key _ manifest; do
    index=$((index + 1))
    if ((index <= keep)); then
      kept=$((kept + 1))
      continue
    fi
    remove "$manifest" "older than the newest $keep"
    remove "$key" "older than the newest $keep"
  done <<<"$finished"
fi

while IFS=$'\t' read -r key _ reason; do
  [[ -n "$key" ]] || continue
  epoch="$(key_epoch "$key")"
  if [[ -z "$epoch" ]] || ((now - epoch < orphan_minutes * 60)); then
    log "keeping $key ($reason) for now: younger than $orphan_minutes minutes or undated"
    continue
  fi
  remove "$key" "$reason"
done < <(incomplete_from_listing <<<"$listing")

printf '{"kept":%s,"deleted":%s,"dryRun":%s}\n' "$kept" "$deleted" "$dry_run"
