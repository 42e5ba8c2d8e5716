#!/usr/bin/env bash
# Debian's chromium for the HTML report's browser test (tests/report-html.test.ts), which drives it
# with playwright-core: the distribution's build from apt, never a browser download. Idempotent:
# with chromium already installed it only prints the version.
#
#   bash scripts/install-chromium.sh     # as root, or through sudo
set -Eeuo pipefail

CHROMIUM=/usr/bin/chromium

say() { printf 'install-chromium: %s\n' "$*" >&2; }

if [[ -x $CHROMIUM ]]; then
  say "already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { say "error: apt-get needs root; run this as root"; exit 1; }
  SUDO=(sudo)
fi

log=$(mktemp -t install-chromium.XXXXXX.log)
say "installing chromium with apt-get (log: $log)"
# The package lists may be missing or stale on a fresh machine: try as they are, then refresh.
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$log" 2>&1; then
  "${SUDO[@]}" apt-get update -q >>"$log" 2>&1 || {
    say "error: apt-get update failed (log: $log); check access to the Debian mirror"
    exit 1
  }
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >>"$log" 2>&1 || {
    say "error: apt-get install chromium failed (log: $log); run 'apt-get install chromium' by hand to see why"
    exit 1
  }
fi
[[ -x $CHROMIUM ]] || { say "error: chromium was installed but $CHROMIUM is missing (log: $log)"; exit 1; }
say "installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
