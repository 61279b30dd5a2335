#!/usr/bin/env bash
# `npm run test:matrix`: the integration tests once per supported etcd line, each against the
# sandbox running that release (ETCD_TEST_VERSION). 3.7 ships no checksum here: the tests give the
# stack a placeholder etcdSha256, which only the sandbox accepts, because it substitutes the download.
# Usage: npm run test:matrix [-- jest args]   (ETCD_MATRIX="3.5.33 3.6.14 3.7.3" to choose)
set -euo pipefail
cd "$(dirname "$0")/.."

read -r -a versions <<<"${ETCD_MATRIX:-3.5.33 3.6.14 3.7.3}"
ETCD_TEST_VERSIONS="${versions[*]}" bash scripts/tools.sh install test

failed=()
for version in "${versions[@]}"; do
  echo "=== etcd ${version}" >&2
  if ! ETCD_TEST_VERSION="$version" ETCD_TEST_VERSIONS="$version" npx jest --selectProjects integration --runInBand "$@"; then
    failed+=("$version")
  fi
done
if ((${#failed[@]} > 0)); then
  echo "test:matrix: failed for etcd ${failed[*]}" >&2
  exit 1
fi
echo "test:matrix: passed for etcd ${versions[*]}" >&2
