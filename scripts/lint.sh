#!/usr/bin/env bash
# `npm run lint`: eslint (with Pulumi's Output-in-template rule), no import cycles anywhere (madge),
# checks every shell script with shellcheck, and every workflow with actionlint (which also checks each `run:`).
# The linters come from scripts/tools.sh like every other tool.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/tools.sh packages lint
actionlint="$(bash scripts/tools.sh path actionlint)"

echo "lint: eslint" >&2
npx eslint .
echo "lint: import cycles" >&2
npx madge --circular --no-spinner --extensions ts --ts-config tsconfig.json index.ts lib.ts components config tools sandbox tests bench provider/index.ts provider/completeSchema.ts
echo "lint: shellcheck" >&2
mapfile -t scripts < <(find . -name '*.sh' -not -path './node_modules/*' -not -path './.sandbox/*' -not -path './dist/*' | sort)
scripts+=(.ci/run)
shellcheck --shell=bash --severity=style "${scripts[@]}"
echo "lint: actionlint" >&2
"$actionlint" -no-color .github/workflows/*.yml
echo "lint: ${#scripts[@]} shell scripts, $(find .github/workflows -name '*.yml' | wc -l) workflows, no import cycles" >&2
