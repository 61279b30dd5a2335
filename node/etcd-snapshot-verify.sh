#!/usr/bin/env bash
# etcd-snapshot-verify: checks a snapshot file before anyone relies on it.
#
#   etcd-snapshot-verify FILE [--manifest FILE.json] [--sha256 HEX] [--size BYTES] [--copied-db-file]
#
#   1. size and sha256 of the whole file match the manifest (or --sha256/--size), when given;
#   2. the integrity hash `etcdctl snapshot save` appends (sha256 of everything before its last 32
#      bytes) matches. A file without it (its size a whole number of pages) is a db file copied from a
#      data dir: accepted only with --copied-db-file. Any other size is a truncated file;
#   3. etcd itself can read it: `etcdutl snapshot status` (`etcdctl snapshot status` on 3.4), which
#      also gives the revision and key count.
# Prints one JSON line on success; exits 1 with the reason otherwise. Reads only FILE.
set -euo pipefail

# shellcheck source=/dev/null
source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/etcd-node-common.sh"
# shellcheck source=/dev/null
source "$(sibling etcd-backup-common)"
NODE_ENV_OPTIONAL=1 backup_init etcd-snapshot-verify

usage() { echo "usage: etcd-snapshot-verify FILE [--manifest FILE.json] [--sha256 HEX] [--size BYTES] [--copied-db-file]" >&2; exit 2; }

file="" manifest="" want_sha="" want_size="" copied=false
while (($#)); do
  case "$1" in
    --manifest) manifest="${2:?}"; shift ;;
    --sha256) want_sha="${2:?}"; shift ;;
    --size) want_size="${2:?}"; shift ;;
    --copied-db-file) copied=true ;;
    -h | --help) usage ;;
    -*) echo "etcd-snapshot-verify: unknown option $1" >&2; usage ;;
    *) [[ -z "$file" ]] || usage; file="$1" ;;
  esac
  shift
done
[[ -n "$file" ]] || usage
[[ -f "$file" && -r "$file" ]] || fail "$file is not a readable file"

if [[ -n "$manifest" ]]; then
  [[ -f "$manifest" ]] || fail "manifest $manifest not found"
  m_sha="$(json_get .sha256 <"$manifest" 2>/dev/null)" || fail "manifest $manifest is not JSON"
  m_size="$(json_get .size <"$manifest")"
  [[ "$m_sha" =~ ^[0-9a-f]{64}$ && -n "$m_size" ]] || fail "manifest $manifest has no sha256 and size"
  want_sha="${want_sha:-$m_sha}"
  want_size="${want_size:-$m_size}"
fi

size="$(stat -c %s "$file")"
((size > 0)) || fail "$file is empty"
if [[ -n "$want_size" && "$size" != "$want_size" ]]; then
  fail "$file has $size bytes, the manifest says $want_size: truncated or not the same snapshot"
fi

sha="$(sha256sum "$file" | cut -c1-64)"
if [[ -n "$want_sha" && "$sha" != "${want_sha,,}" ]]; then
  fail "sha256 of $file is $sha, expected $want_sha: the file is corrupted or not the snapshot named"
fi

# bbolt files are whole pages (multiples of 4096 bytes); `snapshot save` adds a 32-byte sha256.
trailer=false
if ((size % 512 == 32)); then
  body="$(head -c $((size - 32)) "$file" | sha256sum | cut -c1-64)"
  stored="$(tail -c 32 "$file" | od -An -tx1 -v | tr -d ' \n')"
  if [[ "$body" != "$stored" ]]; then
    fail "$file fails its integrity hash (content sha256 $body, stored $stored): the snapshot is corrupted"
  fi
  trailer=true
  if [[ "$copied" == true ]]; then
    fail "$file carries the integrity hash of \`snapshot save\`: it is a snapshot, not a db file copied from a data dir; restore it with its hash check"
  fi
elif ((size % 512 == 0)); then
  if [[ "$copied" != true ]]; then
    fail "$file has no integrity hash: it is not a \`snapshot save\` product (a db file copied from a data dir needs --skip-hash-check, and is refused for anything else)"
  fi
else
  fail "$file has $size bytes, which is neither whole database pages nor pages plus the 32-byte hash: it is truncated"
fi

# etcd's own reading of the file. A damaged file can crash the tool: keep its output out of the log.
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
if uses_etcdutl; then
  tool=("$BIN_DIR/etcdutl" snapshot status "$file" -w json)
else
  tool=(env ETCDCTL_API=3 "$BIN_DIR/etcdctl" snapshot status "$file" -w json)
fi
if ! timeout "${VERIFY_TIMEOUT_SECONDS:-600}" "${tool[@]}" >"$out" 2>&1; then
  fail "etcd cannot read $file ($(grep -m 1 -E '^(Error|panic|fatal error)' "$out" || head -n 1 "$out")): the snapshot is damaged"
fi
status="$(grep -m 1 '^{' "$out" || true)"
revision="$(json_get .revision <<<"$status" 2>/dev/null || true)"
[[ -n "$revision" ]] || fail "etcd's snapshot status of $file has no revision: $(head -n 1 "$out")"
total_keys="$(json_get .totalKey <<<"$status")"
total_size="$(json_get .totalSize <<<"$status")"
hash="$(json_get .hash <<<"$status")"
storage_version="$(json_get .version <<<"$status")"

printf '{"file":%s,"size":%s,"sha256":"%s","hashTrailer":%s,"revision":%s,"totalKeys":%s,"totalSize":%s,"hash":%s,"storageVersion":%s}\n' \
  "$(json_string "$file")" "$size" "$sha" "$trailer" "$revision" "${total_keys:-0}" "${total_size:-0}" "${hash:-0}" "$(json_string "$storage_version")"
