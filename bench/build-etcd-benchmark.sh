#!/usr/bin/env bash
# Builds etcd's own load generator (tools/benchmark of the etcd repository, module go.etcd.io/etcd/v3)
# from the Go module proxy into a cache outside the repository, like scripts/build-etcd.sh.
# Usage: bench/build-etcd-benchmark.sh [3.6.14]   -> prints the path of the `benchmark` binary.
set -euo pipefail

version="${1:-3.6.14}"
version="${version#v}"
cache_root="${ETCD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-etcd-cluster}/etcd-benchmark"
out_dir="$cache_root/$version"
if [[ -x "$out_dir/benchmark" ]]; then
  echo "$out_dir/benchmark"
  exit 0
fi
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "build-etcd-benchmark: Go toolchain not found; install Go >= 1.22" >&2; exit 1; }
work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
cd "$work_dir"
export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
go mod init etcd-benchmark-build >/dev/null 2>&1
go get "go.etcd.io/etcd/v3@v$version" >&2
mkdir -p "$out_dir.tmp"
go build -trimpath -o "$out_dir.tmp/benchmark" go.etcd.io/etcd/v3/tools/benchmark >&2
rm -rf "$out_dir"
mv "$out_dir.tmp" "$out_dir"
echo "$out_dir/benchmark"
