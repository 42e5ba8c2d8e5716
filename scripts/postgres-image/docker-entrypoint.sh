#!/usr/bin/env bash
# The part of the official postgres image's entrypoint that the harness relies on:
#   POSTGRES_USER (default postgres), POSTGRES_PASSWORD (or POSTGRES_HOST_AUTH_METHOD=trust),
#   POSTGRES_DB (default: the user), POSTGRES_INITDB_ARGS, the *_FILE variants, and a CMD of
#   `postgres [-c name=value ...]` (or just `-c ...`).
# Not supported: /docker-entrypoint-initdb.d scripts.
set -Eeuo pipefail

log() { printf '%s [entrypoint] %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# file_env VAR [DEFAULT]: VAR from the environment, or from the file named by VAR_FILE.
file_env() {
  local var=$1 default=${2:-} file_var="${1}_FILE"
  if [[ -n ${!var:-} && -n ${!file_var:-} ]]; then die "both $var and $file_var are set (but are exclusive)"; fi
  local value=$default
  if [[ -n ${!var:-} ]]; then
    value=${!var}
  elif [[ -n ${!file_var:-} ]]; then
    value=$(<"${!file_var}")
  fi
  export "$var"="$value"
  unset "$file_var"
}

# As root: own the data and socket directories, then run this script again as postgres
# (PostgreSQL refuses to run as root). setpriv is util-linux's gosu.
drop_root() {
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA" || :
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  chown postgres:postgres /var/run/postgresql
  chmod 3777 /var/run/postgresql
  exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
}

init_cluster() {
  file_env POSTGRES_PASSWORD
  file_env POSTGRES_USER postgres
  file_env POSTGRES_DB "$POSTGRES_USER"
  file_env POSTGRES_INITDB_ARGS
  local auth=${POSTGRES_HOST_AUTH_METHOD:-}
  if [[ -z $POSTGRES_PASSWORD && $auth != trust ]]; then
    die "database is uninitialized and superuser password is not specified; set POSTGRES_PASSWORD" \
      "(or POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password)"
  fi
  auth=${auth:-scram-sha-256}

  local args=(--username="$POSTGRES_USER")
  # The password goes through stdin, never the command line, where ps would show it.
  if [[ -n $POSTGRES_PASSWORD ]]; then args+=(--pwfile=/dev/stdin); fi
  # --no-sync: a fresh cluster in a throwaway container; flushing it to disk only costs time.
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words, as in the official image
  initdb "${args[@]}" --no-sync $POSTGRES_INITDB_ARGS >/dev/null <<<"$POSTGRES_PASSWORD"

  printf '\nhost all all all %s\n' "$auth" >>"$PGDATA/pg_hba.conf"

  if [[ $POSTGRES_DB != postgres ]]; then
    # Single-user mode needs no temporary server (the official image starts one on a socket);
    # the bootstrap superuser, POSTGRES_USER, owns the database.
    local ident=${POSTGRES_DB//\"/\"\"}
    printf 'CREATE DATABASE "%s";\n' "$ident" | postgres --single -j -D "$PGDATA" postgres >/dev/null
  fi
  log "cluster initialized in $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB, host auth $auth)"
}

# `postgres --version` and friends print and exit: no cluster needed, as in the official image.
wants_help() {
  local arg
  for arg; do
    case $arg in -'?' | --help | --describe-config | -V | --version) return 0 ;; esac
  done
  return 1
}

main() {
  if [[ ${1:-} == -* ]]; then set -- postgres "$@"; fi
  if [[ ${1:-} != postgres ]] || wants_help "$@"; then exec "$@"; fi
  if [[ $(id -u) -eq 0 ]]; then drop_root "$@"; fi
  if [[ ! -s $PGDATA/PG_VERSION ]]; then init_cluster; fi
  exec "$@"
}

main "$@"
