#!/usr/bin/env bash
# Refresh the vendored front-end libraries in static/vendor/ from package.json (pinned exact versions).
# Leaflet itself is not here: it comes with django-leaflet (requirements.txt, its static/leaflet/), one copy only;
# the plugins below are loaded through LEAFLET_CONFIG["PLUGINS"] (config/settings.py).
# Used by `make vendor`; the copies are committed, so `make demo` needs neither Node nor a network.
# To upgrade: change the version in package.json, run this script, review and commit static/vendor/.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VENDOR="$ROOT/static/vendor"
NM="$ROOT/node_modules"
cd "$ROOT"
if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --ignore-scripts
else
  npm install --no-audit --no-fund --ignore-scripts
fi

copy() {  # copy <src> <dest dir>
  mkdir -p "$2"
  cp -R "$1" "$2/"
}

rm -rf "$VENDOR/echarts" "$VENDOR/leaflet.markercluster" "$VENDOR/leaflet.heat"

# ECharts: the full minified build (charts + map components).
copy "$NM/echarts/dist/echarts.min.js" "$VENDOR/echarts"
copy "$NM/echarts/LICENSE" "$VENDOR/echarts"
copy "$NM/echarts/NOTICE" "$VENDOR/echarts"

# Leaflet.markercluster: JS and both stylesheets.
copy "$NM/leaflet.markercluster/dist/leaflet.markercluster.js" "$VENDOR/leaflet.markercluster"
copy "$NM/leaflet.markercluster/dist/MarkerCluster.css" "$VENDOR/leaflet.markercluster"
copy "$NM/leaflet.markercluster/dist/MarkerCluster.Default.css" "$VENDOR/leaflet.markercluster"
copy "$NM/leaflet.markercluster/MIT-LICENCE.txt" "$VENDOR/leaflet.markercluster"

# Leaflet.heat: a heat-map layer.
copy "$NM/leaflet.heat/dist/leaflet-heat.js" "$VENDOR/leaflet.heat"
copy "$NM/leaflet.heat/LICENSE" "$VENDOR/leaflet.heat"

# Versions actually copied, for reviewers.
node -e '
const libs = ["echarts", "leaflet.markercluster", "leaflet.heat"];
const out = libs.map(n => n + " " + require("./node_modules/" + n + "/package.json").version).join("\n");
const note = "# Leaflet: from django-leaflet (static/leaflet/, see requirements.txt), not vendored here.";
require("fs").writeFileSync("static/vendor/VERSIONS.txt", out + "\n" + note + "\n");
'
echo "static/vendor updated:"
cat "$VENDOR/VERSIONS.txt"
