#!/usr/bin/env bash
# The Debian packages `npm run bench` compares against (bench/index.ts runs this first):
#   - postgresql-client: psql (`\copy`, the COPY floor of import) and pg_dump (`--data-only`, the
#     floor of export). pg_dump refuses a server of a newer major, so its major must be at least
#     the server's (15, or ROUNDTRIP_PG_MAJOR).
#   - python3-django and python3-psycopg2: Django's loaddata/dumpdata (bench/django/), run by
#     Debian's /usr/bin/python3 (a pyenv python3 on PATH does not see Debian's packages).
# From apt only. Idempotent: what is already there is only reported. Never fails the bench: a
# group that cannot be installed is reported (the log says why) and the bench skips that
# comparison with the reason. Exit code: 0 when everything is there, 1 when something is missing.
#
#   bash scripts/install-bench-tools.sh     # as root, or through sudo
set -Euo pipefail

PYTHON=/usr/bin/python3
PG_MAJOR=${ROUNDTRIP_PG_MAJOR:-15}

say() { printf 'install-bench-tools: %s\n' "$*" >&2; }

client_major() {
  local dump
  dump=$(command -v pg_dump 2>/dev/null) || return 1
  command -v psql >/dev/null 2>&1 || return 1
  "$dump" --version 2>/dev/null | sed -nE 's/^pg_dump \(PostgreSQL\) ([0-9]+).*/\1/p'
}
client_ok() { local m; m=$(client_major) && [[ -n $m && $m -ge $PG_MAJOR ]]; }
django_version() { "$PYTHON" -c 'import django, psycopg2; print(django.get_version())' 2>/dev/null; }
django_ok() { [[ -x $PYTHON ]] && django_version >/dev/null; }

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO=(sudo -n); else SUDO=(false); fi
fi
log=$(mktemp -t install-bench-tools.XXXXXX.log)
updated=0

# apt-get install as the lists are; if that fails, refresh the lists once and try again.
apt_install() {
  if [[ ${SUDO[0]:-} == false ]]; then
    say "cannot install $*: apt-get needs root and sudo is not available without a password"
    return 1
  fi
  command -v apt-get >/dev/null 2>&1 || { say "cannot install $*: no apt-get on this system"; return 1; }
  say "installing $* with apt-get (log: $log)"
  if "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1; then
    return 0
  fi
  if [[ $updated -eq 0 ]]; then
    updated=1
    "${SUDO[@]}" apt-get update -q >>"$log" 2>&1 || { say "apt-get update failed (log: $log)"; return 1; }
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1 && return 0
  fi
  say "apt-get install $* failed (log: $log)"
  return 1
}

missing=0

if client_ok; then
  say "already installed: psql and pg_dump $(client_major) (server major $PG_MAJOR)"
else
  apt_install postgresql-client || true
  if client_ok; then
    say "installed: psql and pg_dump $(client_major)"
  else
    say "missing: psql/pg_dump of major >= $PG_MAJOR (have: $(client_major || echo none))"
    missing=1
  fi
fi

if django_ok; then
  say "already installed: Django $(django_version) with psycopg2 for $("$PYTHON" --version 2>&1)"
else
  apt_install python3-django python3-psycopg2 || true
  if django_ok; then
    say "installed: Django $(django_version) with psycopg2 for $("$PYTHON" --version 2>&1)"
  else
    say "missing: Django with psycopg2 for $PYTHON"
    missing=1
  fi
fi

[[ $missing -eq 0 ]] && rm -f "$log"
exit "$missing"
