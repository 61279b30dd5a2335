#!/usr/bin/env bash
# etcd-keeper-start: starts the etcdkeeper web UI on this member (KEEPER_ENABLED=true only):
# installs Docker when missing (dnf, Amazon Linux 2023), starts it, then enables and starts
# etcdkeeper.service, which runs the pinned image (KEEPER_IMAGE) with the UI's own client certificate
# from KEEPER_CERT_DIR (etcd-fetch-certs puts it there). Idempotent; run last by etcd-bootstrap.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-keeper-start


if [[ "${KEEPER_ENABLED:-}" != true ]]; then
  log "the etcdkeeper UI is off (keeperEnabled); nothing to do"
  exit 0
fi
for file in "$KEEPER_CA_FILE" "$KEEPER_CERT_FILE" "$KEEPER_KEY_FILE"; do
  [[ -s "$file" ]] || fail "$file is missing: etcd-fetch-certs has not fetched the UI's certificate"
done
if ! command -v docker >/dev/null 2>&1; then
  log "installing Docker"
  dnf install -y docker >/dev/null || fail "cannot install Docker with dnf"
fi
systemctl enable --now docker.service
systemctl daemon-reload
systemctl enable "$KEEPER_UNIT"
systemctl restart "$KEEPER_UNIT"
log "etcdkeeper ($KEEPER_IMAGE) starts at $KEEPER_URL; open it through an SSM port-forwarding session"
