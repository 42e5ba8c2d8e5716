#!/usr/bin/env bash
# A container engine for the harness's `container` provider on a machine with no image registry:
# rootful podman plus a PostgreSQL image built locally from a debootstrapped Debian.
#
#   bash scripts/container-engine.sh setup          # once per machine; re-running is cheap
#   bash scripts/container-engine.sh service        # podman's Docker-compatible API socket
#   eval "$(bash scripts/container-engine.sh env)"  # point testcontainers at it
#   bash scripts/container-engine.sh stop-service
#
# Progress and errors go to stderr so that `env`'s stdout can be eval'ed.
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE_DIR="$SCRIPT_DIR/postgres-image"

RUN_DIR=/run/roundtrip
SOCKET_PATH="$RUN_DIR/podman.sock"
SOCKET_URL="unix://$SOCKET_PATH"
PID_FILE="$RUN_DIR/podman.pid"
SERVICE_LOG="$RUN_DIR/podman-service.log"
SERVICE_WAIT_SECONDS=20

CACHE_DIR=${ROUNDTRIP_CACHE_DIR:-/var/cache/roundtrip}
ROOTFS_DIR="$CACHE_DIR/rootfs-bookworm"
ROOTFS_MARKER="$ROOTFS_DIR/.roundtrip-debootstrap-complete"

BASE_IMAGE=localhost/roundtrip/debian:bookworm
PG_IMAGE=localhost/roundtrip/postgres:15
HASH_LABEL=dev.roundtrip.content-hash

CONTAINERS_CONF=/etc/containers/containers.conf
PACKAGES=(podman runc debootstrap)

say() { printf 'container-engine: %s\n' "$*" >&2; }

# die "<what failed>: <why>" "<what to do>"
die() {
  printf 'container-engine: error: %s\n' "$1" >&2
  if [[ -n ${2:-} ]]; then printf 'container-engine: hint: %s\n' "$2" >&2; fi
  exit 1
}

# Any command that fails without its own message still says where it happened.
trap 'die "command failed (line $LINENO, exit $?): $BASH_COMMAND" "re-run with bash -x for details"' ERR

require_root() {
  [[ $(id -u) -eq 0 ]] || die "$1 needs root: rootful podman and apt-get are used" "run it as root (sudo bash $0 $1)"
}

# ---------------------------------------------------------------------------------------------
# setup
# ---------------------------------------------------------------------------------------------

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do is_installed "$pkg" || missing+=("$pkg"); done
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "packages: ${PACKAGES[*]} already installed"
    return
  fi
  local log="$CACHE_DIR/apt.log"
  mkdir -p "$CACHE_DIR"
  say "packages: installing ${missing[*]} with apt-get (log: $log)"
  # Only refresh the package lists when the install cannot find what it needs.
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >"$log" 2>&1; then
    apt-get update -q >>"$log" 2>&1 ||
      die "apt-get update failed (log: $log)" "check network access to the Debian mirror in /etc/apt/sources.list*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >>"$log" 2>&1 ||
      die "apt-get install ${missing[*]} failed (log: $log)" "run 'apt-get install ${missing[*]}' by hand to see why"
  fi
}

# The containers.conf settings podman needs on this kind of machine, as "section.key=value":
# - ulimits: crun/runc cannot raise RLIMIT_NOFILE/NPROC above the host's hard limits without
#   CAP_SYS_RESOURCE, and the defaults ask for more ("setrlimit RLIMIT_NOFILE: Operation not
#   permitted").
# - runc + cgroupfs: crun refuses cgroup v1/v2 hybrid hierarchies, and there is no systemd.
# - file events logger: the journald default needs systemd too.
REQUIRED_CONF=(
  'containers.default_ulimits=["nofile=20000:20000","nproc=32768:32768"]'
  'engine.runtime="runc"'
  'engine.cgroup_manager="cgroupfs"'
  'engine.events_logger="file"'
)

# Prints the file's settings as "section.key=value", whitespace and comments removed.
normalized_conf() {
  awk '
    { sub(/#.*/, ""); gsub(/[ \t]/, "") }
    /^\[.*\]$/ { section = substr($0, 2, length($0) - 2); next }
    /=/ { print section "." $0 }
  ' "$1"
}

conf_is_equivalent() {
  [[ -f $CONTAINERS_CONF ]] || return 1
  local current line
  current=$(normalized_conf "$CONTAINERS_CONF")
  for line in "${REQUIRED_CONF[@]}"; do
    grep -qxF -- "$line" <<<"$current" || return 1
  done
}

write_containers_conf() {
  if conf_is_equivalent; then
    say "config: $CONTAINERS_CONF already has the required settings"
    return
  fi
  mkdir -p "$(dirname "$CONTAINERS_CONF")"
  if [[ -f $CONTAINERS_CONF ]]; then
    cp "$CONTAINERS_CONF" "$CONTAINERS_CONF.roundtrip-backup"
    say "config: replacing $CONTAINERS_CONF (previous version kept as $CONTAINERS_CONF.roundtrip-backup)"
  else
    say "config: writing $CONTAINERS_CONF"
  fi
  cat >"$CONTAINERS_CONF" <<'EOF'
# Written by roundtrip's scripts/container-engine.sh: rootful podman without systemd, on a
# cgroup v1/v2 hybrid host whose hard limits are nofile=20000 and nproc=32768.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
}

# Prints the machine's Debian archive mirror (not the security one), read from its apt sources,
# both one-line (.list) and deb822 (.sources) styles. ROUNDTRIP_DEBIAN_MIRROR overrides it.
debian_mirror() {
  if [[ -n ${ROUNDTRIP_DEBIAN_MIRROR:-} ]]; then
    echo "$ROUNDTRIP_DEBIAN_MIRROR"
    return
  fi
  local files=() f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] && files+=("$f")
  done
  [[ ${#files[@]} -gt 0 ]] || return 0
  # Emits "uri suite" pairs for every deb source, then keeps the best: a bookworm suite first,
  # else any plain Debian suite (without -security/-updates/-backports).
  awk '
    function flush() {
      if (types ~ /(^| )deb( |$)/) {
        n = split(uris, u, " "); m = split(suites, s, " ")
        for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
      }
      types = uris = suites = ""
    }
    FNR == 1 { flush() }
    FILENAME ~ /\.sources$/ {
      if ($0 ~ /^[ \t]*$/) { flush(); next }
      if ($0 ~ /^[ \t]*#/) next
      key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
      if (key == "types") types = $0
      else if (key == "uris") uris = $0
      else if (key == "suites") suites = $0
      next
    }
    $1 == "deb" {
      i = 2
      if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
      print $i, $(i + 1)
    }
    END { flush() }
  ' "${files[@]}" |
    awk '
      $1 ~ /security/ { next }
      $2 == "bookworm" && !best { best = $1 }
      $2 !~ /-/ && !fallback { fallback = $1 }
      END { if (best) print best; else if (fallback) print fallback }
    '
}

debootstrap_rootfs() {
  if [[ -f $ROOTFS_MARKER ]]; then
    say "rootfs: $ROOTFS_DIR already bootstrapped"
    return
  fi
  local mirror
  mirror=$(debian_mirror)
  [[ -n $mirror ]] || die "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/" \
    "set ROUNDTRIP_DEBIAN_MIRROR=http://<mirror>/debian and re-run setup"
  say "rootfs: debootstrap --variant=minbase bookworm from $mirror into $ROOTFS_DIR (about 20 s)"
  rm -rf "$ROOTFS_DIR"
  mkdir -p "$CACHE_DIR"
  local log="$CACHE_DIR/debootstrap.log"
  if ! debootstrap --variant=minbase bookworm "$ROOTFS_DIR" "$mirror" >"$log" 2>&1; then
    tail -n 5 "$log" >&2 || true
    die "debootstrap of bookworm from $mirror failed (log: $log)" \
      "check that the mirror is reachable, or set ROUNDTRIP_DEBIAN_MIRROR, then re-run setup"
  fi
  # Keeps package downloads out of the image.
  rm -rf "$ROOTFS_DIR"/var/cache/apt/archives/*.deb "$ROOTFS_DIR"/var/lib/apt/lists/*
  touch "$ROOTFS_MARKER"
}

image_exists() {
  podman image exists "$1"
}

import_base_image() {
  if image_exists "$BASE_IMAGE"; then
    say "image: $BASE_IMAGE already exists"
    return
  fi
  debootstrap_rootfs
  say "image: importing $ROOTFS_DIR as $BASE_IMAGE"
  local log="$CACHE_DIR/import.log"
  if ! tar --exclude=./.roundtrip-debootstrap-complete -C "$ROOTFS_DIR" -c . |
    podman import --change 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >"$log" 2>&1; then
    tail -n 5 "$log" >&2 || true
    die "podman import of $ROOTFS_DIR as $BASE_IMAGE failed (log: $log)" \
      "delete $ROOTFS_DIR to bootstrap it again, then re-run setup"
  fi
}

# What the PostgreSQL image is built from: the build context and the base image's id. Stored as
# an image label so an unchanged image is not rebuilt.
image_content_hash() {
  {
    podman image inspect --format '{{.Id}}' "$BASE_IMAGE"
    (cd "$IMAGE_DIR" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -d' ' -f1
}

build_postgres_image() {
  [[ -f $IMAGE_DIR/Containerfile ]] || die "missing $IMAGE_DIR/Containerfile" "restore it from the repository"
  local hash current
  hash=$(image_content_hash)
  if image_exists "$PG_IMAGE"; then
    current=$(podman image inspect --format "{{ index .Labels \"$HASH_LABEL\" }}" "$PG_IMAGE")
    if [[ $current == "$hash" ]]; then
      say "image: $PG_IMAGE is up to date"
      return
    fi
    say "image: $PG_IMAGE is out of date (Containerfile, entrypoint or base image changed), rebuilding"
  else
    say "image: building $PG_IMAGE (about 20 s)"
  fi
  local log="$CACHE_DIR/build.log"
  mkdir -p "$CACHE_DIR"
  if ! podman build --pull=never --label "$HASH_LABEL=$hash" -t "$PG_IMAGE" -f "$IMAGE_DIR/Containerfile" \
    "$IMAGE_DIR" >"$log" 2>&1; then
    tail -n 10 "$log" >&2 || true
    die "podman build of $PG_IMAGE failed (log: $log)" \
      "fix the error above in $IMAGE_DIR, then re-run setup"
  fi
  # The previous build of this image is now untagged; only images carrying our label are pruned.
  podman image prune -f --filter "label=$HASH_LABEL" >/dev/null || true
}

# Proves that the runtime fixes work: a container starts and runs PostgreSQL's binary.
smoke_test() {
  local version
  if ! version=$(podman run --rm --pull=never "$PG_IMAGE" postgres --version 2>&1); then
    die "a test container of $PG_IMAGE failed to run: $version" \
      "check $CONTAINERS_CONF against the settings in $0"
  fi
  say "ready: $PG_IMAGE runs '$version'"
}

cmd_setup() {
  require_root setup
  install_packages
  write_containers_conf
  import_base_image
  build_postgres_image
  smoke_test
}

# ---------------------------------------------------------------------------------------------
# service
# ---------------------------------------------------------------------------------------------

service_answers() {
  [[ -S $SOCKET_PATH ]] && curl -sf --max-time 2 --unix-socket "$SOCKET_PATH" http://d/_ping >/dev/null 2>&1
}

service_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(<"$PID_FILE")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null &&
    grep -qa 'system' "/proc/$pid/cmdline" 2>/dev/null && echo "$pid"
}

cmd_service() {
  require_root service
  command -v podman >/dev/null || die "podman is not installed" "run: bash $0 setup"
  if service_answers; then
    say "service: already answering on $SOCKET_URL"
    return
  fi
  mkdir -p "$RUN_DIR"
  rm -f "$SOCKET_PATH"
  # setsid: the service must outlive this script and the terminal it was started from. The shell
  # writes its own pid and then becomes podman, so the pid file is right even if setsid forks.
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    podman system service --time=0 "$SOCKET_URL" </dev/null >"$SERVICE_LOG" 2>&1 &
  local waited=0
  until service_answers; do
    if ((waited >= SERVICE_WAIT_SECONDS * 5)); then
      tail -n 5 "$SERVICE_LOG" >&2 || true
      die "podman service did not answer on $SOCKET_URL within ${SERVICE_WAIT_SECONDS} s (log: $SERVICE_LOG)" \
        "run 'podman system service --time=0 $SOCKET_URL' in the foreground to see why"
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  say "service: answering on $SOCKET_URL (pid $(<"$PID_FILE"), log $SERVICE_LOG)"
}

cmd_stop_service() {
  require_root stop-service
  local pid
  if ! pid=$(service_pid); then
    say "service: not running"
    rm -f "$PID_FILE"
    return
  fi
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= 50)); then
      say "service: pid $pid ignored SIGTERM for 10 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE" "$SOCKET_PATH"
  say "service: stopped (pid $pid)"
}

cmd_env() {
  echo "export DOCKER_HOST=$SOCKET_URL"
  # Ryuk, testcontainers' reaper, is an image from a registry; the provider reaps by label instead.
  echo "export TESTCONTAINERS_RYUK_DISABLED=true"
  echo "export ROUNDTRIP_CONTAINER_IMAGE=$PG_IMAGE"
}

usage() {
  cat >&2 <<EOF
usage: bash $0 <command>
  setup         install podman, configure it, build $PG_IMAGE (idempotent)
  service       start podman's API service on $SOCKET_URL unless it already answers
  env           print the exports for callers: eval "\$(bash $0 env)"
  stop-service  stop the service started by 'service'
EOF
}

main() {
  case ${1:-} in
    setup) cmd_setup ;;
    service) cmd_service ;;
    env) cmd_env ;;
    stop-service) cmd_stop_service ;;
    -h | --help | help) usage ;;
    *)
      usage
      exit 2
      ;;
  esac
}

main "$@"
