#!/usr/bin/env bash
# Sandbox substitute for etcd-keeper-start (node/etcd-keeper-start.sh). There is no Docker engine in
# the sandbox, so the UI container is NOT run. What is checked and kept instead: the UI's certificate
# files that the real etcd-fetch-certs fetched (present, key 0600), and the exact `docker` argv of
# the rendered etcdkeeper.service, written to SANDBOX_RUN_DIR/etcdkeeper.argv (one argument a line).
set -euo pipefail
ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
# shellcheck source=/dev/null
source "$ETCD_MEMBER_ENV"
log() { echo "etcd-keeper-start (sandbox): $*" >&2; }

[[ "${KEEPER_ENABLED:-}" == true ]] || { log "the etcdkeeper UI is off; nothing to do"; exit 0; }
for file in "$KEEPER_CA_FILE" "$KEEPER_CERT_FILE" "$KEEPER_KEY_FILE"; do
  [[ -s "$file" ]] || { log "$file is missing"; exit 1; }
done
[[ "$(stat -c %a "$KEEPER_KEY_FILE")" == 600 ]] || { log "$KEEPER_KEY_FILE is not mode 0600"; exit 1; }
unit="$SYSTEMD_DIR/etcdkeeper.service"
exec_start="$(sed -n 's/^ExecStart=//p' "$unit" | tail -n 1)"
[[ "$exec_start" == /usr/bin/docker\ * ]] || { log "$unit runs no docker command"; exit 1; }
read -r -a argv <<<"$exec_start"
printf '%s\n' "${argv[@]}" >"${SANDBOX_RUN_DIR:?}/etcdkeeper.argv"
log "no Docker engine here: the UI container is not run; its argv is in $SANDBOX_RUN_DIR/etcdkeeper.argv"
