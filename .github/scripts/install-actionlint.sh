#!/usr/bin/env bash
# Installs actionlint (the GitHub Actions workflow linter, which also runs shellcheck on every `run:`
# script) from the Go module proxy into a cache outside the repository, and prints its path.
# Usage: .github/scripts/install-actionlint.sh  -> e.g. ~/.cache/pulumi-etcd-cluster/bin/actionlint
# Then: "$(.github/scripts/install-actionlint.sh)" checks every file under .github/workflows.
set -euo pipefail

version="${ACTIONLINT_VERSION:-1.7.12}"
version="${version#v}"
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-etcd-cluster/bin"
binary="$bin_dir/actionlint-$version"

if [[ -x "$binary" ]]; then
  echo "$binary"
  exit 0
fi

export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "install-actionlint: Go toolchain not found; install Go >= 1.24" >&2; exit 1; }

mkdir -p "$bin_dir"
work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
GOBIN="$work_dir" GOFLAGS="-buildvcs=false" CGO_ENABLED=0 \
  go install "github.com/rhysd/actionlint/cmd/actionlint@v$version" >&2
mv "$work_dir/actionlint" "$binary"
echo "$binary"
