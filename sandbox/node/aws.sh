#!/usr/bin/env bash
# Sandbox stand-in for the aws CLI on a member. It answers what the node scripts ask of AWS:
#   s3 / s3api             the real AWS CLI (SANDBOX_AWS_CLI) against the sandbox's S3 server
#                          (SANDBOX_S3_ENDPOINT, a real S3 API in the sandbox's own network), with
#                          throwaway credentials; every argument is passed on unchanged;
#   ssm get-parameter      the plan's SSM Parameter values, written under SANDBOX_SSM_DIR, and the
#                          records members wrote, under SANDBOX_SSM_RECORDS_DIR;
#   ssm put-parameter      only the names in SANDBOX_SSM_WRITABLE (as the instance role allows),
#                          into SANDBOX_SSM_RECORDS_DIR, shared by every member; an entry that
#                          ends in / allows new parameters under it, never an overwrite (as the
#                          role's ssm:Overwrite deny); an existing one without --overwrite fails
#                          with SSM's ParameterAlreadyExists;
#   ssm get-parameters-by-path
#                          the names directly under --path, as `--query 'Parameters[].Name'
#                          --output text` prints them;
#   cloudwatch put-metric-data
#                          appended as one JSON line to SANDBOX_METRICS_FILE (the sandbox's
#                          CloudWatch), so `sandbox backup` can show what a member published.
# Anything else fails loudly.
set -euo pipefail

# The settings come with the machine (sandbox/machines.ts seeds them), as AWS's come with the
# instance: nothing the caller's environment says can point it elsewhere.
[[ -f /etc/sandbox/aws.env ]] || { echo "aws (sandbox stand-in): /etc/sandbox/aws.env is missing: this is not a sandbox machine" >&2; exit 255; }
# shellcheck source=/dev/null
source /etc/sandbox/aws.env

# Global options may come before the service (`aws --region R s3 cp ...`).
argv=("$@")
i=0
while ((i < ${#argv[@]})) && [[ "${argv[i]}" == --* ]]; do
  case "${argv[i]}" in
    --region | --endpoint-url | --output | --query | --profile) i=$((i + 2)) ;;
    *) i=$((i + 1)) ;;
  esac
done
service="${argv[i]:-}"
operation="${argv[i + 1]:-}"

case "$service" in
  s3 | s3api)
    if [[ -z "${SANDBOX_S3_ENDPOINT:-}" ]]; then
      echo "aws (sandbox stand-in): this sandbox has no S3 server (backups are off in the stack)" >&2
      exit 255
    fi
    export AWS_ACCESS_KEY_ID=sandbox AWS_SECRET_ACCESS_KEY=sandbox-secret AWS_CONFIG_FILE=/dev/null \
      AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_MAX_ATTEMPTS=2 AWS_PAGER=""
    export AWS_REGION="${AWS_REGION:-eu-west-1}"
    exec "${SANDBOX_AWS_CLI:?}" --endpoint-url "$SANDBOX_S3_ENDPOINT" "$@"
    ;;
  cloudwatch)
    [[ "$operation" == put-metric-data ]] || { echo "aws (sandbox stand-in): only cloudwatch put-metric-data, got: $*" >&2; exit 2; }
    namespace="" metric="" dimensions="" value="" unit=""
    set -- "${argv[@]:i+2}"
    while (($#)); do
      case "$1" in
        --namespace) namespace="${2:-}"; shift ;;
        --metric-name) metric="${2:-}"; shift ;;
        --dimensions) dimensions="${2:-}"; shift ;;
        --value) value="${2:-}"; shift ;;
        --unit) unit="${2:-}"; shift ;;
      esac
      shift
    done
    [[ -n "$metric" && "$value" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || { echo "aws (sandbox stand-in): put-metric-data needs --metric-name and a numeric --value" >&2; exit 255; }
    printf '{"time":"%s","namespace":"%s","metric":"%s","dimensions":"%s","value":%s,"unit":"%s"}\n' \
      "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$namespace" "$metric" "$dimensions" "$value" "$unit" >>"${SANDBOX_METRICS_FILE:?}"
    ;;
  ssm)
    name="" value="" overwrite=no
    set -- "${argv[@]:i+2}"
    while (($#)); do
      case "$1" in
        --name | --path) name="${2:-}"; shift ;;
        --value) value="${2:-}"; shift ;;
        --overwrite) overwrite=yes ;;
      esac
      shift
    done
    [[ -n "$name" && "$name" != *..* ]] || { echo "aws (sandbox stand-in): ssm $operation needs a --name (or --path) without '..'" >&2; exit 255; }
    case "$operation" in
      get-parameters-by-path)
        names=()
        for dir in "${SANDBOX_SSM_DIR:?}${name%/}" "${SANDBOX_SSM_RECORDS_DIR:?}${name%/}"; do
          [[ -d "$dir" ]] || continue
          for file in "$dir"/*; do
            [[ -f "$file" && "$file" != *.tmp.* ]] && names+=("${name%/}/${file##*/}")
          done
        done
        ((${#names[@]} == 0)) || (IFS=$'\t'; echo "${names[*]}")
        ;;
      get-parameter)
        for file in "${SANDBOX_SSM_DIR:?}$name" "${SANDBOX_SSM_RECORDS_DIR:?}$name"; do
          if [[ -f "$file" ]]; then
            cat "$file"
            exit 0
          fi
        done
        echo "An error occurred (ParameterNotFound) when calling the GetParameter operation: $name" >&2
        exit 254
        ;;
      put-parameter)
        denied() {
          echo "An error occurred (AccessDeniedException) when calling the PutParameter operation: not authorized to $1 $name" >&2
          exit 254
        }
        file="${SANDBOX_SSM_RECORDS_DIR:?}$name"
        if [[ " ${SANDBOX_SSM_WRITABLE:-} " != *" $name "* ]]; then
          [[ " ${SANDBOX_SSM_WRITABLE:-} " == *" ${name%/*}/ "* ]] || denied put
          [[ "$overwrite" == no ]] || denied overwrite
        fi
        if [[ -f "$file" && "$overwrite" == no ]]; then
          echo "An error occurred (ParameterAlreadyExists) when calling the PutParameter operation: The parameter already exists. To overwrite this value, set the overwrite option in the request to true." >&2
          exit 254
        fi
        mkdir -p "$(dirname "$file")"
        printf '%s\n' "$value" >"$file.tmp.$$"
        mv -f "$file.tmp.$$" "$file"
        ;;
      *)
        echo "aws (sandbox stand-in): only ssm get-parameter, get-parameters-by-path and put-parameter, got: $*" >&2
        exit 2
        ;;
    esac
    ;;
  *)
    echo "aws (sandbox stand-in): only s3, s3api, ssm get-parameter/get-parameters-by-path/put-parameter and cloudwatch put-metric-data are available in the sandbox, got: $*" >&2
    exit 2
    ;;
esac
