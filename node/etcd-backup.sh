#!/usr/bin/env bash
# etcd-backup: one scheduled backup of the cluster, run by a timer on EVERY member.
#
# Only the member that is the leader at this tick takes it, so there is one backup per tick and it
# still happens after a leader change; the others exit 0 at once. The leader:
#   1. checks that it serves linearizable reads (it has a quorum);
#   2. `etcdctl snapshot save` (node client certificate, local endpoint) into a temporary file on the
#      data volume (BACKUP_WORK_DIR, never inside the data dir);
#   3. verifies it with etcd-snapshot-verify (integrity hash and `etcdutl snapshot status`, the tool of
#      the installed line) and computes its sha256;
#   4. uploads it with its metadata (revision, cluster id, member id, etcd version, sha256, size, time)
#      to <prefix>/snapshots/YYYY/MM/DD/YYYYMMDDTHHMMSSZ-r<revision>.db, checks the stored size, and
#      only then writes the manifest <same name>.json. A .db without its .json never counts as a backup;
#   5. publishes the age of the newest good backup (0) to CloudWatch unless BACKUP_METRICS=off;
#   6. prints one JSON line: key, manifest, revision, size, sha256.
# Any failure: exit 1 with a "FAILED:" log line, no manifest written.
#
#   etcd-backup                  the timer's job (above)
#   etcd-backup --metrics-only   (leader only) publish the age of the newest finished backup and the
#                                database quota use, without taking a snapshot: for a frequent timer.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
# shellcheck source=/dev/null
source "$(sibling etcd-backup-common)"
backup_init etcd-backup

mode=backup
case "${1:-}" in
  "") ;;
  --metrics-only) mode=metrics ;;
  *) echo "usage: etcd-backup [--metrics-only]" >&2; exit 2 ;;
esac

require_bucket
work_dir="${BACKUP_WORK_DIR:-$VOLUME_DIR/backup}"
snapshot_timeout="${BACKUP_SNAPSHOT_TIMEOUT_SECONDS:-1800}"

# ---- 1. am I the leader? -----------------------------------------------------------------------------
if ! status="$(etcdctl_local endpoint status -w fields 2>&1)"; then
  fail "the local etcd at ${ETCDCTL_ENDPOINTS:-$LOCAL_CLIENT_URL} does not answer, so this member cannot tell whether it leads: $(grep -m 1 -i error <<<"$status" || head -n 1 <<<"$status")"
fi
member_id="$(status_field "$status" MemberID)"
leader_id="$(status_field "$status" Leader)"
cluster_id="$(status_field "$status" ClusterID)"
server_version="$(status_field "$status" Version)"
[[ -n "$member_id" && -n "$leader_id" ]] || fail "cannot read member and leader ids from: $status"
if [[ "$leader_id" == 0 ]]; then
  fail "the cluster has no leader right now; no backup at this tick"
fi
if [[ "$member_id" != "$leader_id" ]]; then
  log "not the leader (this member $(printf '%x' "$member_id"), leader $(printf '%x' "$leader_id")); the leader takes this tick's backup"
  exit 0
fi
member_hex="$(printf '%x' "$member_id")"
cluster_hex="$(printf '%x' "$cluster_id")"

publish_age_of_latest() { # the newest finished backup's age, from the bucket; false when none is found
  local listing latest epoch
  listing="$(list_snapshot_objects)" || return 1
  latest="$(finished_from_listing <<<"$listing" | tail -n 1 | cut -f1)"
  [[ -n "$latest" ]] || return 1
  epoch="$(key_epoch "$latest")"
  [[ -n "$epoch" ]] || return 1
  put_metric "$BACKUP_AGE_METRIC" "$(($(date -u +%s) - epoch))" Seconds
}

publish_quota_use() { # the fullest member's database as a percentage of its quota
  local all quota largest pct
  all="$(etcdctl_local endpoint status --cluster -w json 2>/dev/null)" || return 1
  quota="$(json_get '[.[].Status.dbSizeQuota // 0] | max' <<<"$all")"
  if [[ -z "$quota" || "$quota" == 0 ]]; then
    quota="$(awk -F': *' '$1 == "quota-backend-bytes" { print $2 }' "${CONFIG_FILE:-/dev/null}" 2>/dev/null || true)"
  fi
  quota="${quota:-2147483648}"
  largest="$(json_get '[.[].Status.dbSize] | max' <<<"$all")"
  pct="$(awk -v size="${largest:-0}" -v quota="$quota" 'BEGIN { printf "%.1f", 100 * size / quota }')"
  put_metric "$QUOTA_USED_METRIC" "$pct" Percent
}

if [[ "$mode" == metrics ]]; then
  publish_age_of_latest || fail "cannot find a finished backup under s3://$BACKUP_BUCKET/$(snapshots_prefix) to publish its age"
  publish_quota_use || fail "cannot read the members' database sizes"
  log "published backup age and quota use"
  exit 0
fi

# On any failure from here on: say so, publish the real age of the last good backup (best effort),
# and leave no manifest. A .db already uploaded stays without one (members may not delete); it never
# counts as a backup and the bucket's lifecycle expires it.
uploaded_db=""
on_exit() {
  local code=$?
  if [[ -n "${snapshot:-}" ]]; then rm -f "$snapshot" "$snapshot.part"; fi
  if [[ -n "${manifest_file:-}" ]]; then rm -f "$manifest_file"; fi
  if ((code != 0)); then
    [[ -n "$uploaded_db" ]] && log "s3://$BACKUP_BUCKET/$uploaded_db was uploaded but has no manifest: it does not count as a backup"
    if [[ "$BACKUP_METRICS" != off ]]; then publish_age_of_latest >/dev/null 2>&1 || true; fi
  fi
}
trap on_exit EXIT

# ---- 2. quorum, then snapshot --------------------------------------------------------------------------
health="$(etcdctl_local endpoint health 2>&1)" || fail "this member leads but cannot serve a linearizable read (no quorum?): $(head -n 1 <<<"$health")"

mkdir -p "$work_dir"
chmod 0700 "$work_dir"
exec 9>"$work_dir/.lock"
flock -n 9 || fail "another etcd-backup is running on this member (lock $work_dir/.lock)"
# Leftovers of an interrupted run are ours alone (we hold the lock).
rm -f "$work_dir"/snapshot-*.db "$work_dir"/snapshot-*.db.part "$work_dir"/manifest-*.json

db_size="$(status_field "$status" DBSize)"
avail="$(df -P -B1 "$work_dir" | awk 'NR == 2 { print $4 }')"
if [[ -n "$db_size" && -n "$avail" ]] && ((avail < db_size + 64 * 1024 * 1024)); then
  fail "$work_dir has $avail bytes free, the snapshot needs about $db_size"
fi

epoch="$(date -u +%s)"
stamp="$(date -u -d "@$epoch" +%Y%m%dT%H%M%SZ)"
iso="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
snapshot="$work_dir/snapshot-$stamp.db"
started="$(date +%s%N)"
ETCDCTL_COMMAND_TIMEOUT_S="${snapshot_timeout}s" etcdctl_cmd "${ETCDCTL_ENDPOINTS:-$LOCAL_CLIENT_URL}"
if ! out="$(timeout "$snapshot_timeout" "${ETCDCTL_CMD[@]}" snapshot save "$snapshot" 2>&1)"; then
  fail "etcdctl snapshot save failed: $(grep -m 1 -E '^Error' <<<"$out" || tail -n 1 <<<"$out")"
fi
saved_ms=$((($(date +%s%N) - started) / 1000000))

# ---- 3. verify ------------------------------------------------------------------------------------------
verify="$(sibling etcd-snapshot-verify)" || fail "etcd-snapshot-verify is not installed next to $0"
verified="$("$verify" "$snapshot")" || fail "the new snapshot does not verify; not uploading it"
revision="$(json_get .revision <<<"$verified")"
size="$(json_get .size <<<"$verified")"
sha="$(json_get .sha256 <<<"$verified")"
total_keys="$(json_get .totalKeys <<<"$verified")"
storage_version="$(json_get .storageVersion <<<"$verified")"
etcd_version="${server_version:-${ETCD_RELEASE_VERSION:-unknown}}"

# ---- 4. upload: snapshot, check, then manifest ----------------------------------------------------------
base="$(snapshots_prefix)${stamp:0:4}/${stamp:4:2}/${stamp:6:2}/$stamp-r$revision"
key="$base.db"
manifest_key="$(manifest_key_of "$key")"
metadata="$(printf '{"revision":"%s","cluster-id":"%s","member-id":"%s","member":"%s","etcd-version":"%s","sha256":"%s","size":"%s","time":"%s"}' \
  "$revision" "$cluster_hex" "$member_hex" "$MEMBER_NAME" "$etcd_version" "$sha" "$size" "$iso")"

started="$(date +%s%N)"
if ! out="$(put_new_object "$snapshot" "$key" application/octet-stream "$metadata" 2>&1)"; then
  fail "upload of the snapshot to s3://$BACKUP_BUCKET/$key failed: $(tr '\n' ' ' <<<"$out")"
fi
[[ -z "$out" ]] || echo "$out" >&2
uploaded_db="$key"
if ! stored="$(s3_cli s3api head-object --bucket "$BACKUP_BUCKET" --key "$key" --query ContentLength --output text 2>&1)"; then
  fail "cannot read back s3://$BACKUP_BUCKET/$key after uploading it: $(tr '\n' ' ' <<<"$stored")"
fi
[[ "$stored" == "$size" ]] || fail "s3://$BACKUP_BUCKET/$key holds $stored bytes, the snapshot has $size"

manifest_file="$work_dir/manifest-$stamp.json"
printf '{"format":1,"key":%s,"sha256":"%s","size":%s,"revision":%s,"totalKeys":%s,"clusterId":"%s","memberId":"%s","member":%s,"etcdVersion":%s,"storageVersion":%s,"time":"%s","snapshotMs":%s}\n' \
  "$(json_string "$key")" "$sha" "$size" "$revision" "${total_keys:-0}" "$cluster_hex" "$member_hex" "$(json_string "$MEMBER_NAME")" \
  "$(json_string "$etcd_version")" "$(json_string "$storage_version")" "$iso" "$saved_ms" >"$manifest_file"
if ! out="$(put_new_object "$manifest_file" "$manifest_key" application/json "$metadata" 2>&1)"; then
  fail "writing the manifest s3://$BACKUP_BUCKET/$manifest_key failed: $(tr '\n' ' ' <<<"$out")"
fi
[[ -z "$out" ]] || echo "$out" >&2
uploaded_db=""
upload_ms=$((($(date +%s%N) - started) / 1000000))
log "backup s3://$BACKUP_BUCKET/$key: revision $revision, $size bytes, sha256 $sha (snapshot ${saved_ms} ms, upload ${upload_ms} ms)"

# ---- 5. metrics -------------------------------------------------------------------------------------------
if ! put_metric "$BACKUP_AGE_METRIC" 0 Seconds; then
  log "WARNING: the backup is stored, but publishing $BACKUP_AGE_METRIC failed; the backup-age alarm may fire"
fi
if [[ "$BACKUP_METRICS" != off ]] && ! publish_quota_use; then
  log "WARNING: publishing $QUOTA_USED_METRIC failed"
fi

# ---- 6. result --------------------------------------------------------------------------------------------
printf '{"bucket":%s,"key":%s,"manifest":%s,"revision":%s,"size":%s,"sha256":"%s","member":%s,"clusterId":"%s","time":"%s","snapshotMs":%s,"uploadMs":%s}\n' \
  "$(json_string "$BACKUP_BUCKET")" "$(json_string "$key")" "$(json_string "$manifest_key")" "$revision" "$size" "$sha" \
  "$(json_string "$MEMBER_NAME")" "$cluster_hex" "$iso" "$saved_ms" "$upload_ms"
