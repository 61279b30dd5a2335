#!/usr/bin/env bash
# etcd-bootstrap: brings a member up, one step per script:
#   etcd-install -> etcd-prepare-volume -> etcd-fetch-certs -> etcd-fetch-roster -> etcd-fetch-scripts
#   [-> etcd-upgrade-snapshot] [-> etcd-restore --bootstrap] -> etcd-choose-state -> etcd-start
#   -> etcd-promote -> (the release that ran on the volume is recorded) -> etcd-record-formed
#   [-> etcd-keeper-start]
# It runs as etcd-bootstrap.service: at every boot, and again after a failure (systemd retries it), so
# every step is idempotent. The steps are looked up in SBIN_DIR (member.env), never by a fixed path.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-bootstrap

# The programs the steps call that come from the machine image, not from this package: a custom
# amiId must have them too. Said once, here, instead of as some later step's error. jq is the one
# an image may lack: on Amazon Linux (dnf) it is installed from the distribution's repository,
# once; the repository is reached the way the members reach S3.
if ! command -v jq >/dev/null 2>&1 && command -v dnf >/dev/null 2>&1; then
  log "jq is missing: dnf install -y jq"
  dnf install -y -q jq >&2 || log "dnf could not install jq"
fi
missing=()
for tool in aws jq openssl curl; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
((${#missing[@]} == 0)) || fail "the machine image lacks ${missing[*]}: use an AMI that has them (amiId); etcd was not started"

steps=(etcd-install etcd-prepare-volume etcd-fetch-certs etcd-fetch-roster etcd-fetch-scripts)
# Backups on: a member about to start another release on its data snapshots the cluster first.
if [[ "${BACKUP_ENABLED:-}" == true ]]; then
  steps+=(etcd-upgrade-snapshot)
fi
# Disaster recovery (restoreFrom): an EMPTY member of a new cluster restores the snapshot first;
# etcd-restore --bootstrap never touches a data dir that holds data, and joins a cluster that
# already has a quorum instead of restoring.
if [[ -n "${RESTORE_FROM:-}" ]]; then
  steps+=(etcd-restore-bootstrap)
fi
# A joining member starts as a learner; etcd-promote makes it a voter once it has caught up.
steps+=(etcd-choose-state etcd-start etcd-promote)

for step in "${steps[@]}"; do
  if [[ "$step" == etcd-restore-bootstrap ]]; then
    log "etcd-restore --bootstrap --from $RESTORE_FROM"
    if ! "$SBIN_DIR/etcd-restore" --bootstrap --from "$RESTORE_FROM"; then
      log "restore from $RESTORE_FROM failed; etcd was not started"
      exit 1
    fi
    continue
  fi
  log "$step"
  if ! "$SBIN_DIR/$step"; then
    log "$step failed; etcd was not started"
    exit 1
  fi
done
# The release that now runs on this volume: etcd-upgrade-snapshot compares the next one with it.
echo "$ETCD_RELEASE_VERSION" >"$MOUNT_POINT/etcd-release.tmp" && mv -f "$MOUNT_POINT/etcd-release.tmp" "$MOUNT_POINT/etcd-release"
# The record is a safety net for later boots, not a condition of this one: etcd runs either way,
# and the next boot tries again.
log "etcd-record-formed"
"$SBIN_DIR/etcd-record-formed" || log "WARNING: could not record that the cluster formed; etcd runs"
# The web UI is optional: etcd serves whether or not it starts (e.g. its image cannot be pulled).
if [[ "${KEEPER_ENABLED:-}" == true ]]; then
  log "etcd-keeper-start"
  "$SBIN_DIR/etcd-keeper-start" || log "WARNING: the etcdkeeper UI did not start; etcd runs"
fi
log "done"
