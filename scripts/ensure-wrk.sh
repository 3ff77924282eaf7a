#!/usr/bin/env bash
# The load benchmark (bench/ticket_open_load.py, decision 0024) drives gunicorn with wrk, a load
# generator written in C and scripted in Lua (LuaJIT): Debian's package `wrk`, not on PyPI.
# Installs it when missing and allowed (scripts/apt-install.sh: as root or through sudo without
# a password); otherwise fails with the command to run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! command -v wrk >/dev/null; then
    bash "$here/apt-install.sh" wrk
fi
command -v wrk >/dev/null || { echo "error: wrk is still missing (apt-get install -y wrk)" >&2; exit 1; }
