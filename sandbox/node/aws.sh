#!/usr/bin/env bash
# Sandbox stand-in for the aws CLI on the member: answers only what the node scripts ask of it,
# `aws ssm get-parameter --name NAME --with-decryption --query Parameter.Value --output text`, from
# the plan's SSM Parameter values written under SANDBOX_SSM_DIR. Anything else fails loudly.
set -euo pipefail

if [[ "${1:-} ${2:-}" != "ssm get-parameter" ]]; then
  echo "aws (sandbox stand-in): only 'ssm get-parameter' is available in the sandbox, got: $*" >&2
  exit 2
fi
name=""
while (($#)); do
  if [[ "$1" == --name ]]; then name="${2:-}"; shift; fi
  shift
done
file="${SANDBOX_SSM_DIR:?}$name"
if [[ -z "$name" || "$name" == *..* || ! -f "$file" ]]; then
  echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: $name" >&2
  exit 254
fi
cat "$file"
