#!/usr/bin/env bash
# Refreshes the vendored front-end assets under static/vendor/ from the npm registry.
# Intranet installs have no internet: the app never loads anything from a CDN.
# Versions are pinned here and recorded in static/vendor/VERSIONS.
set -euo pipefail
cd "$(dirname "$0")/.."

BOOTSTRAP=5.3.9
HTMX=2.0.11
ECHARTS=5.6.0

dest=static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME VERSION -> unpacked dir
  (cd "$work" && npm pack --silent "$1@$2" >/dev/null 2>&1)
  local tgz
  tgz=$(ls "$work"/*.tgz | head -n 1)
  mkdir -p "$work/$1"
  tar -xzf "$tgz" -C "$work/$1" --strip-components=1
  rm -f "$tgz"
}

fetch bootstrap "$BOOTSTRAP"
fetch htmx.org "$HTMX"
fetch echarts "$ECHARTS"

rm -rf "$dest/bootstrap" "$dest/htmx" "$dest/echarts"
mkdir -p "$dest/bootstrap/css" "$dest/bootstrap/js" "$dest/htmx" "$dest/echarts"
cp "$work/bootstrap/dist/css/bootstrap.min.css" "$work/bootstrap/dist/css/bootstrap.min.css.map" "$dest/bootstrap/css/"
cp "$work/bootstrap/dist/js/bootstrap.bundle.min.js" "$work/bootstrap/dist/js/bootstrap.bundle.min.js.map" "$dest/bootstrap/js/"
cp "$work/bootstrap/LICENSE" "$dest/bootstrap/LICENSE"
cp "$work/htmx.org/dist/htmx.min.js" "$dest/htmx/"
cp "$work/htmx.org/LICENSE" "$dest/htmx/LICENSE"
cp "$work/echarts/dist/echarts.min.js" "$dest/echarts/"
cp "$work/echarts/LICENSE" "$dest/echarts/LICENSE"

cat > "$dest/VERSIONS" <<VERS
# Vendored front-end assets (refresh with: make vendor)
bootstrap $BOOTSTRAP
htmx.org $HTMX
echarts $ECHARTS
VERS
echo "vendored: bootstrap $BOOTSTRAP, htmx.org $HTMX, echarts $ECHARTS"
