#!/usr/bin/env bash
# Sandbox stand-in for the aws CLI on the member: answers only what the node scripts ask of it:
# `aws s3 cp` of the node scripts in the backup bucket (below), and
# `aws ssm get-parameter --name NAME --with-decryption --query Parameter.Value --output text`, from
# the plan's SSM Parameter values written under SANDBOX_SSM_DIR. Anything else fails loudly.
set -euo pipefail

# `aws s3 cp [options] s3://bucket/key DEST`: the node scripts stored in the backup bucket, from the
# plan's S3 objects written under SANDBOX_S3_DIR/<bucket>/<key>.
if [[ "${1:-} ${2:-}" == "s3 cp" ]]; then
  shift 2
  args=()
  while (($#)); do
    case "$1" in
      --region) shift 2 ;;
      --*) shift ;;
      *) args+=("$1"); shift ;;
    esac
  done
  source_uri="${args[0]:-}"
  object="${SANDBOX_S3_DIR:?}/${source_uri#s3://}"
  if [[ "$source_uri" != s3://* || "$source_uri" == *..* || ! -f "$object" ]]; then
    echo "fatal error: An error occurred (404) when calling the HeadObject operation: Not Found: $source_uri" >&2
    exit 1
  fi
  cp "$object" "${args[1]:?destination}"
  exit 0
fi
if [[ "${1:-} ${2:-}" != "ssm get-parameter" ]]; then
  echo "aws (sandbox stand-in): only 'ssm get-parameter' and 's3 cp' are available in the sandbox, got: $*" >&2
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
