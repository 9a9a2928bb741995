#!/bin/sh
# Refresh the vendored dwv (DICOM Web Viewer) build: `sh scripts/vendor-dwv.sh`.
# Fetches dwv and the libraries it imports (Konva, JSZip, magic-wand-tool) from the npm registry
# with npm itself, at the pinned versions below, and bundles them with esbuild into one ES module
# (dwv's own build imports its dependencies by bare name, which a browser cannot resolve). dwv's
# decoder workers are copied beside the bundle: dwv finds them relative to its own URL. Licences
# and versions are recorded; the running product loads nothing from outside.
set -eu
cd "$(dirname "$0")/.."
DWV=0.36.4
KONVA=10.2.5
JSZIP=3.10.1
MAGIC_WAND=1.1.7
ESBUILD=0.28.2
DEST=lianxin/static/vendor/dwv
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(
  cd "$WORK"
  printf '{"name":"vendor-dwv","private":true}\n' > package.json
  npm install --silent --no-save --no-audit --no-fund --ignore-scripts \
    "dwv@$DWV" "konva@$KONVA" "jszip@$JSZIP" "magic-wand-tool@$MAGIC_WAND" "esbuild@$ESBUILD"
  # dwv's build resolves its workers against the page's address (webpack's document.baseURI),
  # so they would be looked for under every page that shows the viewer; resolve them against
  # the script's own address (webpack's publicPath, from import.meta.url) instead. The script
  # stops if dwv's build no longer has the six worker constructors this expects.
  node -e '
    const fs = require("fs");
    const file = "node_modules/dwv/dist/dwv.min.js";
    const pattern = /new Worker\(new URL\("\.\/"\+(\w+)\.u\((\d+)\),\1\.b\)/g;
    const source = fs.readFileSync(file, "utf8");
    const found = source.match(pattern) || [];
    if (found.length !== 6) throw new Error("dwv workers: expected 6, found " + found.length);
    fs.writeFileSync(file, source.replace(pattern, "new Worker(new URL($1.p+$1.u($2))"));
  '
  printf 'export * from "dwv";\n' > entry.js
  ./node_modules/.bin/esbuild entry.js --bundle --format=esm --minify --legal-comments=eof \
    --target=es2020 --log-level=warning --outfile=dwv.bundle.min.js
)
rm -rf "$DEST" && mkdir -p "$DEST/assets/workers"
cp "$WORK/dwv.bundle.min.js" "$DEST/dwv.bundle.min.js"
cp "$WORK"/node_modules/dwv/dist/assets/workers/*.worker.min.js "$DEST/assets/workers/"
cp "$WORK/node_modules/dwv/license.txt" "$DEST/LICENSE"
{
  printf 'Licences of the libraries bundled into dwv.bundle.min.js besides dwv (LICENSE).\n'
  for lib in konva jszip magic-wand-tool; do
    printf '\n==== %s ====\n' "$lib"
    for f in LICENSE LICENSE.md LICENSE.markdown license license.txt; do
      if [ -f "$WORK/node_modules/$lib/$f" ]; then cat "$WORK/node_modules/$lib/$f"; break; fi
    done
  done
} > "$DEST/LICENSE-bundled"
printf 'dwv %s (GPL-3.0), konva %s (MIT), jszip %s (MIT or GPL-3.0), magic-wand-tool %s (MIT), from the npm registry; bundled with esbuild %s into dwv.bundle.min.js (ES module, workers resolved against the script: see scripts/vendor-dwv.sh); assets/workers/ from dwv/dist\n' \
  "$DWV" "$KONVA" "$JSZIP" "$MAGIC_WAND" "$ESBUILD" > "$DEST/VERSION"
echo "vendored dwv $DWV into $DEST"
