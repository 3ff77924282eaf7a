#!/usr/bin/env bash
# Install Debian packages the tests or tools need, when this machine lets us:
# as root, or through sudo without a password. Otherwise say what to run and fail.
# Usage: scripts/apt-install.sh PACKAGE...
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PACKAGE..." >&2
    exit 2
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
else
    echo "error: Kefu needs the Debian packages: $*" >&2
    echo "       Install them as root:  apt-get install -y $*" >&2
    echo "       (this user is not root and cannot use sudo without a password)" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null; then
    echo "error: Kefu needs the packages $* and this machine has no apt-get; install them by hand." >&2
    exit 1
fi

echo "Installing Debian packages: $*"
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; read them once, then install.
"${as_root[@]}" apt-get update -qq </dev/null
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" </dev/null
