# shellcheck shell=bash
# etcd-backup-common: functions shared by etcd-backup, etcd-backup-list,
# etcd-snapshot-verify, etcd-restore and etcd-defrag. Sourced by them after etcd-node-common (log,
# fail, sibling, etcdctl_*, json_*), never run on its own.
#
# Snapshot layout in the bucket (keys sort by time):
#   <BACKUP_PREFIX>/snapshots/YYYY/MM/DD/YYYYMMDDTHHMMSSZ-r<revision>.db    the `snapshot save` file
#   <BACKUP_PREFIX>/snapshots/YYYY/MM/DD/YYYYMMDDTHHMMSSZ-r<revision>.json  its manifest, written last
# Only a .db whose .json exists is a finished backup; anything else is ignored by listing and restore.

# Loads member.env and the backup settings. $1: the program name for log lines.
# shellcheck disable=SC2034 # the settings are read by the scripts that source this file
backup_init() {
  node_init "$1"
  # The other members and the initial cluster (etcd-fetch-roster), for the upgrade snapshot and a restore.
  if [[ -n "${ROSTER_FILE:-}" && -f "$ROSTER_FILE" ]]; then
    # shellcheck source=/dev/null
    source "$ROSTER_FILE"
  fi
  MEMBER_NAME="${MEMBER_NAME:-$(hostname -s)}"
  BACKUP_BUCKET="${BACKUP_BUCKET:-}"
  BACKUP_PREFIX="${BACKUP_PREFIX:-}"
  BACKUP_PREFIX="${BACKUP_PREFIX%/}"
  BACKUP_S3_ENDPOINT="${BACKUP_S3_ENDPOINT:-}"
  BACKUP_SSE="${BACKUP_SSE:-}"
  BACKUP_KMS_KEY_ID="${BACKUP_KMS_KEY_ID:-}"
  BACKUP_METRICS="${BACKUP_METRICS:-on}"
  # Defaults for running a script outside a member (tests, an operator's shell); member.env sets
  # all of them from config/contract.ts, and tests/unit/nodeContract.test.ts keeps these equal.
  BACKUP_METRIC_NAMESPACE="${BACKUP_METRIC_NAMESPACE:-EtcdCluster}"
  BACKUP_AGE_METRIC="${BACKUP_AGE_METRIC:-SecondsSinceLastGoodBackup}"
  QUOTA_USED_METRIC="${QUOTA_USED_METRIC:-DatabaseQuotaUsedPercent}"
  BACKUP_METRIC_CLUSTER="${BACKUP_METRIC_CLUSTER:-${BACKUP_PREFIX:-$MEMBER_NAME}}"
  AWS_CLI="${AWS_CLI:-aws}"
  AWS_REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
  # A snapshot, a defragmentation and a status of every member take longer than a health check.
  ETCDCTL_COMMAND_TIMEOUT_S="${ETCDCTL_COMMAND_TIMEOUT_S:-15s}"
  if [[ -z "${BIN_DIR:-}" ]]; then
    BIN_DIR="$(dirname "$(command -v etcdctl 2>/dev/null || echo /usr/local/bin/etcdctl)")"
  fi
  # The data volume: working files go there, never into the data dir etcd owns.
  VOLUME_DIR="${MOUNT_POINT:-$(dirname "${DATA_DIR:-/var/lib/etcd/data}")}"
}

# ---- etcd tools --------------------------------------------------------------------------------------

# Minor line of the installed tools, e.g. 3.6 (3.4 still restores with etcdctl).
etcd_line() {
  local v="${ETCD_RELEASE_VERSION:-}"
  if [[ -z "$v" ]]; then
    v="$("$BIN_DIR/etcdctl" version 2>/dev/null | awk '/^etcdctl version:/ { print $3 }')"
  fi
  [[ "$v" =~ ^v?([0-9]+\.[0-9]+) ]] || fail "cannot tell the etcd version of $BIN_DIR/etcdctl"
  echo "${BASH_REMATCH[1]}"
}
uses_etcdutl() { [[ "$(etcd_line)" != 3.4 && "$(etcd_line)" != 3.3 ]]; }

# ---- S3 and CloudWatch through the AWS CLI ------------------------------------------------------------

s3_cli() {
  local args=()
  [[ -n "$AWS_REGION" ]] && args+=(--region "$AWS_REGION")
  [[ -n "$BACKUP_S3_ENDPOINT" ]] && args+=(--endpoint-url "$BACKUP_S3_ENDPOINT")
  "$AWS_CLI" "${args[@]}" "$@"
}
# Uploads FILE as a NEW object KEY with S3's conditional write (If-None-Match: *), so an object that
# is there already is never overwritten, by this member or another. A snapshot key names its time and
# revision, so a second writer of the same key is a mistake or a replay. The bucket policy and the
# member's role refuse a snapshot write without the condition, so an AWS CLI without --if-none-match
# (older than 2.22 / 1.36) cannot back up: that fails here, naming the fix. Up to
# BACKUP_SINGLE_PUT_MAX_BYTES (5 GiB, S3's limit for one PUT) the file goes up in one PUT; a larger
# one as a multipart upload whose completion carries the condition (the parts cannot). Every write
# carries a CRC32 checksum, which S3 also demands of writes into a bucket with a default retention.
# put_new_object FILE KEY CONTENT-TYPE METADATA-JSON
put_new_object() {
  local file="$1" key="$2" type="$3" metadata="$4" out sse=()
  if [[ -n "$BACKUP_SSE" ]]; then sse+=(--server-side-encryption "$BACKUP_SSE"); fi
  if [[ -n "$BACKUP_KMS_KEY_ID" ]]; then sse+=(--ssekms-key-id "$BACKUP_KMS_KEY_ID"); fi
  if (($(stat -c %s "$file") > ${BACKUP_SINGLE_PUT_MAX_BYTES:-5368709120})); then
    put_new_object_in_parts "$file" "$key" "$type" "$metadata" "${sse[@]}"
    return
  fi
  out="$(s3_cli s3api put-object --bucket "$BACKUP_BUCKET" --key "$key" --body "$file" --content-type "$type" \
    --metadata "$metadata" "${sse[@]}" --checksum-algorithm CRC32 --if-none-match '*' 2>&1 >/dev/null)" && return 0
  conditional_write_failure "$key" "$out"
}

# Why a conditional write of KEY failed, on stderr; always returns 1.
conditional_write_failure() { # key cli-output
  if grep -qi 'unknown options.*if-none-match\|if-none-match.*unknown' <<<"$2"; then
    echo "this AWS CLI ($("$AWS_CLI" --version 2>&1 | head -n 1)) has no --if-none-match, and the bucket takes a snapshot only as a conditional write: use an AMI whose AWS CLI is 2.22 or newer; s3://$BACKUP_BUCKET/$1 was not written" >&2
  elif grep -q PreconditionFailed <<<"$2"; then
    echo "s3://$BACKUP_BUCKET/$1 exists already; it was not overwritten" >&2
  else
    echo "$2" >&2
  fi
  return 1
}

# A multipart upload of FILE as the new object KEY: parts of at least BACKUP_PART_BYTES (64 MiB;
# more when 9,000 parts would not hold the file, S3 allows 10,000), cut one at a time into
# FILE.part (the volume needs room for one part; etcd-backup's sweep removes one a crash leaves),
# each with its CRC32, which the upload declares and the completion lists; completed with
# If-None-Match, aborted on any failure.
# put_new_object_in_parts FILE KEY CONTENT-TYPE METADATA-JSON [SSE-OPTION...]
put_new_object_in_parts() {
  local file="$1" key="$2" type="$3" metadata="$4"
  shift 4
  local size part_bytes parts upload_id part_file out err number sent=() why
  part_file="$file.part"
  err="$(mktemp)"
  size="$(stat -c %s "$file")"
  part_bytes="${BACKUP_PART_BYTES:-67108864}"
  if ((size > part_bytes * 9000)); then part_bytes=$(((size + 8999) / 9000)); fi
  parts=$(((size + part_bytes - 1) / part_bytes))
  if ! upload_id="$(s3_cli s3api create-multipart-upload --bucket "$BACKUP_BUCKET" --key "$key" --content-type "$type" \
    --metadata "$metadata" "$@" --checksum-algorithm CRC32 --query UploadId --output text 2>"$err")"; then
    cat "$err" >&2
    rm -f "$err"
    return 1
  fi
  log "$key: $size bytes in $parts parts (multipart upload $upload_id)"
  for ((number = 1; number <= parts; number++)); do
    why=""
    if ! dd if="$file" of="$part_file" bs="$part_bytes" skip=$((number - 1)) count=1 status=none 2>"$err"; then
      why="cutting it from $file failed: $(head -c 300 "$err")"
    elif ! out="$(s3_cli s3api upload-part --bucket "$BACKUP_BUCKET" --key "$key" --upload-id "$upload_id" --part-number "$number" \
      --body "$part_file" --checksum-algorithm CRC32 --query '[ETag,ChecksumCRC32]' --output text 2>"$err")"; then
      why="$(head -c 500 "$err")"
    fi
    if [[ -n "$why" ]]; then
      echo "part $number of $key failed: $why" >&2
      break
    fi
    sent+=("$out")
  done
  rm -f "$part_file" "$err"
  # Each part as S3 answered it: "ETag<TAB>CRC32" (a server that keeps no checksums says None).
  if ((${#sent[@]} == parts)) && out="$(s3_cli s3api complete-multipart-upload --bucket "$BACKUP_BUCKET" --key "$key" \
    --upload-id "$upload_id" --if-none-match '*' --multipart-upload "$(printf '%s\n' "${sent[@]}" |
      jq -cRn '[inputs | split("\t")] | {Parts: [to_entries[] | {ETag: .value[0], PartNumber: (.key + 1)}
        + (if (.value[1] // "None") != "None" then {ChecksumCRC32: .value[1]} else {} end)]}')" 2>&1 >/dev/null)"; then
    return 0
  fi
  s3_cli s3api abort-multipart-upload --bucket "$BACKUP_BUCKET" --key "$key" --upload-id "$upload_id" >/dev/null 2>&1 ||
    log "could not abort multipart upload $upload_id of $key; its parts stay until aborted (the component's bucket's lifecycle rule does that after a day)"
  ((${#sent[@]} == parts)) && conditional_write_failure "$key" "$out"
  return 1
}
# The bucket's layout, as config/contract.ts s3Keys has it (tests/integration/nodeScripts.test.ts
# runs both): where the snapshots are, and a snapshot's manifest beside it (<name>.db -> <name>.json).
snapshots_prefix() {
  if [[ -n "$BACKUP_PREFIX" ]]; then echo "$BACKUP_PREFIX/snapshots/"; else echo "snapshots/"; fi
}
manifest_key_of() { echo "${1%.db}.json"; }
require_bucket() {
  [[ -n "$BACKUP_BUCKET" ]] || fail "BACKUP_BUCKET is not set (in $ETCD_MEMBER_ENV or the environment): backups are not configured"
}

# Every object under the snapshots prefix as "key<TAB>size", sorted by key (= by time).
list_snapshot_objects() {
  local out
  out="$(s3_cli s3api list-objects-v2 --bucket "$BACKUP_BUCKET" --prefix "$(snapshots_prefix)" \
    --query 'Contents[].[Key,Size]' --output text)" || return 1
  awk -F'\t' 'NF >= 2 && $1 != "None"' <<<"$out" | LC_ALL=C sort
}

# Finished backups, oldest first: "db-key<TAB>size<TAB>manifest-key" for each .db with a .json beside it,
# named as etcd-backup names them (.../YYYY/MM/DD/YYYYMMDDTHHMMSSZ-r<revision>.db, the folders those of
# the stamp), so the key order is the time order. Left out, and said so on stderr: any other name, and
# a backup dated more than BACKUP_FUTURE_SECONDS (600) ahead of this clock. A wrong clock or an object
# planted in the bucket would otherwise be the latest backup for ever (what `restoreFrom: latest`
# restores, what the backup-age alarm measures).
finished_from_listing() { # listing on stdin
  local limit
  limit="$(date -u -d "@$(($(date -u +%s) + ${BACKUP_FUTURE_SECONDS:-600}))" +%Y%m%dT%H%M%SZ)"
  awk -F'\t' -v limit="$limit" -v prog="$PROG: $MEMBER_NAME" '
    function said(why) { print prog ": ignoring " order[i] ".db: " why > "/dev/stderr" }
    $1 ~ /\.db$/ { db[substr($1, 1, length($1) - 3)] = $2; order[++n] = substr($1, 1, length($1) - 3) }
    $1 ~ /\.json$/ { manifest[substr($1, 1, length($1) - 5)] = 1 }
    END {
      for (i = 1; i <= n; i++) {
        if (!(order[i] in manifest)) continue
        parts = split(order[i], p, "/")
        name = p[parts]; stamp = substr(name, 1, 16)
        if (parts < 4 || name !~ /^[0-9]+T[0-9]+Z-r[0-9]+$/ || length(stamp) != 16 || substr(stamp, 9, 1) != "T" ||
            p[parts - 3] p[parts - 2] p[parts - 1] != substr(stamp, 1, 8)) { said("not a snapshot name etcd-backup writes"); continue }
        if (stamp > limit) { said("dated " stamp ", in the future (a wrong clock, or an object planted in the bucket)"); continue }
        print order[i] ".db\t" db[order[i]] "\t" order[i] ".json"
      }
    }'
}
# The ids (hex) of the clusters whose backups these are, one a line, as etcd-record-formed adds them
# under CLUSTER_IDS_PATH: this stack's cluster and each one it was restored into. Nothing when none
# is recorded (the setting is empty, or no cluster of this stack has formed yet). Fails, saying why,
# when they cannot be read: a restore of "latest" then takes nothing rather than guess. SSM is asked
# through `aws` on PATH, as every node script asks it (AWS_CLI is the S3 client, which may point elsewhere).
recorded_cluster_ids() {
  [[ -n "${CLUSTER_IDS_PATH:-}" ]] || return 0
  ssm_names_under "$CLUSTER_IDS_PATH" || fail "cannot read the cluster's ids under $CLUSTER_IDS_PATH"
}

# The newest finished backup made by one of the clusters $1 (hex ids, one a line; any cluster when
# empty), from the finished backups on stdin (finished_from_listing): each manifest is read, newest
# first, and those of another cluster are left out and said so. Prints its db key, or nothing.
newest_backup_of_cluster() { # cluster-ids
  local finished=() i key id
  mapfile -t finished < <(cut -f1)
  for ((i = ${#finished[@]} - 1; i >= 0; i--)); do
    key="${finished[i]}"
    if [[ -z "$1" ]]; then
      echo "$key"
      return 0
    fi
    id="$(s3_cli s3 cp "s3://$BACKUP_BUCKET/$(manifest_key_of "$key")" - 2>/dev/null | json_get .clusterId 2>/dev/null)" || id=""
    if [[ -n "$id" ]] && grep -qxF "$id" <<<"$1"; then
      echo "$key"
      return 0
    fi
    log "ignoring s3://$BACKUP_BUCKET/$key: a snapshot of cluster ${id:-(manifest unreadable)}, not of this cluster ($(paste -sd, <<<"$1"))"
  done
}

# Objects that are not part of a finished backup: "key<TAB>size<TAB>reason".
incomplete_from_listing() {
  awk -F'\t' '
    $1 ~ /\.db$/ { db[substr($1, 1, length($1) - 3)] = $2; dbs[++n] = substr($1, 1, length($1) - 3) }
    $1 ~ /\.json$/ { manifest[substr($1, 1, length($1) - 5)] = $2; ms[++m] = substr($1, 1, length($1) - 5) }
    $1 !~ /\.(db|json)$/ { print $1 "\t" $2 "\tunknown object" }
    END {
      for (i = 1; i <= n; i++) if (!(dbs[i] in manifest)) print dbs[i] ".db\t" db[dbs[i]] "\tno manifest"
      for (i = 1; i <= m; i++) if (!(ms[i] in db)) print ms[i] ".json\t" manifest[ms[i]] "\tmanifest without snapshot"
    }' | LC_ALL=C sort
}

# Epoch seconds of a snapshot key's time stamp (…/YYYYMMDDTHHMMSSZ-r<rev>.db), or nothing.
key_epoch() {
  local base="${1##*/}"
  [[ "$base" =~ ^([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z ]] || return 0
  date -u -d "${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]} ${BASH_REMATCH[4]}:${BASH_REMATCH[5]}:${BASH_REMATCH[6]}" +%s
}

# CloudWatch metric, unless BACKUP_METRICS=off. name value unit
put_metric() {
  if [[ "$BACKUP_METRICS" == off ]]; then
    log "metrics off: not publishing $1=$2"
    return 0
  fi
  local args=()
  [[ -n "$AWS_REGION" ]] && args+=(--region "$AWS_REGION")
  "$AWS_CLI" "${args[@]}" cloudwatch put-metric-data --namespace "$BACKUP_METRIC_NAMESPACE" --metric-name "$1" \
    --dimensions "Cluster=$BACKUP_METRIC_CLUSTER" --value "$2" --unit "$3"
}

# ---- safety ---------------------------------------------------------------------------------------------

# Prints why etcd counts as running on this member and returns 0; returns 1 when it is not running.
etcd_running_reason() {
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]] && systemctl is-active --quiet "${ETCD_UNIT:-etcd.service}" 2>/dev/null; then
    echo "${ETCD_UNIT:-etcd.service} is active"
    return 0
  fi
  local fd pid own_mnt
  # One find over every process's open files (a readlink per descriptor would fork thousands of times).
  # A process in another mount namespace (a container, another etcd on the same host) shows paths of ITS
  # file system: a same-named data dir there is not ours.
  own_mnt="$(readlink /proc/self/ns/mnt 2>/dev/null || true)"
  while IFS= read -r fd; do
    pid="${fd#/proc/}"
    pid="${pid%%/*}"
    [[ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null || true)" == "$own_mnt" ]] || continue
    echo "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo '?')) has $(readlink "$fd" 2>/dev/null || echo "a file") open"
    return 0
  done < <(find /proc/[0-9]*/fd -maxdepth 1 -lname "$DATA_DIR/*" -print 2>/dev/null || true)
  if [[ -n "${MEMBER_CLIENT_URL:-}" ]] && ETCDCTL_DIAL_TIMEOUT_S=1s ETCDCTL_COMMAND_TIMEOUT_S=2s \
    etcdctl_at "$MEMBER_CLIENT_URL" endpoint status >/dev/null 2>&1; then
    echo "an etcd answers at this member's client URL $MEMBER_CLIENT_URL"
    return 0
  fi
  return 1
}
