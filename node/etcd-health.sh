#!/usr/bin/env bash
# etcd-health: exits 0 only when the whole cluster is healthy:
#   - every member in the member list is a started voting member (no learner, none unstarted), and
#     every member named in REQUIRED_MEMBERS (comma-separated, optional) is one of them: the health
#     gate names the members that must have joined, so the counts in between (a member being
#     added, one being removed) pass once the named ones are in;
#   - every one of them answers `endpoint health` (a quorum read committed);
#   - every one reports the same leader, which is one of them.
# Prints a one-line JSON summary on stdout either way, and the reason on stderr when unhealthy.
# Talks to the local member with the node client certificate unless ETCDCTL_ENDPOINTS,
# ETCDCTL_CACERT, ETCDCTL_CERT and ETCDCTL_KEY say otherwise (an operator, a test).
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
node_init etcd-health

IFS=',' read -r -a required <<<"${REQUIRED_MEMBERS:-}"
# The members that must answer: every one in the member list, known once it has been read.
expected=0

members=0 started=0 healthy=0 statuses=0 leader="" reason=""

finish() {
  local ok=false
  [[ -z "$reason" ]] && ok=true
  printf '{"healthy":%s,"member":%s,"required":%s,"expected":%s,"members":%s,"started":%s,"healthyEndpoints":%s,"statusEndpoints":%s,"leader":%s,"reason":%s}\n' \
    "$ok" "$(json_string "$MEMBER_NAME")" "${#required[@]}" "$expected" "$members" "$started" "$healthy" "$statuses" \
    "$(json_string "$leader")" "$(json_string "$reason")"
  if [[ "$ok" == true ]]; then exit 0; fi
  echo "etcd-health: UNHEALTHY: $reason" >&2
  exit 1
}

# etcdctl's own summary ("Error: ...") if it printed one, else its first line.
error_line() { grep -m 1 '^Error:' <<<"$1" || head -n 1 <<<"$1"; }

# 1. Membership: "ID, status, name, peer URLs, client URLs, is learner", one line per member.
errors="$(mktemp)"
trap 'rm -f "$errors"' EXIT
if ! list="$(etcdctl_local member list -w simple 2>"$errors")"; then
  reason="cannot read the member list from $ETCDCTL_ENDPOINTS: $(error_line "$(cat "$errors")")"
  finish
fi
members="$(awk 'NF > 0' <<<"$list" | wc -l)"
started="$(awk -F', ' '$2 == "started" && $6 == "false"' <<<"$list" | wc -l)"
if ((started != members)); then
  reason="$((members - started)) of $members members are not started voting members (unstarted or learners)"
  finish
fi
for name in "${required[@]}"; do
  if ! awk -F', ' -v n="$name" '$3 == n { found = 1 } END { exit !found }' <<<"$list"; then
    reason="$name is not in the member list ($members members)"
    finish
  fi
done
expected="$members"

# 2. Health of every member's endpoint; etcdctl exits non-zero when one is unhealthy, the fields
#    still list every endpoint.
health="$(etcdctl_local endpoint health --cluster -w fields 2>/dev/null || true)"
health_rows="$(awk -F' : ' '
  function emit() { if (ep != "") print ep "|" ok "|" err; ep = ""; ok = ""; err = "" }
  NF == 0 { emit(); next }
  $1 == "\"Endpoint\"" { ep = $2; gsub(/"/, "", ep) }
  $1 == "\"Health\"" { ok = $2 }
  $1 == "\"Error\"" { err = substr($0, index($0, " : ") + 3) }
  END { emit() }' <<<"$health")"
healthy="$(awk -F'|' '$2 == "true"' <<<"$health_rows" | wc -l)"
if ((healthy != expected)); then
  unhealthy="$(awk -F'|' 'NF > 0 && $2 != "true" { printf "%s%s (%s)", sep, $1, $3; sep = ", " }' <<<"$health_rows")"
  reason="$healthy of $expected members healthy; unhealthy: ${unhealthy:-none reported}"
  finish
fi

# 3. Leader: every member names the same leader, and exactly one member is it.
status="$(etcdctl_local endpoint status --cluster -w fields 2>/dev/null || true)"
status_rows="$(awk -F' : ' '
  function emit() { if (ep != "") print ep "|" id "|" ld; ep = ""; id = ""; ld = "" }
  NF == 0 { emit(); next }
  $1 == "\"Endpoint\"" { ep = $2; gsub(/"/, "", ep) }
  $1 == "\"MemberID\"" { id = $2 }
  $1 == "\"Leader\"" { ld = $2 }
  END { emit() }' <<<"$status")"
statuses="$(awk 'NF > 0' <<<"$status_rows" | wc -l)"
leaders="$(awk -F'|' 'NF > 0 { print $3 }' <<<"$status_rows" | sort -u)"
leader_count="$(awk 'NF > 0' <<<"$leaders" | wc -l)"
if ((statuses != expected)); then
  reason="$statuses of $expected members report their status"
  finish
fi
if ((leader_count != 1)) || [[ "$leaders" == 0 ]]; then
  reason="members disagree on the leader or have none (leaders reported: $(tr '\n' ' ' <<<"$leaders"))"
  finish
fi
leader_id="$leaders"
is_leader="$(awk -F'|' -v l="$leader_id" '($2 "") == (l "")' <<<"$status_rows" | wc -l)"
if ((is_leader != 1)); then
  reason="$is_leader members claim to be the leader $leader_id, expected exactly one"
  finish
fi
leader_endpoint="$(awk -F'|' -v l="$leader_id" '($2 "") == (l "") { print $1 }' <<<"$status_rows")"
leader="$(awk -F', ' -v ep="$leader_endpoint" '$5 == ep { print $3 }' <<<"$list")"
leader="${leader:-$leader_endpoint}"
finish
