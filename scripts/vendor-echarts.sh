#!/bin/sh
# Refresh the vendored Apache ECharts build: `sh scripts/vendor-echarts.sh [VERSION]`.
# Fetches the package from the npm registry with npm itself, keeps the minified browser build,
# its licence and notice, and records the version; the running product loads nothing from outside.
set -eu
cd "$(dirname "$0")/.."
VERSION="${1:-6.1.0}"
DEST=lianxin/static/vendor/echarts
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "echarts@$VERSION" >/dev/null && tar xzf echarts-*.tgz)
rm -rf "$DEST" && mkdir -p "$DEST"
cp "$WORK/package/dist/echarts.min.js" "$DEST/"
cp "$WORK/package/LICENSE" "$DEST/LICENSE"
[ -f "$WORK/package/NOTICE" ] && cp "$WORK/package/NOTICE" "$DEST/NOTICE"
printf 'echarts %s (Apache-2.0), from the npm registry; dist/echarts.min.js\n' "$VERSION" > "$DEST/VERSION"
echo "vendored echarts $VERSION into $DEST"
