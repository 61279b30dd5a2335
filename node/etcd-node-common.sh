# shellcheck shell=bash
# etcd-node-common: what every node script shares, so that none retypes it: loading member.env, the
# log line, etcdctl with this member's node client certificate, an SSM parameter read, and JSON read
# with jq. Sourced by
# the scripts from their own directory, never run: on a member it is
# /usr/local/sbin/etcd-node-common.sh (user data), in the package node/etcd-node-common.sh.

# node_init PROG: names the log lines and loads member.env ($ETCD_MEMBER_ENV, default
# /etc/etcd/member.env). With NODE_ENV_OPTIONAL=1 a missing member.env is no error: a script run
# outside a member (an operator's shell, a test) with its settings in the environment.
# shellcheck disable=SC2034 # PROG is read by log, in the scripts that source this file
node_init() {
  PROG="$1"
  ETCD_MEMBER_ENV="${ETCD_MEMBER_ENV:-/etc/etcd/member.env}"
  if [[ -f "$ETCD_MEMBER_ENV" ]]; then
    # shellcheck source=/dev/null
    source "$ETCD_MEMBER_ENV"
  elif [[ "${NODE_ENV_OPTIONAL:-}" != 1 ]]; then
    echo "$PROG: $ETCD_MEMBER_ENV not found (set ETCD_MEMBER_ENV)" >&2
    exit 1
  fi
  export ETCD_MEMBER_ENV
}

# The roster (etcd-fetch-roster writes it at every boot): the other members and the initial cluster.
node_load_roster() {
  [[ -f "${ROSTER_FILE:-}" ]] || fail "the roster ${ROSTER_FILE:-(ROSTER_FILE unset)} is missing: etcd-fetch-roster runs before this"
  # shellcheck source=/dev/null
  source "$ROSTER_FILE"
}

# One line on stderr, which systemd's journal keeps: "<script>: <member>: <message>".
log() { echo "$PROG: ${MEMBER_NAME:+$MEMBER_NAME: }$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

# ssm_get NAME [GET-PARAMETER OPTION...]: prints the SSM parameter's value (options such as
# --with-decryption go to get-parameter). Prints nothing when the parameter does not exist, and fails,
# logging what SSM said, when it cannot be read (SSM unreachable, no permission): a caller tells
# "not there" from "cannot tell". SSM stores no empty values, so empty output means "not there".
ssm_get() {
  local name="$1" err out
  shift
  err="$(mktemp)"
  if out="$(aws ssm get-parameter --region "$AWS_REGION" --name "$name" "$@" --query Parameter.Value --output text 2>"$err")"; then
    rm -f "$err"
    printf '%s\n' "$out"
    return 0
  fi
  if grep -q ParameterNotFound "$err"; then
    rm -f "$err"
    return 0
  fi
  log "reading $name failed: $(tr '\n' ' ' <"$err" | head -c 500)"
  rm -f "$err"
  return 1
}

# ssm_names_under PATH: the last name part of every SSM parameter directly under PATH, one a line
# (the CLI pages through them all). Fails, logging what SSM said, when they cannot be listed.
ssm_names_under() {
  local out
  if ! out="$(aws ssm get-parameters-by-path --region "$AWS_REGION" --path "$1" --query 'Parameters[].Name' --output text 2>&1)"; then
    log "listing $1 failed: $(tr '\n' ' ' <<<"$out" | head -c 500)"
    return 1
  fi
  tr '\t' '\n' <<<"$out" | awk 'NF && $0 != "None" { n = split($0, p, "/"); print p[n] }'
}

# ssm_create NAME VALUE: writes a String parameter that is not there yet, and never replaces one
# (the member's role may not overwrite it: ssm:Overwrite). Returns 0 when it is there already too.
ssm_create() {
  local out
  if out="$(aws ssm put-parameter --region "$AWS_REGION" --name "$1" --type String --value "$2" 2>&1 >/dev/null)"; then
    return 0
  fi
  grep -q ParameterAlreadyExists <<<"$out" && return 0
  log "writing $1 failed: $(tr '\n' ' ' <<<"$out" | head -c 500)"
  return 1
}

# Path of a sibling node script: installed without `.sh` on a member, with it in the package.
sibling() {
  local dir
  dir="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
  if [[ -x "$dir/$1" ]]; then echo "$dir/$1"; elif [[ -f "$dir/$1.sh" ]]; then echo "$dir/$1.sh"; else return 1; fi
}

# ---- etcdctl -----------------------------------------------------------------------------------------

# etcdctl as this member's tools run it: its node client certificate, unless ETCDCTL_CACERT,
# ETCDCTL_CERT and ETCDCTL_KEY say otherwise (an operator, a test). Passed as flags: etcdctl refuses a
# flag whose ETCDCTL_* variable is also set. The timeouts are ETCDCTL_DIAL_TIMEOUT_S (3s) and
# ETCDCTL_COMMAND_TIMEOUT_S (5s); a script that waits longer sets its own before calling.
# etcdctl_cmd ENDPOINTS sets the array ETCDCTL_CMD (for `timeout`); etcdctl_at ENDPOINTS ARGS... runs it.
etcdctl_cmd() {
  ETCDCTL_CMD=(env -u ETCDCTL_ENDPOINTS -u ETCDCTL_CACERT -u ETCDCTL_CERT -u ETCDCTL_KEY -u ETCDCTL_DIAL_TIMEOUT
    -u ETCDCTL_COMMAND_TIMEOUT ETCDCTL_API=3 "$BIN_DIR/etcdctl" --endpoints "$1"
    --cacert "${ETCDCTL_CACERT:-$CA_FILE}" --cert "${ETCDCTL_CERT:-$NODE_CERT_FILE}" --key "${ETCDCTL_KEY:-$NODE_KEY_FILE}"
    --dial-timeout "${ETCDCTL_DIAL_TIMEOUT_S:-3s}" --command-timeout "${ETCDCTL_COMMAND_TIMEOUT_S:-5s}")
}
etcdctl_at() {
  etcdctl_cmd "$1"
  shift
  "${ETCDCTL_CMD[@]}" "$@"
}
# This member's own etcd (ETCDCTL_ENDPOINTS overrides it).
etcdctl_local() { etcdctl_at "${ETCDCTL_ENDPOINTS:-$LOCAL_CLIENT_URL}" "$@"; }

# One field of `endpoint status -w fields`, e.g. MemberID, Leader, Version: etcd's 64-bit ids stay
# exact as text there, where a JSON parser that reads numbers as doubles (jq before 1.7) rounds them.
status_field() { # status-text field
  awk -F' : ' -v key="\"$2\"" '$1 == key { gsub(/"/, "", $2); print $2; exit }' <<<"$1"
}

# ---- JSON --------------------------------------------------------------------------------------------

# json_get FILTER: a value from the JSON on stdin, by a jq filter, as raw text (numbers below 2^53,
# strings, true/false); nothing when it is absent (null). Fails when stdin is not JSON.
json_get() {
  jq -r "($1) | if . == null then empty else tostring end"
}

# The JSON string literal of $1, for the one-line JSON reports the scripts print (our own messages,
# keys and etcdctl's errors: \ and " escaped, control characters as spaces). Written in bash, not
# jq: etcd-health runs on an operator's machine too (the direct health gate), which has no jq.
json_string() {
  local s="${1//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/ }"
  s="${s//$'\t'/ }"
  s="${s//$'\r'/ }"
  printf '"%s"' "$s"
}
