#!/usr/bin/env bash
# Sandbox substitute for etcd-install: instead of downloading the release tarball and checking its
# sha256, copies etcd, etcdctl and etcdutl of the same version, built from the Go module proxy by
# scripts/tools.sh (SANDBOX_ETCD_BIN_DIR), into BIN_DIR. The version check is the real one's.
set -euo pipefail

ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"

log() { echo "etcd-install (sandbox): $*" >&2; }
source_dir="${SANDBOX_ETCD_BIN_DIR:?SANDBOX_ETCD_BIN_DIR names the local etcd build}"
version="$ETCD_RELEASE_VERSION"
binaries=(etcd etcdctl etcdutl)

installed_version() {
  local bin
  for bin in "${binaries[@]}"; do
    [[ -x "$BIN_DIR/$bin" ]] || return 0
  done
  "$BIN_DIR/etcd" --version 2>/dev/null | awk '$1 == "etcd" && $2 == "Version:" { print $3 }'
}

if [[ "$(installed_version)" == "$version" ]]; then
  log "etcd $version already installed in $BIN_DIR"
  exit 0
fi
log "no download: copying the local build of etcd $version from $source_dir (release sha256 $ETCD_RELEASE_SHA256 not checked)"
mkdir -p "$BIN_DIR"
for bin in "${binaries[@]}"; do
  install -m 0755 "$source_dir/$bin" "$BIN_DIR/.$bin.new"
  mv -f "$BIN_DIR/.$bin.new" "$BIN_DIR/$bin"
done
got="$(installed_version)"
if [[ "$got" != "$version" ]]; then
  log "installed etcd reports version '${got}', expected $version"
  exit 1
fi
log "installed etcd $version into $BIN_DIR"
