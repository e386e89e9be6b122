#!/usr/bin/env bash
# Builds the front-end assets from npm into coresponder/static/vendor (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules/@uswds/uswds ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
out=coresponder/static/vendor
rm -rf "$out"
mkdir -p "$out/uswds" "$out/htmx"
cp -R node_modules/@uswds/uswds/dist/css node_modules/@uswds/uswds/dist/js \
      node_modules/@uswds/uswds/dist/fonts node_modules/@uswds/uswds/dist/img "$out/uswds/"
cp node_modules/htmx.org/dist/htmx.min.js "$out/htmx/"
touch "$out/.built"
echo "static assets built in $out"
