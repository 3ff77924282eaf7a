#!/bin/sh
# Copy the pinned front-end assets (package.json) into src/kefu/static/vendor/.
#
# The copies are committed, so running Kefu needs neither npm nor a CDN; run this only to
# change a version: edit package.json, run this script, commit package.json, the lock file
# and the new files. Only the minified files the templates load are kept.
set -eu

cd "$(dirname "$0")/.."
if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --ignore-scripts
else
    npm install --no-audit --no-fund --ignore-scripts
fi

vendor=src/kefu/static/vendor
rm -rf "$vendor/tabler" "$vendor/htmx" "$vendor/echarts"
mkdir -p "$vendor/tabler" "$vendor/htmx" "$vendor/echarts"

cp node_modules/@tabler/core/dist/css/tabler.min.css "$vendor/tabler/"
cp node_modules/@tabler/core/dist/js/tabler.min.js "$vendor/tabler/"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/htmx/"
cp node_modules/htmx.org/LICENSE "$vendor/htmx/LICENSE"
# Apache ECharts for the figures' charts (DESIGN.md): the whole library, minified, one file.
cp node_modules/echarts/dist/echarts.min.js "$vendor/echarts/"
cp node_modules/echarts/LICENSE node_modules/echarts/NOTICE "$vendor/echarts/"

# The source-map comments point at files we do not ship; drop them so browsers do not ask.
sed -i -e 's#/\*\# sourceMappingURL=[^*]*\*/##' -e 's#^//\# sourceMappingURL=.*$##' \
    "$vendor/tabler/tabler.min.css" "$vendor/tabler/tabler.min.js" "$vendor/htmx/htmx.min.js" \
    "$vendor/echarts/echarts.min.js"

# Tabler's package carries no LICENSE file; its package.json says MIT.
printf '%s\n' \
    "@tabler/core $(node -p "require('./node_modules/@tabler/core/package.json').version")" \
    "htmx.org $(node -p "require('./node_modules/htmx.org/package.json').version")" \
    "echarts $(node -p "require('./node_modules/echarts/package.json').version")" \
    > "$vendor/VERSIONS"
ls -l "$vendor/tabler" "$vendor/htmx" "$vendor/echarts"
