#!/usr/bin/env bash
# etcd-install: installs the pinned etcd release (etcd, etcdctl, etcdutl) into BIN_DIR.
# Downloads the tarball from the mirror, checks its sha256 before unpacking anything, and does
# nothing when the installed etcd already is that release.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-install


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

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="etcd-v${version}-linux-${ETCD_RELEASE_ARCH}.tar.gz"

log "downloading $ETCD_RELEASE_URL"
curl --fail --silent --show-error --location --retry 5 --retry-delay 3 --connect-timeout 15 \
  --output "$work/$tarball" "$ETCD_RELEASE_URL"

printf '%s  %s\n' "$ETCD_RELEASE_SHA256" "$tarball" >"$work/SHA256SUMS"
if ! (cd "$work" && sha256sum --check --strict --quiet SHA256SUMS); then
  log "sha256 of $tarball does not match $ETCD_RELEASE_SHA256; refusing to install it"
  exit 1
fi

tar -xzf "$work/$tarball" -C "$work"
unpacked="$work/etcd-v${version}-linux-${ETCD_RELEASE_ARCH}"
mkdir -p "$BIN_DIR"
for bin in "${binaries[@]}"; do
  [[ -f "$unpacked/$bin" ]] || { log "$tarball has no $bin"; exit 1; }
done
# Copy next to the target, then rename: a running etcd keeps its old binary, nothing is half-written.
for bin in "${binaries[@]}"; do
  install -m 0755 "$unpacked/$bin" "$BIN_DIR/.$bin.new"
  mv -f "$BIN_DIR/.$bin.new" "$BIN_DIR/$bin"
done

got="$(installed_version)"
if [[ "$got" != "$version" ]]; then
  log "installed etcd reports version '${got}', expected $version"
  exit 1
fi
log "installed etcd $version into $BIN_DIR"
