#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: shellcheck (every script),
# cloud-init (its schema check of the rendered user data), openssl, curl, awscli (backup tests
# against a loopback S3 server) and iproute2 (network
# namespaces), and builds the etcd release under test from the Go module proxy (cached).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v cloud-init >/dev/null || need+=(cloud-init)
command -v openssl >/dev/null || need+=(openssl)
command -v ip >/dev/null || need+=(iproute2)
command -v curl >/dev/null || need+=(curl)
command -v aws >/dev/null || need+=(awscli)
if ((${#need[@]} > 0)); then
    sudo=()
    if [[ "$(id -u)" != "0" ]]; then sudo=(sudo); fi
    echo "installing Debian packages: ${need[*]}" >&2
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi

export PATH="$PATH:/usr/local/go/bin"
for version in ${ETCD_TEST_VERSIONS:-${ETCD_TEST_VERSION:-3.6.14}}; do
    echo "etcd ${version}: $(scripts/build-etcd.sh "$version")" >&2
done
