#!/usr/bin/env bash
# The health gate `pulumi up` runs after each member change (an @pulumi/command local Command).
# It passes only when every member is healthy and the cluster has exactly one leader, retrying
# until GATE_TIMEOUT_SECONDS; otherwise it fails the update with the last reason.
#
# Called as: health-gate.sh <create|update>. The same script runs a member's leaving, as
# health-gate.sh <joined|leave> (components/healthGate.ts memberLeave): "joined" does nothing (the
# resource exists for its delete), "leave" runs the node's `etcd-handover --leave` once, through
# SSM or here.
# Settings come from the environment:
#   GATE_MODE            ssm: run the node's own health check through SSM Run Command (needs only
#                        AWS credentials); direct: run the same check here with etcdctl (needs a
#                        network path to the members)
#   GATE_MEMBER          member name, for messages
#   GATE_ON_CREATE       wait | skip. While a new cluster forms, a member cannot be healthy before
#                        its peers exist, so only the last member's gate waits on creation.
#   GATE_TIMEOUT_SECONDS, GATE_POLL_SECONDS (between checks), GATE_SSM_POLL_SECONDS (within one)
#   GATE_REQUIRED_MEMBERS the members that must be started voters (this one and those before it)
#   ssm mode:    GATE_REGION, GATE_INSTANCE_ID, GATE_NODE_HEALTH_COMMAND (or GATE_NODE_LEAVE_COMMAND)
#   direct mode: GATE_HEALTH_SCRIPT (the node's health script text, or GATE_LEAVE_SCRIPT),
#                GATE_NODE_LIBRARY (the library it sources), ETCDCTL_ENDPOINTS, GATE_CA_PEM,
#                GATE_CERT_PEM, GATE_KEY_PEM
set -euo pipefail

phase="${1:-update}"
: "${GATE_MODE:?GATE_MODE must be ssm or direct}"
: "${GATE_MEMBER:?GATE_MEMBER is required}"
timeout_seconds="${GATE_TIMEOUT_SECONDS:-900}"
poll_seconds="${GATE_POLL_SECONDS:-10}"

if [[ "$phase" == joined ]]; then
    echo "${GATE_MEMBER} joined; etcd-handover --leave runs when it leaves the program"
    exit 0
fi
# `ETCD_SKIP_LEAVE=1 pulumi destroy`: the whole cluster goes, broken or not, so nobody needs to leave
# it first (a leave waits for the other members to be healthy).
if [[ "$phase" == leave && "${ETCD_SKIP_LEAVE:-}" == 1 ]]; then
    echo "${GATE_MEMBER}: ETCD_SKIP_LEAVE=1, so it is deleted without leaving the cluster"
    exit 0
fi
if [[ "$phase" == leave ]]; then
    GATE_NODE_HEALTH_COMMAND="${GATE_NODE_LEAVE_COMMAND:-}"
    GATE_HEALTH_SCRIPT="${GATE_LEAVE_SCRIPT:-}"
fi
if [[ "$phase" == "create" && "${GATE_ON_CREATE:-wait}" == "skip" ]]; then
    echo "health gate for ${GATE_MEMBER}: new cluster still forming; the last member's gate checks it"
    exit 0
fi

check_via_ssm() {
    local command_id status
    command_id="$(aws ssm send-command --region "$GATE_REGION" --instance-ids "$GATE_INSTANCE_ID" \
        --document-name AWS-RunShellScript --comment "etcd health gate for ${GATE_MEMBER}" \
        --parameters "commands=${GATE_NODE_HEALTH_COMMAND}" \
        --query Command.CommandId --output text 2>&1)" || { echo "SSM send-command failed: ${command_id}"; return 1; }
    for _ in $(seq 1 60); do
        sleep "${GATE_SSM_POLL_SECONDS:-2}"
        status="$(aws ssm get-command-invocation --region "$GATE_REGION" --command-id "$command_id" \
            --instance-id "$GATE_INSTANCE_ID" --query Status --output text 2>/dev/null || echo Pending)"
        case "$status" in
            Success)
                aws ssm get-command-invocation --region "$GATE_REGION" --command-id "$command_id" \
                    --instance-id "$GATE_INSTANCE_ID" --query StandardOutputContent --output text
                return 0 ;;
            Failed | Cancelled | TimedOut | Undeliverable | Terminated)
                aws ssm get-command-invocation --region "$GATE_REGION" --command-id "$command_id" \
                    --instance-id "$GATE_INSTANCE_ID" --query '[StandardOutputContent,StandardErrorContent]' --output text
                return 1 ;;
        esac
    done
    echo "SSM command ${command_id} did not finish in 120s"
    return 1
}

check_direct() {
    local dir etcdctl_path rc=0
    etcdctl_path="$(command -v etcdctl)" || { echo "the direct health gate needs etcdctl on PATH"; return 1; }
    dir="$(mktemp -d)"
    # The admin key lives only in this private temp dir for the length of one check.
    chmod 700 "$dir"
    printf '%s\n' "$GATE_CA_PEM" >"$dir/ca.pem"
    printf '%s\n' "$GATE_CERT_PEM" >"$dir/cert.pem"
    (umask 077 && printf '%s\n' "$GATE_KEY_PEM" >"$dir/key.pem")
    printf '%s\n' "$GATE_HEALTH_SCRIPT" >"$dir/etcd-health"
    printf '%s\n' "${GATE_NODE_LIBRARY:?GATE_NODE_LIBRARY must hold node/etcd-node-common.sh}" >"$dir/etcd-node-common.sh"
    # The node's health check reads a member.env; give it one describing this operator's view.
    {
        if [[ "$phase" == leave ]]; then echo "MEMBER_NAME=${GATE_MEMBER}"; else echo "MEMBER_NAME=operator-gate-${GATE_MEMBER}"; fi
        echo "REQUIRED_MEMBERS=${GATE_REQUIRED_MEMBERS:-}"
        echo "BIN_DIR=${etcdctl_path%/*}"
        echo "LOCAL_CLIENT_URL=${ETCDCTL_ENDPOINTS%%,*}"
        echo "CA_FILE=$dir/ca.pem"
        echo "NODE_CERT_FILE=$dir/cert.pem"
        echo "NODE_KEY_FILE=$dir/key.pem"
    } >"$dir/member.env"
    local args=()
    [[ "$phase" == leave ]] && args=(--leave)
    ETCD_MEMBER_ENV="$dir/member.env" bash "$dir/etcd-health" "${args[@]}" || rc=$?
    rm -rf "$dir"
    return "$rc"
}

case "$GATE_MODE" in
    ssm) check=check_via_ssm ;;
    direct) check=check_direct ;;
    *) echo "GATE_MODE must be ssm or direct, got ${GATE_MODE}" >&2; exit 2 ;;
esac

# Leaving runs once: etcd-handover --leave waits for the others itself, and a failure stops the update before
# the member's instance is deleted.
if [[ "$phase" == leave ]]; then
    if result="$($check 2>&1)"; then
        echo "${GATE_MEMBER} left the cluster: ${result}"
        exit 0
    fi
    echo "${GATE_MEMBER} could not leave the cluster, so its instance was not deleted: ${result}. Re-run pulumi up once the other members are healthy." >&2
    exit 1
fi

deadline=$(($(date +%s) + timeout_seconds))
attempt=0
while true; do
    attempt=$((attempt + 1))
    if result="$($check 2>&1)"; then
        echo "health gate for ${GATE_MEMBER} passed (attempt ${attempt}): ${result}"
        exit 0
    fi
    if (($(date +%s) + poll_seconds > deadline)); then
        echo "etcd health gate for ${GATE_MEMBER} failed: the cluster was not healthy with one leader within ${timeout_seconds}s. Last check: ${result}. The update stopped here so no further member is touched; inspect the member with the sshCommand output and re-run pulumi up, or set healthGate: off to skip the gate." >&2
        exit 1
    fi
    sleep "$poll_seconds"
done
