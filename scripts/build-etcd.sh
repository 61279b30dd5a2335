#!/usr/bin/env bash
# Builds etcd, etcdctl and etcdutl of one release from the Go module proxy into a cache
# outside the repository, so tests and the sandbox run the exact etcd line a stack asks for.
# Usage: scripts/build-etcd.sh 3.6.16   -> prints the directory holding the three binaries.
set -euo pipefail

version="${1:?usage: build-etcd.sh <etcd version, e.g. 3.6.16>}"
version="${version#v}"
cache_root="${ETCD_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-etcd-cluster/etcd}"
out_dir="$cache_root/$version"

if [[ -x "$out_dir/etcd" && -x "$out_dir/etcdctl" && -x "$out_dir/etcdutl" ]]; then
  echo "$out_dir"
  exit 0
fi

command -v go >/dev/null || { echo "build-etcd: Go toolchain not found; install Go >= 1.22" >&2; exit 1; }

work_dir="$(mktemp -d)"
trap 'rm -rf "$work_dir"' EXIT
cd "$work_dir"
export GOFLAGS="-mod=mod -buildvcs=false"
export CGO_ENABLED=0
go mod init etcd-build >/dev/null 2>&1
cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "go.etcd.io/etcd/etcdctl/v3"
	_ "go.etcd.io/etcd/etcdutl/v3"
	_ "go.etcd.io/etcd/server/v3"
)
GO
go get "go.etcd.io/etcd/server/v3@v$version" "go.etcd.io/etcd/etcdctl/v3@v$version" \
  "go.etcd.io/etcd/etcdutl/v3@v$version" >&2
mkdir -p "$out_dir.tmp"
go build -trimpath -o "$out_dir.tmp/etcd" go.etcd.io/etcd/server/v3 >&2
go build -trimpath -o "$out_dir.tmp/etcdctl" go.etcd.io/etcd/etcdctl/v3 >&2
go build -trimpath -o "$out_dir.tmp/etcdutl" go.etcd.io/etcd/etcdutl/v3 >&2
rm -rf "$out_dir"
mv "$out_dir.tmp" "$out_dir"
echo "$out_dir"
