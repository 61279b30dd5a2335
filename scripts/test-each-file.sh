#!/usr/bin/env bash
# `npm run test:isolated [-- FILE...]`: runs every test file (or the files named) on its own through
# `npm test -- FILE`, each with an empty tool cache of its own, so no file can lean on what another
# file, or an earlier run, built or left behind. Go's module and build caches are shared (and warm
# after the first file), which keeps a rebuild to seconds without hiding a missing install step:
# tools.sh still has to build every tool into the empty cache. Prints one line per file and a total.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(if (($#)); then printf '%s\n' "$@"; else find tests/unit tests/integration -name '*.test.ts' | sort; fi)
work="$(mktemp -d /tmp/etcd-isolated.XXXXXX)"
trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
failed=()
for file in "${files[@]}"; do
  started="$(date +%s)"
  rm -rf "$work/tools"
  if PULUMI_ETCD_TOOLS_DIR="$work/tools" bash scripts/test.sh "$file" >"$work/out.log" 2>&1; then
    echo "ok     $file ($(($(date +%s) - started)) s): $(grep -E '^tests: ' "$work/out.log" | tail -n 1)"
  else
    echo "FAILED $file ($(($(date +%s) - started)) s): $(grep -E '^tests: ' "$work/out.log" | tail -n 1)"
    tail -n 40 "$work/out.log" | sed 's/^/    /'
    failed+=("$file")
  fi
done
echo "test:isolated: $((${#files[@]} - ${#failed[@]})) of ${#files[@]} files passed on their own"
((${#failed[@]} == 0))
