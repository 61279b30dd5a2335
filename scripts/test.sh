#!/usr/bin/env bash
# `npm test [-- jest args]`: installs and builds what the tests need (scripts/tools.sh, cached after
# the first run), then runs the unit tests (seconds, no processes) and the integration tests (real
# etcd binaries, the sandbox's machines), and prints one summary line. `npm test -- FILE` runs one
# file: the project it does not belong to finds nothing and passes; a run with no test at all fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/tools.sh install test

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
# Unit tests are CPU-bound (Pulumi mock registrations): both cores. Integration tests share ports and namespaces: in band.
npx jest --selectProjects unit --maxWorkers=2 --passWithNoTests --json --outputFile="$results/unit.json" "$@" || status=$?
npx jest --selectProjects integration --runInBand --passWithNoTests --json --outputFile="$results/integration.json" "$@" || status=$?

node scripts/test-summary.js "$results/unit.json" "$results/integration.json" || status=1
exit "$status"
