#!/usr/bin/env bash
# etcd-upgrade-snapshot: before a member starts another etcd release on its data (an upgrade, rolled
# by replacing one instance after another), one snapshot of the cluster goes to S3 first. Run by
# etcd-bootstrap after etcd-fetch-scripts, on members with backups.
#   - The release that last ran on this volume is in <volume>/etcd-release (etcd-bootstrap writes it
#     once etcd has started).
#   - Nothing to do on a volume without that record (empty, or older than it), on the same release,
#     or when a peer already runs the new release (the roll's first member took the snapshot).
#   - Otherwise etcd-backup runs against the leader's client URL (the leader takes the snapshot, as at
#     every backup tick). Its failure fails the bootstrap, which systemd retries: no member starts a
#     new release before the snapshot is in the bucket.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
# shellcheck source=/dev/null
source "$(sibling etcd-backup-common)"
backup_init etcd-upgrade-snapshot
require_bucket

marker="$VOLUME_DIR/etcd-release"
if [[ ! -f "$marker" ]]; then
  log "no release recorded on this volume; nothing to do"
  exit 0
fi
ran="$(cat "$marker")"
if [[ "$ran" == "$ETCD_RELEASE_VERSION" ]]; then
  log "this volume last ran $ran, the release installed; nothing to do"
  exit 0
fi

leader_url=""
IFS=',' read -r -a others <<<"${OTHER_CLIENT_URLS:-}"
for url in "${others[@]}"; do
  status="$(etcdctl_at "$url" endpoint status -w fields 2>/dev/null)" || continue
  version="$(status_field "$status" Version)"
  if [[ "$version" == "$ETCD_RELEASE_VERSION" ]]; then
    log "$url already runs $version: the roll's first member took the snapshot before it"
    exit 0
  fi
  if [[ "$(status_field "$status" MemberID)" == "$(status_field "$status" Leader)" ]]; then leader_url="$url"; fi
done
[[ -n "$leader_url" ]] || fail "no peer leads right now, so no snapshot can be taken before $ran -> $ETCD_RELEASE_VERSION (the bootstrap is retried)"

backup="$(sibling etcd-backup)" || fail "etcd-backup is not installed next to $0"
log "this volume last ran $ran; a snapshot before $ETCD_RELEASE_VERSION, taken by the leader at $leader_url"
ETCDCTL_ENDPOINTS="$leader_url" "$backup" >/dev/null
log "snapshot before the upgrade to $ETCD_RELEASE_VERSION is in s3://$BACKUP_BUCKET/$(snapshots_prefix)"
