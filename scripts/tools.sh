#!/usr/bin/env bash
# The one place that installs and builds every tool the sandbox, the tests, the benchmarks and the
# linters use: Debian packages through apt, and Go programs built from the Go module proxy into a
# cache outside the repository. Idempotent: what is there already is only printed.
#
#   tools.sh install PROFILE...       everything a profile needs: sandbox | test | bench | lint | all
#                                     (etcd versions: ETCD_TEST_VERSIONS, else the package's default)
#   tools.sh packages PROFILE...      only the profile's Debian packages
#   tools.sh path TOOL [VERSION]      the tool's path, built first if it is missing; TOOL is one of
#                                     etcd (a directory with etcd, etcdctl, etcdutl), s3, actionlint,
#                                     benchmark (etcd's load generator), sdkgen (Pulumi's own SDK
#                                     generators for Go and Python, provider/sdkgen)
#   tools.sh path --no-build TOOL [VERSION]   the same, but refuses instead of building
#
# Every build happens here, on the host's own network: a build inside one of the sandbox's network
# namespaces is refused (the Go module proxy cannot be reached there). The cache root is
# PULUMI_ETCD_TOOLS_DIR (default ~/.cache/pulumi-etcd-cluster); Go's own caches are GOMODCACHE and
# GOCACHE. .ci/run points all three at empty directories, so CI proves that a fresh machine works.
set -euo pipefail
# A failure inside $(...) stops the script too, not just the substitution.
shopt -s inherit_errexit

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_root="${PULUMI_ETCD_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-etcd-cluster}"
# Absolute: builds run in a temporary directory.
cache_root="$(realpath -m -s -- "$cache_root")"
export PATH="$PATH:/usr/local/go/bin"

# Pinned versions of the built tools (etcd's come from the stack or ETCD_TEST_VERSIONS).
gofakes3_version="${GOFAKES3_VERSION:-1.2.0}"
actionlint_version="${ACTIONLINT_VERSION:-1.7.12}"
# Oldest Go that builds all of them (etcd 3.6 and actionlint 1.7 declare go 1.24 in go.mod; Pulumi's
# pkg/v3 3.248.0, which provider/sdkgen requires, declares go 1.25.11).
go_minimum="1.25.11"

# Debian packages by profile, as PACKAGE:COMMAND. A package counts as there when dpkg has it or its
# command is on PATH from elsewhere (an AWS CLI from AWS's installer, say); only then is apt asked.
packages_sandbox=(
  iproute2:ip          # ip netns, veth, bridge: the members' network
  util-linux:nsenter   # nsenter, unshare, mount: the members' namespaces
  openssl:openssl      # the node scripts' certificate checks
  curl:curl            # etcd-health and the health gate
  awscli:aws           # the members' S3 calls and the host's look at the sandbox's bucket
  ca-certificates:     # (no command)
  debootstrap:debootstrap              # the members' machine image
  systemd-container:systemd-nspawn     # the members' machines
  xfsprogs:mkfs.xfs                    # (in the image too) an image's volumes are checked on the host
)
packages_test=(
  "${packages_sandbox[@]}"
  cloud-init:cloud-init  # its schema check of the rendered user data
  python3:python3        # byte-compiles the generated Python SDK
)
packages_bench=("${packages_sandbox[@]}")
packages_lint=(
  shellcheck:shellcheck  # every shell script
  iproute2:ip            # tools.sh's own check that a build can reach the Go module proxy
)

# The members' machine image: Debian from the mirror apt already uses, with real systemd and
# cloud-init and what the node scripts call (etcd-install's curl and sha256sum, etcd-prepare-volume's
# blkid and mkfs.xfs, the AWS CLI, jq). Changing this list (or the setup below) makes a new image.
image_suite="${IMAGE_SUITE:-trixie}"
image_packages=(
  systemd-sysv dbus libpam-systemd udev   # systemd as PID 1, logind for a clean shutdown
  cloud-init python3-cffi-backend locales # cloud-init (debootstrap misses its virtual dependency)
  xfsprogs util-linux                     # the data volume
  iproute2 curl openssl ca-certificates   # network, the release download, certificate checks
  awscli jq procps less                   # the node scripts' AWS calls and JSON; ps for operators
)

# A refusal (die) says why in one line; tools/toolchain.ts shows the last "tools:" line as the reason.
# A step that fails without a die (a failed mv, a timeout) says which, once, through the ERR trap;
# the mark file keeps it quiet when a die in a subshell already said why.
set -E
if [[ -z "${TOOLS_FAILURE_MARK:-}" ]]; then
  TOOLS_FAILURE_MARK="$(mktemp)"
  export TOOLS_FAILURE_MARK
  trap 'rm -f "$TOOLS_FAILURE_MARK"' EXIT
fi
die() { echo "tools: $*" >&2; echo x >>"$TOOLS_FAILURE_MARK"; exit 1; }
on_error() {
  [[ -s "$TOOLS_FAILURE_MARK" ]] && return
  echo x >>"$TOOLS_FAILURE_MARK"
  echo "tools: failed: $1 (scripts/tools.sh line $2)" >&2
}
trap 'on_error "$BASH_COMMAND" "$LINENO"' ERR
log() { echo "tools: $*" >&2; }

usage() { sed -n '6,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# --- Debian packages ---------------------------------------------------------------------------

missing_packages() { # PACKAGE:COMMAND...
  local entry pkg cmd
  for entry in "$@"; do
    pkg="${entry%%:*}" cmd="${entry#*:}"
    [[ -n "$cmd" ]] && command -v "$cmd" >/dev/null && continue
    [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" == "install ok installed" ]] || echo "$pkg"
  done | sort -u
}

install_packages() {
  local missing
  mapfile -t missing < <(missing_packages "$@")
  ((${#missing[@]} > 0)) || return 0
  command -v apt-get >/dev/null || die "Debian packages ${missing[*]} are missing and there is no apt-get: install them with this system's package manager"
  local sudo=()
  if [[ "$(id -u)" != "0" ]]; then
    if ! command -v sudo >/dev/null || ! sudo -n true 2>/dev/null; then
      die "Debian packages ${missing[*]} are missing and installing them needs root: run 'sudo bash scripts/tools.sh packages ${profiles[*]:-all}'"
    fi
    sudo=(sudo -n)
  fi
  log "installing Debian packages: ${missing[*]}"
  local apt_log started
  apt_log="$(mktemp)"
  started="$(date +%s)"
  if ! "${sudo[@]}" apt-get update -qq >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2
    rm -f "$apt_log"
    die "apt-get update failed: check the mirror in /etc/apt/sources.list.d"
  fi
  if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2
    rm -f "$apt_log"
    die "apt-get install ${missing[*]} failed"
  fi
  rm -f "$apt_log"
  log "installed ${missing[*]} in $(($(date +%s) - started)) s"
}

check_profiles() {
  local profile
  for profile in "$@"; do
    case "$profile" in
      sandbox | test | bench | lint | all) ;;
      *) die "unknown profile '$profile': use sandbox, test, bench, lint or all" ;;
    esac
  done
}

profile_packages() {
  local profile
  for profile in "$@"; do
    case "$profile" in
      sandbox) printf '%s\n' "${packages_sandbox[@]}" ;;
      test) printf '%s\n' "${packages_test[@]}" ;;
      bench) printf '%s\n' "${packages_bench[@]}" ;;
      lint) printf '%s\n' "${packages_lint[@]}" ;;
      all) printf '%s\n' "${packages_test[@]}" "${packages_bench[@]}" "${packages_lint[@]}" ;;
      *) die "unknown profile '$profile': use sandbox, test, bench, lint or all" ;;
    esac
  done
}

# --- Go programs -------------------------------------------------------------------------------

require_go() {
  command -v go >/dev/null || die "building $1 needs Go >= $go_minimum, which is not installed: install Go >= $go_minimum (https://go.dev/dl) and put its bin directory on PATH"
  local have
  have="$(go env GOVERSION 2>/dev/null)"
  have="${have#go}"
  [[ "$(printf '%s\n%s\n' "$go_minimum" "$have" | sort -V | head -n 1)" == "$go_minimum" ]] \
    || die "building $1 needs Go >= $go_minimum; this machine has go $have: install a newer Go"
}

# A sandbox network namespace has no route out, so a build there would fail on its first download.
require_route_out() {
  command -v ip >/dev/null || return 0 # cannot tell; let the build try
  ip -4 route show default 2>/dev/null | grep -q . || ip -6 route show default 2>/dev/null | grep -q . \
    || die "cannot build $1 here: this network namespace has no route to the Go module proxy; run 'bash scripts/tools.sh install sandbox' on the host first"
}

# go_build NAME OUT_DIR MODULE@VERSION... -- PACKAGE=BINARY...: a throwaway module that requires the
# modules, then one `go build` per package. The result appears in OUT_DIR only when complete.
go_build() {
  local name="$1" out_dir="$2"
  shift 2
  local modules=()
  while (($#)) && [[ "$1" != "--" ]]; do modules+=("$1"); shift; done
  shift
  require_go "$name"
  require_route_out "$name"
  local work started
  work="$(mktemp -d)"
  started="$(date +%s)"
  log "building $name from the Go module proxy (first time only; minutes)"
  (
    trap 'rm -rf "$work"' EXIT
    cd "$work"
    export GOFLAGS="-mod=mod -buildvcs=false" CGO_ENABLED=0
    # Go's own chatter is shown only when a step fails.
    go mod init "tools-build" >/dev/null 2>&1
    go get "${modules[@]}" >build.log 2>&1 \
      || { tail -n 20 build.log >&2; die "go get ${modules[*]} failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"; }
    rm -rf "$out_dir.tmp"
    mkdir -p "$out_dir.tmp"
    local spec
    for spec in "$@"; do
      go build -trimpath -o "$out_dir.tmp/${spec#*=}" "${spec%%=*}" >build.log 2>&1 \
        || { tail -n 20 build.log >&2; die "go build ${spec%%=*} failed"; }
    done
    rm -rf "$out_dir"
    mv "$out_dir.tmp" "$out_dir"
  )
  log "built $name in $(($(date +%s) - started)) s: $out_dir"
}

# build_sdkgen OUT_DIR: provider/sdkgen, a module of this repository with its go.sum, built as it is
# (no module is upgraded: -mod=readonly). The result appears in OUT_DIR only when complete.
build_sdkgen() {
  local out_dir="$1" started
  require_go "sdkgen"
  require_route_out "sdkgen"
  started="$(date +%s)"
  log "building sdkgen (Pulumi's SDK generators, pkg/v3) from the Go module proxy (first time only; minutes)"
  rm -rf "$out_dir.tmp"
  mkdir -p "$out_dir.tmp"
  (cd "$repo/provider/sdkgen" && GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 go build -trimpath -o "$out_dir.tmp/sdkgen" . >"$out_dir.tmp/build.log" 2>&1) \
    || { tail -n 20 "$out_dir.tmp/build.log" >&2; die "go build of provider/sdkgen failed"; }
  rm -f "$out_dir.tmp/build.log"
  rm -rf "$out_dir"
  mv "$out_dir.tmp" "$out_dir"
  log "built sdkgen in $(($(date +%s) - started)) s: $out_dir"
}

# --- The machine image ---------------------------------------------------------------------------

# What the image is made of; its hash names the cached image, so a changed recipe builds a new one.
image_recipe_id() {
  { echo "$image_suite"; printf '%s\n' "${image_packages[@]}"; declare -f build_image; } | sha256sum | cut -c1-12
}

# The mirror apt already uses (deb822 sources first, then the one-line format).
debian_mirror() {
  local uri
  uri="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1 || true)"
  [[ -n "$uri" ]] || uri="$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)"
  [[ -n "$uri" ]] || die "no Debian mirror in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; the machine image is debootstrapped from it"
  echo "$uri"
}

# build_image OUT_DIR: OUT_DIR/root, a Debian root the sandbox's members boot with systemd-nspawn.
build_image() {
  local out_dir="$1" mirror started
  [[ "$(id -u)" == 0 ]] || die "building the machine image needs root (debootstrap): run 'sudo bash scripts/tools.sh path image'"
  command -v debootstrap >/dev/null || die "debootstrap is missing: run 'sudo bash scripts/tools.sh packages sandbox'"
  require_route_out "the machine image"
  mirror="$(debian_mirror)"
  started="$(date +%s)"
  log "building the machine image: debootstrap $image_suite from $mirror (first time only; minutes)"
  rm -rf "$out_dir.tmp"
  mkdir -p "$out_dir.tmp"
  local include
  include="$(IFS=,; echo "${image_packages[*]}")"
  debootstrap --variant=minbase --include="$include" "$image_suite" "$out_dir.tmp/root" "$mirror" >"$out_dir.tmp/debootstrap.log" 2>&1 \
    || { tail -n 20 "$out_dir.tmp/debootstrap.log" >&2; die "debootstrap $image_suite from $mirror failed"; }
  local root="$out_dir.tmp/root"
  # cloud-init reads only the NoCloud seed the sandbox writes, and leaves the network alone: the
  # sandbox gives each machine its address from outside, as the VPC does.
  cat >"$root/etc/cloud/cloud.cfg.d/90-sandbox.cfg" <<'CFG'
datasource_list: [NoCloud, None]
network: {config: disabled}
CFG
  # Timers that would disturb a test (apt, dpkg backups, filesystem scrubs), and units that wait for
  # hardware a container has not.
  local unit
  for unit in apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer fstrim.timer \
    systemd-networkd-wait-online.service getty@tty1.service console-getty.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  # systemd-fstab-generator skips fstab's block-device entries inside a container, so at boot no
  # unit would mount the data volume that etcd-prepare-volume put in fstab (on EC2 systemd does).
  # This unit mounts them where systemd's own mount units would, before local-fs.target.
  cat >"$root/etc/systemd/system/sandbox-fstab-devices.service" <<'UNIT'
[Unit]
Description=Mount fstab's block-device entries (systemd-fstab-generator skips them in a container)
DefaultDependencies=no
After=local-fs-pre.target
Before=local-fs.target
ConditionVirtualization=container

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/mount --all --types xfs,ext4

[Install]
WantedBy=local-fs.target
UNIT
  mkdir -p "$root/etc/systemd/system/local-fs.target.wants"
  ln -sf ../sandbox-fstab-devices.service "$root/etc/systemd/system/local-fs.target.wants/sandbox-fstab-devices.service"
  # The host mounts a machine's root (an overlay); remounting it from inside has nothing to do, and
  # failed now and then while other machines' mounts changed on the host (seen twice in CI).
  ln -sf /dev/null "$root/etc/systemd/system/systemd-remount-fs.service"
  # The system locale is set, as an AMI's is: cloud-init's locale module (which wants en_US.UTF-8,
  # as on Amazon Linux) then has nothing to do; unset, it ran locale-gen at every first boot (4.6 s).
  echo "en_US.UTF-8 UTF-8" >"$root/etc/locale.gen"
  chroot "$root" locale-gen >/dev/null 2>&1 || die "locale-gen failed in the machine image"
  echo "LANG=en_US.UTF-8" >"$root/etc/default/locale"
  : >"$root/etc/machine-id" # each boot makes its own
  rm -f "$root/etc/hostname"
  rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*
  mv "$out_dir.tmp/debootstrap.log" "$out_dir.tmp/build.log"
  rm -rf "$out_dir"
  mv "$out_dir.tmp" "$out_dir"
  log "built the machine image in $(($(date +%s) - started)) s: $out_dir/root ($(du -sm "$out_dir/root" | cut -f1) MB)"
}

default_etcd_version() {
  # The package's own default (config/etcdReleases.ts owns it), read through the TypeScript runner.
  (cd "$repo" && node_modules/.bin/tsx -e 'console.log(require("./config/etcdReleases").DEFAULT_ETCD_VERSION)') \
    || die "cannot read DEFAULT_ETCD_VERSION from config/etcdReleases.ts: run 'npm ci' first"
}

# tool_path BUILD TOOL [VERSION]: prints the installed path; builds first when BUILD is yes.
tool_path() {
  local build="$1" tool="$2" version="${3:-}"
  local out_dir check
  case "$tool" in
    etcd)
      version="${version:-$(default_etcd_version)}"
      version="${version#v}"
      [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "etcd version '$version' is not a release version like 3.6.14"
      out_dir="$cache_root/etcd/$version"
      check="$out_dir/etcdutl"
      ;;
    s3)
      version="${version:-$gofakes3_version}"
      out_dir="$cache_root/gofakes3/${version#v}"
      check="$out_dir/gofakes3"
      ;;
    actionlint)
      version="${version:-$actionlint_version}"
      out_dir="$cache_root/actionlint/${version#v}"
      check="$out_dir/actionlint"
      ;;
    benchmark)
      version="${version:-$(default_etcd_version)}"
      out_dir="$cache_root/etcd-benchmark/${version#v}"
      check="$out_dir/benchmark"
      ;;
    sdkgen)
      # Our own Go program: its source and its pinned modules name the build.
      version="$(cat "$repo"/provider/sdkgen/{go.mod,go.sum,main.go} | sha256sum | cut -c1-12)"
      out_dir="$cache_root/sdkgen/$version"
      check="$out_dir/sdkgen"
      ;;
    image)
      version="$(image_recipe_id)"
      out_dir="$cache_root/image/$version"
      check="$out_dir/root/usr/bin/cloud-init"
      ;;
    *) die "unknown tool '$tool': use etcd, s3, actionlint, benchmark, sdkgen or image" ;;
  esac
  if [[ ! -x "$check" ]]; then
    [[ "$build" == yes ]] || die "$tool ${version} is not built yet: run 'bash scripts/tools.sh path $tool $version' on the host"
    mkdir -p "$cache_root"
    # One build at a time per cache: two test processes asking for the same tool wait for one build.
    exec 9>"$cache_root/.lock"
    flock 9
    if [[ ! -x "$check" ]]; then
      case "$tool" in
        etcd)
          go_build "etcd $version" "$out_dir" \
            "go.etcd.io/etcd/server/v3@v$version" "go.etcd.io/etcd/etcdctl/v3@v$version" "go.etcd.io/etcd/etcdutl/v3@v$version" -- \
            go.etcd.io/etcd/server/v3=etcd go.etcd.io/etcd/etcdctl/v3=etcdctl go.etcd.io/etcd/etcdutl/v3=etcdutl
          ;;
        s3)
          # gofakes3 (github.com/johannesboyne/gofakes3): a real S3 API with a bolt store.
          go_build "the S3 server (gofakes3 v${version#v})" "$out_dir" \
            "github.com/johannesboyne/gofakes3/cmd/gofakes3@v${version#v}" -- \
            github.com/johannesboyne/gofakes3/cmd/gofakes3=gofakes3
          ;;
        actionlint)
          go_build "actionlint v${version#v}" "$out_dir" \
            "github.com/rhysd/actionlint/cmd/actionlint@v${version#v}" -- \
            github.com/rhysd/actionlint/cmd/actionlint=actionlint
          ;;
        image) build_image "$out_dir" ;;
        sdkgen) build_sdkgen "$out_dir" ;;
        benchmark)
          # tools/benchmark of the etcd repository lives in the root module go.etcd.io/etcd/v3.
          go_build "etcd's benchmark tool ${version#v}" "$out_dir" \
            "go.etcd.io/etcd/v3@v${version#v}" -- \
            go.etcd.io/etcd/v3/tools/benchmark=benchmark
          ;;
      esac
    fi
    exec 9>&-
  fi
  case "$tool" in
    etcd) echo "$out_dir" ;;
    image) echo "$out_dir/root" ;;
    *) echo "$check" ;;
  esac
}

etcd_versions() {
  local listed="${ETCD_TEST_VERSIONS:-${ETCD_TEST_VERSION:-}}"
  listed="${listed//,/ }"
  local versions
  read -r -a versions <<<"$listed"
  if ((${#versions[@]} > 0)); then printf '%s\n' "${versions[@]}"; else default_etcd_version; fi
}

# The backup tests run the node's backup scripts on this host with its AWS CLI, and a snapshot goes
# up only as S3's conditional write (the bucket policy refuses any other), as on a member.
require_conditional_writes() {
  local version
  aws s3api put-object --bucket b --key k --if-none-match '*' --generate-cli-skeleton input >/dev/null 2>&1 && return 0
  version="$(aws --version 2>&1 | head -n 1)"
  die "the AWS CLI here ($version) has no --if-none-match, which the backup scripts need (S3's conditional write): install AWS CLI 2.22 or newer (AWS's installer) or 1.36 or newer (pip install awscli), ahead of Debian bookworm's 2.9 on PATH"
}

install_profiles() {
  local profile tools=() version
  mapfile -t pkgs < <(profile_packages "$@")
  install_packages "${pkgs[@]}"
  if [[ " $* " == *" test "* || " $* " == *" all "* ]]; then require_conditional_writes; fi
  for profile in "$@"; do
    case "$profile" in
      sandbox) tools+=(etcd s3) ;;
      test) tools+=(etcd s3 sdkgen) ;;
      bench) tools+=(etcd s3 benchmark) ;;
      lint) tools+=(actionlint) ;;
      all) tools+=(etcd s3 actionlint benchmark sdkgen) ;;
    esac
  done
  local seen=" " tool
  for tool in "${tools[@]}"; do
    [[ "$seen" == *" $tool "* ]] && continue
    seen+="$tool "
    if [[ "$tool" == etcd ]]; then
      local versions found
      versions="$(etcd_versions)"
      for version in $versions; do
        found="$(tool_path yes etcd "$version")"
        log "etcd $version: $found"
      done
    else
      found="$(tool_path yes "$tool")"
      log "$tool: $found"
    fi
  done
}

command="${1:-}"
[[ -n "$command" ]] || usage
shift
profiles=()
case "$command" in
  install)
    (($#)) || usage
    profiles=("$@")
    check_profiles "$@"
    install_profiles "$@"
    ;;
  packages)
    (($#)) || usage
    profiles=("$@")
    check_profiles "$@"
    mapfile -t pkgs < <(profile_packages "$@")
    install_packages "${pkgs[@]}"
    ;;
  path)
    build=yes
    if [[ "${1:-}" == "--no-build" ]]; then build=no; shift; fi
    (($# >= 1 && $# <= 2)) || usage
    tool_path "$build" "$@"
    ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
