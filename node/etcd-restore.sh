#!/usr/bin/env bash
# etcd-restore: restores this member's data dir from a snapshot: the operator's command, and the
# disaster-recovery step of a cluster bootstrapped from a backup (restoreFrom).
#
#   etcd-restore --from <s3://bucket/key.db | latest | FILE> [--yes]
#                [--token NEW_CLUSTER_TOKEN] [--bump-revision N --mark-compacted]
#                [--skip-hash-check] [--sha256 HEX]
#   etcd-restore --bootstrap [--from ...]      (disaster recovery; --from defaults to RESTORE_FROM)
#
# Every member of the cluster is restored from the SAME snapshot, with etcd stopped on all of them,
# then all are started: a restore makes a new logical cluster (new member and cluster ids).
#
#   1. refuses while etcd runs on this member (etcd.service active, a process with a file open in the
#      data dir, or an etcd answering at this member's client URL);
#   2. fetches the snapshot: `latest` is the newest finished backup under s3://BACKUP_BUCKET/BACKUP_PREFIX,
#      an S3 URI must name a finished backup (its manifest exists), a local FILE is used in place;
#   3. verifies it with etcd-snapshot-verify (size and sha256 against the manifest, the integrity
#      hash, etcd's own reading) BEFORE anything in the data dir is touched; a truncated or corrupted
#      snapshot is refused;
#   4. `etcdutl snapshot restore` (etcdctl on 3.4) into a new directory beside the data dir, with this
#      member's name, the initial cluster, the token and its advertise peer URL from member.env;
#   5. moves the old data dir aside to <data dir>.before-restore-<time> (never deletes it) and puts
#      the restored one in its place, owned by the etcd user. Prints one JSON line.
#
# --skip-hash-check is only for a db file copied out of a data dir (it has no integrity hash); it is
# refused for a `snapshot save` file and for S3 backups. --bump-revision N with --mark-compacted raise
# the revision past anything watchers (Kubernetes) have seen and make them re-list.
# --token (or RESTORE_CLUSTER_TOKEN) gives the new cluster a new token; the default is CLUSTER_TOKEN.
# --bootstrap restores only into an EMPTY data dir and only when no other member already serves a
# cluster with a quorum (then this member joins it instead); otherwise it does nothing and exits 0.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
# shellcheck source=/dev/null
source "$(sibling etcd-backup-common)"
backup_init etcd-restore

usage() {
  sed -n '4,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

from="" yes=false bootstrap=false skip_hash=false bump=0 mark=false token="${RESTORE_CLUSTER_TOKEN:-}" want_sha=""
while (($#)); do
  case "$1" in
    --from) from="${2:-}"; shift ;;
    --yes | -y) yes=true ;;
    --bootstrap) bootstrap=true ;;
    --skip-hash-check | --copied-db-file) skip_hash=true ;;
    --bump-revision) bump="${2:-}"; shift ;;
    --mark-compacted) mark=true ;;
    --token) token="${2:-}"; shift ;;
    --sha256) want_sha="${2:-}"; shift ;;
    -h | --help) usage ;;
    *) echo "etcd-restore: unknown argument $1" >&2; usage ;;
  esac
  shift
done
if [[ "$bootstrap" == true ]]; then
  from="${from:-${RESTORE_FROM:-}}"
  yes=true
  if [[ -z "$from" ]]; then
    log "no snapshot to restore from (RESTORE_FROM is empty); nothing to do"
    exit 0
  fi
fi
[[ -n "$from" ]] || { echo "etcd-restore: --from is required" >&2; usage; }
[[ "$bump" =~ ^[0-9]+$ ]] || fail "--bump-revision takes a whole number; got '$bump'"
if ((bump > 0)) && [[ "$mark" != true ]]; then fail "--bump-revision needs --mark-compacted (watchers must re-list after the revision jump)"; fi
if ((bump == 0)) && [[ "$mark" == true ]]; then fail "--mark-compacted goes with --bump-revision N (N > 0)"; fi
token="${token:-$CLUSTER_TOKEN}"
[[ -n "$token" ]] || fail "no cluster token: set CLUSTER_TOKEN in member.env or pass --token"
for v in MEMBER_NAME INITIAL_CLUSTER MEMBER_PEER_URL DATA_DIR; do
  [[ -n "${!v:-}" ]] || fail "$v is not set in $ETCD_MEMBER_ENV or ${ROSTER_FILE:-the roster file} (etcd-fetch-roster writes INITIAL_CLUSTER)"
done

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
parent="$(dirname "$DATA_DIR")"
work_dir="${RESTORE_WORK_DIR:-$VOLUME_DIR/restore}"
staging="$parent/.restore-$stamp-$$"
downloaded=()
cleanup() {
  rm -f "${downloaded[@]}"
  # Only our own staging dir; the data dir and anything moved aside are never removed here.
  [[ -d "$staging" ]] && rm -rf "$staging"
  return 0
}
trap cleanup EXIT

data_dir_empty() { [[ ! -e "$DATA_DIR" ]] || [[ -d "$DATA_DIR" && -z "$(ls -A "$DATA_DIR")" ]]; }

# ---- 1. never with etcd running, never over live data in bootstrap mode -------------------------------------
if [[ "$bootstrap" == true ]]; then
  if ! data_dir_empty; then
    log "$DATA_DIR is not empty: a bootstrap restore never writes over data; leaving it as it is"
    printf '{"restored":false,"member":%s,"reason":"data dir not empty"}\n' "$(json_string "$MEMBER_NAME")"
    exit 0
  fi
  if [[ -n "${OTHER_CLIENT_URLS:-}" ]]; then
    IFS=',' read -r -a others <<<"$OTHER_CLIENT_URLS"
    for url in "${others[@]}"; do
      # member list is linearizable: it answers only where a quorum exists.
      if ETCDCTL_COMMAND_TIMEOUT_S=3s etcdctl_at "$url" member list >/dev/null 2>&1; then
        log "a cluster with a quorum already answers at $url; this member joins it instead of restoring"
        printf '{"restored":false,"member":%s,"reason":"cluster already running"}\n' "$(json_string "$MEMBER_NAME")"
        exit 0
      fi
    done
  fi
fi
if reason="$(etcd_running_reason)"; then
  fail "etcd is running on this member ($reason): stop it first (systemctl stop etcd); nothing was changed"
fi

# ---- 2. fetch -------------------------------------------------------------------------------------------------
manifest=""
source_desc="$from"
fetch_s3() { # bucket key(.db)
  local bucket="$1" key="$2" mkey need avail out
  mkey="$(manifest_key_of "$2")"
  mkdir -p "$work_dir"
  chmod 0700 "$work_dir"
  manifest="$work_dir/download-$stamp-$$.json"
  snapshot="$work_dir/download-$stamp-$$.db"
  downloaded+=("$manifest" "$snapshot")
  if ! out="$(s3_cli s3 cp "s3://$bucket/$mkey" "$manifest" --no-progress --only-show-errors 2>&1)"; then
    fail "s3://$bucket/$key is not a finished backup: its manifest s3://$bucket/$mkey cannot be read ($(tr '\n' ' ' <<<"$out"))"
  fi
  need="$(json_get .size <"$manifest")"
  avail="$(df -P -B1 "$work_dir" | awk 'NR == 2 { print $4 }')"
  if [[ -n "$need" && -n "$avail" ]] && ((avail < 2 * need + 64 * 1024 * 1024)); then
    fail "$work_dir has $avail bytes free; downloading and restoring a $need-byte snapshot needs about $((2 * need))"
  fi
  log "downloading s3://$bucket/$key ($need bytes)"
  if ! out="$(s3_cli s3 cp "s3://$bucket/$key" "$snapshot" --no-progress --only-show-errors 2>&1)"; then
    fail "download of s3://$bucket/$key failed: $(tr '\n' ' ' <<<"$out")"
  fi
  source_desc="s3://$bucket/$key"
}

case "$from" in
  latest)
    require_bucket
    listing="$(list_snapshot_objects 2>&1)" || fail "cannot list s3://$BACKUP_BUCKET/$(snapshots_prefix): $(tr '\n' ' ' <<<"$listing")"
    finished="$(finished_from_listing <<<"$listing")"
    [[ -n "$finished" ]] || fail "no finished backup under s3://$BACKUP_BUCKET/$(snapshots_prefix)"
    # Only a snapshot of this cluster: one of another cluster under this prefix (a prefix shared by
    # mistake, or a planted object) is never restored by "latest".
    ours="$(recorded_cluster_ids)" || exit 1
    if [[ -z "$ours" ]]; then
      log "no cluster id is recorded (${CLUSTER_IDS_PATH:-CLUSTER_IDS_PATH is not set}): taking the newest finished backup, whichever cluster made it"
    fi
    latest="$(newest_backup_of_cluster "$ours" <<<"$finished")"
    [[ -n "$latest" ]] || fail "no finished backup of this cluster ($(paste -sd, <<<"$ours")) under s3://$BACKUP_BUCKET/$(snapshots_prefix); the newest is s3://$BACKUP_BUCKET/$(tail -n 1 <<<"$finished" | cut -f1): to restore another cluster's snapshot, name it (restoreFrom, or --from s3://...)"
    log "latest finished backup of this cluster: s3://$BACKUP_BUCKET/$latest"
    fetch_s3 "$BACKUP_BUCKET" "$latest"
    ;;
  s3://*)
    rest="${from#s3://}"
    bucket="${rest%%/*}"
    key="${rest#*/}"
    [[ -n "$bucket" && "$key" != "$rest" && -n "$key" ]] || fail "--from $from is not an s3://bucket/key URI"
    case "$key" in
      *.db) ;;
      *.json) key="${key%.json}.db" ;;
      *) fail "--from $from does not name a snapshot (.db) or its manifest (.json)" ;;
    esac
    fetch_s3 "$bucket" "$key"
    ;;
  *)
    [[ -f "$from" ]] || fail "--from $from: no such file (use an s3:// URI, 'latest' or a local snapshot file)"
    snapshot="$(readlink -f "$from")"
    for candidate in "$(manifest_key_of "$snapshot")" "$snapshot.json"; do
      if [[ -f "$candidate" ]] && jq -e 'has("sha256")' "$candidate" >/dev/null 2>&1; then manifest="$candidate"; break; fi
    done
    ;;
esac
if [[ "$skip_hash" == true && "$source_desc" == s3://* ]]; then
  fail "--skip-hash-check is refused for $source_desc: backups are \`snapshot save\` files and are always checked"
fi

# ---- 3. verify before touching anything ---------------------------------------------------------------------------
verify="$(sibling etcd-snapshot-verify)" || fail "etcd-snapshot-verify is not installed next to $0"
verify_args=("$snapshot")
[[ -n "$manifest" ]] && verify_args+=(--manifest "$manifest")
[[ -n "$want_sha" ]] && verify_args+=(--sha256 "$want_sha")
[[ "$skip_hash" == true ]] && verify_args+=(--copied-db-file)
if ! verified="$("$verify" "${verify_args[@]}" 2>&1)"; then
  why="$(grep -m 1 'FAILED' <<<"$verified" | sed 's/^.*FAILED: //' || true)"
  fail "refusing to restore from $source_desc: ${why:-verification failed}; the data dir was not touched"
fi
verified="$(grep -m 1 '^{' <<<"$verified")"
revision="$(json_get .revision <<<"$verified")"
sha="$(json_get .sha256 <<<"$verified")"
size="$(json_get .size <<<"$verified")"
log "verified $source_desc: revision $revision, $size bytes, sha256 $sha"

# ---- 4. restore into a new directory beside the data dir ------------------------------------------------------------
[[ -d "$parent" ]] || fail "$parent (the data dir's parent, the data volume) does not exist"
if [[ "$token" == "${CLUSTER_TOKEN:-}" && "$bootstrap" != true ]]; then
  log "note: restoring with the cluster's current token; members that are not restored must never start again with their old data"
fi
restore_args=(--data-dir "$staging" --name "$MEMBER_NAME" --initial-cluster "$INITIAL_CLUSTER"
  --initial-cluster-token "$token" --initial-advertise-peer-urls "$MEMBER_PEER_URL")
[[ "$skip_hash" == true ]] && restore_args+=(--skip-hash-check)
if ((bump > 0)); then restore_args+=(--bump-revision "$bump" --mark-compacted); fi
if uses_etcdutl; then
  tool=("$BIN_DIR/etcdutl" snapshot restore "$snapshot" "${restore_args[@]}")
else
  ((bump == 0)) || fail "--bump-revision needs etcdutl (etcd 3.5 or later)"
  tool=(env ETCDCTL_API=3 "$BIN_DIR/etcdctl" snapshot restore "$snapshot" "${restore_args[@]}")
fi
started="$(date +%s%N)"
if ! out="$("${tool[@]}" 2>&1)"; then
  fail "${tool[0]##*/} snapshot restore failed: $(grep -m 1 -E '^Error' <<<"$out" || tail -n 1 <<<"$out"); the data dir was not touched"
fi
[[ -d "$staging/member" ]] || fail "${tool[0]##*/} snapshot restore left no member dir in $staging; the data dir was not touched"
restore_ms=$((($(date +%s%N) - started) / 1000000))

# ---- 5. confirm, move the old data aside, put the restored data in place ---------------------------------------------
if [[ "$yes" != true ]]; then
  if [[ ! -t 0 ]]; then fail "not confirmed: pass --yes to restore without a prompt; the data dir was not touched"; fi
  echo "Restore member $MEMBER_NAME from $source_desc (revision $revision)? $DATA_DIR will be moved aside." >&2
  read -r -p "Type the member name ($MEMBER_NAME) to go on: " answer
  [[ "$answer" == "$MEMBER_NAME" ]] || fail "not confirmed; the data dir was not touched"
fi
if reason="$(etcd_running_reason)"; then
  fail "etcd started on this member meanwhile ($reason); the data dir was not touched"
fi
moved_aside=""
if [[ -e "$DATA_DIR" ]]; then
  if data_dir_empty; then
    rmdir "$DATA_DIR"
  else
    moved_aside="$DATA_DIR.before-restore-$stamp"
    n=1
    while [[ -e "$moved_aside" ]]; do moved_aside="$DATA_DIR.before-restore-$stamp-$n"; n=$((n + 1)); done
    mv -T "$DATA_DIR" "$moved_aside"
    log "moved the old data dir aside to $moved_aside (not deleted)"
  fi
fi
mv -T "$staging" "$DATA_DIR"
chmod 0700 "$DATA_DIR"
if [[ "$(id -u)" == 0 && -n "${SERVICE_USER:-}" ]] && id "$SERVICE_USER" >/dev/null 2>&1; then
  chown -R "$SERVICE_USER:" "$DATA_DIR"
fi
log "restored $DATA_DIR from $source_desc at revision $revision$( ((bump > 0)) && echo " bumped by $bump")"

printf '{"restored":true,"member":%s,"from":%s,"revision":%s,"bumpRevision":%s,"size":%s,"sha256":"%s","dataDir":%s,"movedAside":%s,"newToken":%s,"restoreMs":%s}\n' \
  "$(json_string "$MEMBER_NAME")" "$(json_string "$source_desc")" "$revision" "$bump" "$size" "$sha" "$(json_string "$DATA_DIR")" \
  "$(if [[ -n "$moved_aside" ]]; then json_string "$moved_aside"; else echo null; fi)" \
  "$(if [[ "$token" != "${CLUSTER_TOKEN:-}" ]]; then echo true; else echo false; fi)" "$restore_ms"
