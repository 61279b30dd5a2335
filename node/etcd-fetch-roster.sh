#!/usr/bin/env bash
# etcd-fetch-roster: reads the roster parameter (ROSTER_PARAMETER: every member the program plans,
# as JSON) and writes ROSTER_FILE, which the scripts that need the other members source:
#   INITIAL_CLUSTER    name=peer URL of every member, for a first bootstrap and a restore
#   OTHER_CLIENT_URLS  the other members' client URLs, where an empty member looks for its cluster
# The roster is not in user data, so adding or removing a member changes no other member's instance.
# Runs at every boot (etcd-bootstrap); the file is replaced atomically, and only when it changed.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-fetch-roster


attempts="${SSM_ATTEMPTS:-5}"
roster=""
for ((try = 1; try <= attempts; try++)); do
  if roster="$(ssm_get "$ROSTER_PARAMETER")" && [[ -n "$roster" ]]; then
    break
  fi
  roster=""
  log "no roster in $ROSTER_PARAMETER (attempt $try of $attempts)"
  ((try < attempts)) && sleep $((try * 3))
done
[[ -n "$roster" ]] || fail "cannot read SSM parameter $ROSTER_PARAMETER"

# jq checks the shape and quotes every value for the shell (@sh); a roster without this member is
# refused: the member would look for, or found, a cluster it is not part of.
tmp="$(mktemp "$ROSTER_FILE.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
if ! jq -e -r --arg me "$MEMBER_NAME" --arg peer "$MEMBER_PEER_URL" '
    .members as $m
    | if ($m | type) != "array" or ($m | map(select(.name == $me and .peerUrl == $peer)) | length) != 1 then error("no entry for this member") else . end
    | "INITIAL_CLUSTER=" + ($m | map("\(.name)=\(.peerUrl)") | join(",") | @sh),
      "OTHER_CLIENT_URLS=" + ($m | map(select(.name != $me) | .clientUrl) | join(",") | @sh),
      "ROSTER_MEMBER_COUNT=" + ($m | length | tostring)' <<<"$roster" >"$tmp" 2>/dev/null; then
  fail "$ROSTER_PARAMETER does not list $MEMBER_NAME at $MEMBER_PEER_URL (or is not a roster): $(head -c 300 <<<"$roster")"
fi
chmod 0644 "$tmp"
if [[ -f "$ROSTER_FILE" ]] && cmp -s "$tmp" "$ROSTER_FILE"; then
  log "roster unchanged ($(sed -n 's/^ROSTER_MEMBER_COUNT=//p' "$tmp") members)"
  exit 0
fi
mv -f "$tmp" "$ROSTER_FILE"
log "roster of $(sed -n 's/^ROSTER_MEMBER_COUNT=//p' "$ROSTER_FILE") members written to $ROSTER_FILE"
