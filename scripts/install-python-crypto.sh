#!/usr/bin/env bash
# Debian's python3-cryptography, the independent Fernet and RSA-OAEP implementation that the
# interoperability tests of encrypted backups (tests/encryption.test.ts) check ours against: a
# tarball made by Python decrypts with ours and ours with Python. From apt, never from PyPI.
# Idempotent: when Debian's python3 already imports cryptography it only prints the version.
#
#   bash scripts/install-python-crypto.sh     # as root, or through sudo
set -Eeuo pipefail

PYTHON=/usr/bin/python3
PACKAGE=python3-cryptography

say() { printf 'install-python-crypto: %s\n' "$*" >&2; }
version() { "$PYTHON" -c 'import cryptography; print(cryptography.__version__)' 2>/dev/null; }

if [[ -x $PYTHON ]] && version >/dev/null; then
  say "already installed: cryptography $(version) for $("$PYTHON" --version 2>&1)"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { say "error: apt-get needs root; run this as root"; exit 1; }
  SUDO=(sudo)
fi

log=$(mktemp -t install-python-crypto.XXXXXX.log)
say "installing $PACKAGE with apt-get (log: $log)"
# The package lists may be missing or stale on a fresh machine: try as they are, then refresh.
if ! "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$PACKAGE" >"$log" 2>&1; then
  "${SUDO[@]}" apt-get update -q >>"$log" 2>&1 || {
    say "error: apt-get update failed (log: $log); check access to the Debian mirror"
    exit 1
  }
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$PACKAGE" >>"$log" 2>&1 || {
    say "error: apt-get install $PACKAGE failed (log: $log); run 'apt-get install $PACKAGE' by hand to see why"
    exit 1
  }
fi
version >/dev/null || { say "error: $PACKAGE was installed but $PYTHON cannot import cryptography (log: $log)"; exit 1; }
say "installed: cryptography $(version) for $("$PYTHON" --version 2>&1)"
