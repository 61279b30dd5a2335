#!/usr/bin/env bash
# `npm test`: installs what the tests need, then runs the unit tests (seconds, no processes) and
# the integration tests (real etcd binaries on loopback addresses), and prints one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-tools.sh
export PATH="$PATH:/usr/local/go/bin"

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
npx jest --selectProjects unit --json --outputFile="$results/unit.json" "$@" || status=$?
npx jest --selectProjects integration --runInBand --json --outputFile="$results/integration.json" "$@" || status=$?

node scripts/test-summary.js "$results/unit.json" "$results/integration.json"
exit "$status"
