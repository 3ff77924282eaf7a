#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium) through Playwright, and need
# fonts-noto-cjk so that pages and screenshots show Chinese rather than empty boxes.
# Installs what is missing when allowed (scripts/apt-install.sh); without Chromium it fails
# with the command to run, without the fonts it only warns.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

has_cjk_fonts() {
    if command -v dpkg-query >/dev/null; then
        dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed"
    else
        command -v fc-list >/dev/null && [ -n "$(fc-list :lang=zh 2>/dev/null)" ]
    fi
}

if [ ! -x /usr/bin/chromium ]; then
    bash "$here/apt-install.sh" chromium fonts-noto-cjk
elif ! has_cjk_fonts; then
    bash "$here/apt-install.sh" fonts-noto-cjk \
        || echo "warning: without fonts-noto-cjk, Chinese text in screenshots shows as boxes" >&2
fi
[ -x /usr/bin/chromium ] || { echo "error: /usr/bin/chromium is still missing" >&2; exit 1; }
