#!/usr/bin/env bash
# etcd-fetch-certs: reads this member's CA, member (server+peer) and node (client) certificates and
# keys from SSM Parameter Store into CERT_DIR; with the etcdkeeper UI on, also the UI's own client
# certificate into KEEPER_CERT_DIR (root only; the UI restarts when it changes). Runs at boot and
# from etcd-cert-sync.timer: a file is replaced (atomically) only when its content changed, so etcd
# picks up renewed certificates on its next connections. A set that etcd could not use (a key that
# does not match, another CA, no SAN for this member's address, outside its validity) is refused as
# a whole and the current files stay. Never prints certificate or key material.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-fetch-certs


umask 077
attempts="${SSM_ATTEMPTS:-5}"

# parameter name | destination | mode | owner | what the file must contain
files=(
  "$CA_PARAMETER|$CA_FILE|0644|$SERVICE_USER|CERTIFICATE"
  "$MEMBER_CERT_PARAMETER|$MEMBER_CERT_FILE|0644|$SERVICE_USER|CERTIFICATE"
  "$MEMBER_KEY_PARAMETER|$MEMBER_KEY_FILE|0600|$SERVICE_USER|PRIVATE KEY"
  "$NODE_CERT_PARAMETER|$NODE_CERT_FILE|0644|$SERVICE_USER|CERTIFICATE"
  "$NODE_KEY_PARAMETER|$NODE_KEY_FILE|0600|$SERVICE_USER|PRIVATE KEY"
)

# Parents made here (/etc/ssl/etcd on a fresh instance) must be traversable by etcd: umask 077 above
# would make them root-only, and etcd could open none of its certificates.
(umask 022 && mkdir -p "$CERT_DIR")
chmod 0755 "$CERT_DIR"
if [[ "${KEEPER_ENABLED:-}" == true ]]; then
  files+=(
    "$CA_PARAMETER|$KEEPER_CA_FILE|0644|root|CERTIFICATE"
    "$KEEPER_CERT_PARAMETER|$KEEPER_CERT_FILE|0644|root|CERTIFICATE"
    "$KEEPER_KEY_PARAMETER|$KEEPER_KEY_FILE|0600|root|PRIVATE KEY"
  )
  mkdir -p "$KEEPER_CERT_DIR"
  chmod 0700 "$KEEPER_CERT_DIR"
fi
temps=()
cleanup() { rm -f "${temps[@]}"; }
trap cleanup EXIT

get_parameter() { # name output-file
  local try
  for ((try = 1; try <= attempts; try++)); do
    if ssm_get "$1" --with-decryption >"$2" && [[ -s "$2" ]]; then
      return 0
    fi
    log "no value from $1 (attempt $try of $attempts)"
    ((try < attempts)) && sleep $((try * 3))
  done
  return 1
}

# Read everything first, then swap the changed files in quick succession, so a certificate and its
# key are replaced together. The reads run at once: each AWS CLI call costs a second or two of
# start-up, and the boot waits for them.
pids=()
for spec in "${files[@]}"; do
  IFS='|' read -r name dest _ <<<"$spec"
  tmp="$(mktemp "$(dirname "$dest")/.fetch.XXXXXX")"
  temps+=("$tmp")
  get_parameter "$name" "$tmp" &
  pids+=("$!")
done
unread=""
for i in "${!pids[@]}"; do
  wait "${pids[i]}" || unread="${unread:-${files[i]%%|*}}"
done
[[ -z "$unread" ]] || fail "cannot read SSM parameter $unread"
for i in "${!files[@]}"; do
  IFS='|' read -r name _ _ _ marker <<<"${files[i]}"
  grep -q -e "-----BEGIN .*$marker-----" "${temps[i]}" || fail "SSM parameter $name does not hold a PEM $marker"
done

# What etcd would be given is checked as a whole before anything is swapped: a bad set (a key of
# another certificate, a certificate of another CA, one without this member's address, expired or
# not yet valid) would break its TLS at the next connection, so the files in place are kept.
refuse() { fail "REFUSED, keeping the current certificates: $*"; }
check_pair() { # certificate key what [ip]
  local out
  # -partial_chain: any certificate in the CA file is a trust anchor, as for etcd (a CA you bring may be an intermediate).
  out="$(openssl verify -partial_chain -CAfile "${temps[0]}" "$1" 2>&1)" || refuse "$3 does not chain to the CA in $CA_PARAMETER, or is outside its validity ($(grep -m 1 -o 'error [0-9]*.*' <<<"$out" || echo "openssl verify failed"))"
  [[ "$(openssl x509 -noout -pubkey -in "$1")" == "$(openssl pkey -pubout -in "$2" 2>/dev/null)" ]] || refuse "the key of $3 does not belong to its certificate"
  if [[ -n "${4:-}" ]]; then
    openssl x509 -noout -in "$1" -checkip "$4" | grep -q "does match" || refuse "$3 does not name this member's address $4"
  fi
}
# etcd reads its trusted CAs only when it starts: etcd.service copies them to CA_AT_START_FILE then,
# and systemd removes the copy when etcd stops. While it runs, a certificate of a CA that copy lacks
# (a CA replaced in place instead of rotated) would cut this member off from its peers and clients,
# so it waits for the member's restart: a CA rotation's steps restart every member, one at a time.
trusted_by_running_etcd() { # certificate what
  [[ -n "${CA_AT_START_FILE:-}" && -f "$CA_AT_START_FILE" ]] || return 0
  openssl verify -partial_chain -CAfile "$CA_AT_START_FILE" "$1" >/dev/null 2>&1 ||
    refuse "$2 is signed by a CA that the running etcd does not trust (it reads its CAs at start, from $CA_AT_START_FILE); it is taken when this member restarts trusting it. Change a CA with caRotation, whose steps restart the members"
}
check_pair "${temps[1]}" "${temps[2]}" "the member certificate ($MEMBER_CERT_PARAMETER)" "$MEMBER_IP"
trusted_by_running_etcd "${temps[1]}" "the member certificate ($MEMBER_CERT_PARAMETER)"
check_pair "${temps[3]}" "${temps[4]}" "the node client certificate ($NODE_CERT_PARAMETER)"
trusted_by_running_etcd "${temps[3]}" "the node client certificate ($NODE_CERT_PARAMETER)"
if [[ "${KEEPER_ENABLED:-}" == true ]]; then
  check_pair "${temps[6]}" "${temps[7]}" "the etcdkeeper client certificate ($KEEPER_CERT_PARAMETER)"
  trusted_by_running_etcd "${temps[6]}" "the etcdkeeper client certificate ($KEEPER_CERT_PARAMETER)"
fi

changed=()
for i in "${!files[@]}"; do
  IFS='|' read -r name dest mode owner _ <<<"${files[i]}"
  tmp="${temps[i]}"
  if [[ -f "$dest" ]] && cmp -s "$tmp" "$dest"; then
    continue
  fi
  chmod "$mode" "$tmp"
  chown "$owner:" "$tmp"
  changed+=("$tmp|$dest")
done

keeper_changed=false
for pair in "${changed[@]}"; do
  IFS='|' read -r tmp dest <<<"$pair"
  mv -f "$tmp" "$dest"
  log "updated $dest"
  if [[ "$dest" == "${KEEPER_CERT_DIR:-/nonexistent}"/* ]]; then keeper_changed=true; fi
done
# The UI reads its certificate only at start.
if [[ "$keeper_changed" == true ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
  systemctl try-restart "$KEEPER_UNIT" || log "restarting $KEEPER_UNIT after a certificate change failed"
fi
log "${#changed[@]} of ${#files[@]} files changed"
