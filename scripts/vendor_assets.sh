#!/usr/bin/env bash
# Vendor the front-end assets the folium map needs into static/vendor/.
#
# Why: folium's default HTML loads Leaflet, jQuery, Bootstrap, Font Awesome and
# awesome-markers from third-party CDNs (jsdelivr, code.jquery.com, cdnjs,
# bootstrapcdn). The "Observatoire du numérique éducatif" must run without any
# third-party CDN (sovereignty, offline-safe), so we serve these files ourselves
# through Streamlit static serving (server.enableStaticServing = true ->
# static/ is served at /app/static/). components/offline.py points folium at them.
#
# Usage:   scripts/vendor_assets.sh            (from anywhere; needs node/npm + python venv)
# Output:  static/vendor/<pkg>-<version>/...  + static/vendor/VERSIONS.txt
#
# Reproducible: every version is pinned below, tarballs come from the npm
# registry via `npm pack` (npm verifies the registry integrity hash), only the
# files needed at run time are extracted, each package keeps its licence file.
# Idempotent: static/vendor is wiped and recreated on each run; the output
# contains no timestamp, so re-running gives a byte-identical tree.
# The output is committed: runtime and CI never need npm.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

# --- Pinned versions (match folium 0.20.0 default_js/default_css) ------------
LEAFLET_VERSION="1.9.3"              # folium.Map.default_js: leaflet@1.9.3
JQUERY_VERSION="3.7.1"               # folium.Map.default_js: jquery-3.7.1
BOOTSTRAP_VERSION="5.2.2"            # folium.Map.default_js/css: bootstrap@5.2.2
FONTAWESOME_VERSION="6.2.0"          # folium.Map.default_css: @fortawesome/fontawesome-free@6.2.0
AWESOME_MARKERS_VERSION="2.0.2"      # folium.Map.default_js/css: Leaflet.awesome-markers/2.0.2 (cdnjs)
AWESOME_MARKERS_LICENSE_PKG="leaflet.awesome-markers@2.0.5"  # same upstream project, ships the LICENSE file
MARKERCLUSTER_VERSION="1.1.0"        # folium.plugins.MarkerCluster: leaflet.markercluster/1.1.0 (cdnjs)
FULLSCREEN_VERSION="3.0.0"           # folium.plugins.Fullscreen: leaflet.fullscreen@3.0.0
D3_VERSION="3.5.5"                   # branca ColorMap (legends, e.g. folium.Choropleth) + streamlit_folium: d3/3.5.5 (cdnjs)
AXE_CORE_VERSION="4.10.3"            # accessibility tests only (injected by Playwright, not loaded by the app)
PLOTLY_LOCALES_VERSION="3.7.0"       # plotly.js French locale (modebar texts), passed in the charts' config
PLOTLY_BASIC_VERSION="4.1.1"         # plotly.js « basic » bundle = the plotly package's plotly.js version (instantané)
DEJAVU_VERSION="2.37.3"              # DejaVu Sans TTF embedded in the PDF fiches (observatoire/exports/pdf.py)
# folium itself: the version installed in the venv (used for leaflet.awesome.rotate.min.css + LICENSE)

command -v npm >/dev/null || { echo "npm is required" >&2; exit 1; }
command -v node >/dev/null || { echo "node is required" >&2; exit 1; }
[ -x "$PYTHON" ] || { echo "python venv not found at $PYTHON (set PYTHON=...)" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

rm -rf "$VENDOR"
mkdir -p "$VENDOR"
VERSIONS_BODY="$WORK/versions.body"
: >"$VERSIONS_BODY"

# fetch <npm spec>  -> prints the directory holding the extracted "package/" tree
fetch() {
  local spec="$1" dest
  dest="$WORK/$(echo "$spec" | tr '/@' '__')"
  mkdir -p "$dest"
  (cd "$dest" && npm pack --silent --json "$spec" >pack.json 2>/dev/null)
  tar -xzf "$dest"/*.tgz -C "$dest"
  echo "$dest"
}

# integrity <dir from fetch> -> sha512 integrity string of the tarball, as reported by npm
integrity() {
  "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["integrity"])' "$1/pack.json"
}

# put <src> <dest relative to VENDOR>
put() {
  mkdir -p "$(dirname "$VENDOR/$2")"
  cp "$1" "$VENDOR/$2"
}

# record <dir name> <npm source> <licence> <integrity or "-"> <note>
record() {
  local dir="$1" source="$2" licence="$3" integ="$4" note="$5"
  {
    echo "[$dir]"
    echo "source:    $source"
    echo "licence:   $licence"
    echo "integrity: $integ"
    [ -n "$note" ] && echo "note:      $note"
    echo "files:"
    (cd "$VENDOR/$dir" && find . -type f | LC_ALL=C sort | while read -r f; do
      printf '  %-48s %8s  sha256:%s\n' "${f#./}" "$(wc -c <"$f" | tr -d ' ')" "$(sha256sum "$f" | cut -d' ' -f1)"
    done)
    echo
  } >>"$VERSIONS_BODY"
}

# --- leaflet ------------------------------------------------------------------
d="$(fetch "leaflet@$LEAFLET_VERSION")"; t="leaflet-$LEAFLET_VERSION"
put "$d/package/dist/leaflet.js" "$t/leaflet.js"
put "$d/package/dist/leaflet.css" "$t/leaflet.css"
for f in "$d"/package/dist/images/*; do put "$f" "$t/images/$(basename "$f")"; done
put "$d/package/LICENSE" "$t/LICENSE"
record "$t" "npm leaflet@$LEAFLET_VERSION" "BSD-2-Clause" "$(integrity "$d")" ""

# --- jquery -------------------------------------------------------------------
d="$(fetch "jquery@$JQUERY_VERSION")"; t="jquery-$JQUERY_VERSION"
put "$d/package/dist/jquery.min.js" "$t/jquery.min.js"
put "$d/package/LICENSE.txt" "$t/LICENSE.txt"
record "$t" "npm jquery@$JQUERY_VERSION" "MIT" "$(integrity "$d")" ""

# --- bootstrap ----------------------------------------------------------------
d="$(fetch "bootstrap@$BOOTSTRAP_VERSION")"; t="bootstrap-$BOOTSTRAP_VERSION"
put "$d/package/dist/js/bootstrap.bundle.min.js" "$t/js/bootstrap.bundle.min.js"
put "$d/package/dist/css/bootstrap.min.css" "$t/css/bootstrap.min.css"
put "$d/package/LICENSE" "$t/LICENSE"
record "$t" "npm bootstrap@$BOOTSTRAP_VERSION" "MIT" "$(integrity "$d")" ""

# --- font awesome free ----------------------------------------------------------
d="$(fetch "@fortawesome/fontawesome-free@$FONTAWESOME_VERSION")"; t="fontawesome-free-$FONTAWESOME_VERSION"
put "$d/package/css/all.min.css" "$t/css/all.min.css"
for f in "$d"/package/webfonts/*; do put "$f" "$t/webfonts/$(basename "$f")"; done
put "$d/package/LICENSE.txt" "$t/LICENSE.txt"
record "$t" "npm @fortawesome/fontawesome-free@$FONTAWESOME_VERSION" \
  "CC-BY-4.0 (icons) AND OFL-1.1 (fonts) AND MIT (code)" "$(integrity "$d")" ""

# --- Leaflet.awesome-markers 2.0.2 ------------------------------------------------
# drmonty-leaflet-awesome-markers@2.0.2 is the npm repackaging of the exact
# upstream 2.0.2 release served by cdnjs; it ships no LICENSE file (its metadata
# says MIT, upstream lvoogdt/Leaflet.awesome-markers), so the upstream MIT
# LICENSE text is taken from the official leaflet.awesome-markers npm package.
# (leaflet.awesome-markers@2.0.5 itself is not used: its css/sprites differ.)
d="$(fetch "drmonty-leaflet-awesome-markers@$AWESOME_MARKERS_VERSION")"; t="leaflet.awesome-markers-$AWESOME_MARKERS_VERSION"
put "$d/package/js/leaflet.awesome-markers.js" "$t/leaflet.awesome-markers.js"
put "$d/package/css/leaflet.awesome-markers.css" "$t/leaflet.awesome-markers.css"
for f in "$d"/package/css/images/*; do put "$f" "$t/images/$(basename "$f")"; done
integ="$(integrity "$d")"
dl="$(fetch "$AWESOME_MARKERS_LICENSE_PKG")"
put "$dl/package/LICENSE" "$t/LICENSE"
record "$t" "npm drmonty-leaflet-awesome-markers@$AWESOME_MARKERS_VERSION (LICENSE from npm $AWESOME_MARKERS_LICENSE_PKG, $(integrity "$dl"))" \
  "MIT" "$integ" "upstream https://github.com/lvoogdt/Leaflet.awesome-markers, (c) 2012-2013 Lennard Voogdt"

# --- folium: leaflet.awesome.rotate.min.css ----------------------------------------
# folium's default_css loads folium/templates/leaflet.awesome.rotate.min.css from
# the folium GitHub repo via jsdelivr; it is NOT shipped in the folium wheel.
# It only defines .fa-rotate-N { transform: rotate(Ndeg) } for N = 1..360 (used by
# folium.Icon(angle=N)), so we regenerate the same rules here, deterministically.
FOLIUM_VERSION="$("$PYTHON" -c 'import folium; print(folium.__version__)')"
FOLIUM_LICENSE="$("$PYTHON" - <<'EOF'
from importlib.metadata import distribution
d = distribution("folium")
for f in d.files or []:
    if f.name.upper().startswith("LICENSE"):
        print(f.locate())
        break
EOF
)"
[ -f "$FOLIUM_LICENSE" ] || { echo "folium LICENSE not found in the venv" >&2; exit 1; }
t="folium-$FOLIUM_VERSION"
mkdir -p "$VENDOR/$t"
for n in $(seq 1 360); do
  printf '.fa-rotate-%d{-ms-transform:rotate(%ddeg);-webkit-transform:rotate(%ddeg);transform:rotate(%ddeg)}\n' "$n" "$n" "$n" "$n"
done >"$VENDOR/$t/leaflet.awesome.rotate.min.css"
put "$FOLIUM_LICENSE" "$t/LICENSE.txt"
record "$t" "generated: equivalent of folium/templates/leaflet.awesome.rotate.min.css (python-visualization/folium); LICENSE.txt from the installed folium $FOLIUM_VERSION wheel" \
  "MIT" "-" "regenerated by this script (.fa-rotate-1 .. .fa-rotate-360)"

# --- leaflet.markercluster -----------------------------------------------------
d="$(fetch "leaflet.markercluster@$MARKERCLUSTER_VERSION")"; t="leaflet.markercluster-$MARKERCLUSTER_VERSION"
put "$d/package/dist/leaflet.markercluster.js" "$t/leaflet.markercluster.js"
put "$d/package/dist/MarkerCluster.css" "$t/MarkerCluster.css"
put "$d/package/dist/MarkerCluster.Default.css" "$t/MarkerCluster.Default.css"
put "$d/package/MIT-LICENCE.txt" "$t/MIT-LICENCE.txt"
record "$t" "npm leaflet.markercluster@$MARKERCLUSTER_VERSION" "MIT" "$(integrity "$d")" ""

# --- leaflet.fullscreen ----------------------------------------------------------
# folium asks jsdelivr for Control.FullScreen.min.js, which jsdelivr minifies on
# the fly; the npm package only ships Control.FullScreen.js (unminified, same code).
d="$(fetch "leaflet.fullscreen@$FULLSCREEN_VERSION")"; t="leaflet.fullscreen-$FULLSCREEN_VERSION"
put "$d/package/Control.FullScreen.js" "$t/Control.FullScreen.js"
put "$d/package/Control.FullScreen.css" "$t/Control.FullScreen.css"
put "$d/package/icon-fullscreen.svg" "$t/icon-fullscreen.svg"
put "$d/package/LICENSE" "$t/LICENSE"
record "$t" "npm leaflet.fullscreen@$FULLSCREEN_VERSION" "MIT" "$(integrity "$d")" \
  "Control.FullScreen.js is the unminified file (npm has no .min.js)"

# --- d3 v3 (branca colormap legends) ----------------------------------------------
# branca.colormap.ColorMap.render() hardcodes cdnjs d3/3.5.5 and streamlit_folium
# injects it (plus d3js.org d3.v4) for any colormap; the legend template uses the
# d3 v3 API (d3.scale.linear, d3.svg.axis), so only v3 is vendored.
d="$(fetch "d3@$D3_VERSION")"; t="d3-$D3_VERSION"
put "$d/package/d3.min.js" "$t/d3.min.js"
put "$d/package/LICENSE" "$t/LICENSE"
record "$t" "npm d3@$D3_VERSION" "BSD-3-Clause" "$(integrity "$d")" \
  "used by branca colormap legends (folium.Choropleth legend_name, branca.colormap.*)"

# --- axe-core (tests only) --------------------------------------------------------
d="$(fetch "axe-core@$AXE_CORE_VERSION")"; t="axe-core-$AXE_CORE_VERSION"
put "$d/package/axe.min.js" "$t/axe.min.js"
put "$d/package/LICENSE" "$t/LICENSE"
record "$t" "npm axe-core@$AXE_CORE_VERSION" "MPL-2.0" "$(integrity "$d")" \
  "accessibility tests only: injected by Playwright, never loaded by the app"

# --- plotly.js French locale -------------------------------------------------------
# Streamlit bundles plotly.js without its locales: the modebar says « Download plot as a PNG », « Pan »…
# plotly accepts a locale in each chart's config (`config.locales`), so the French one is converted from the
# package's CommonJS module to JSON and read by components/charts.py.
d="$(fetch "plotly.js-locales@$PLOTLY_LOCALES_VERSION")"; t="plotly.js-locales-$PLOTLY_LOCALES_VERSION"
mkdir -p "$VENDOR/$t"
node -e 'const m = require(process.argv[1]); process.stdout.write(JSON.stringify({dictionary: m.dictionary, format: m.format}, null, 1) + "\n")' \
  "$d/package/fr.js" >"$VENDOR/$t/fr.json"
put "$d/package/LICENSE" "$t/LICENSE"
record "$t" "npm plotly.js-locales@$PLOTLY_LOCALES_VERSION (fr.js converted to JSON)" "MIT" "$(integrity "$d")" \
  "French modebar and date texts of the plotly charts (config.locales)"

# --- plotly.js partial bundle (instantané de séance) ---------------------------------
# The instantané (observatoire/exports/html.py) inlines plotly.js so that it opens offline and is one request
# behind the QR code. Its figures are scatter traces (map, lines): the « basic » bundle (scatter, bar, pie)
# weighs 1,2 MB instead of 4,8 MB for the plotly package's full plotly.min.js (150 phones of a séminaire room:
# 180 MB instead of 720 MB). Same version as the plotly package's bundle (a test checks it); a figure with
# another trace type falls back to the full bundle.
d="$(fetch "plotly.js-basic-dist-min@$PLOTLY_BASIC_VERSION")"; t="plotly.js-basic-dist-min-$PLOTLY_BASIC_VERSION"
put "$d/package/plotly-basic.min.js" "$t/plotly-basic.min.js"
put "$d/package/LICENSE" "$t/LICENSE"
record "$t" "npm plotly.js-basic-dist-min@$PLOTLY_BASIC_VERSION" "MIT" "$(integrity "$d")" \
  "plotly.js partial bundle (scatter, bar, pie) inlined in the instantané de séance (observatoire/exports/html.py); same version as the plotly package's plotly.min.js"

# --- DejaVu Sans (PDF fiches) -------------------------------------------------------
# fpdf2's core fonts are Latin-1 only: the fiches (« », U+202F, œ, ’) embed DejaVu Sans, regular and bold
# (a subset of each is embedded in every PDF: nothing is read from the system or the network at run time).
d="$(fetch "dejavu-fonts-ttf@$DEJAVU_VERSION")"; t="dejavu-fonts-ttf-$DEJAVU_VERSION"
put "$d/package/ttf/DejaVuSans.ttf" "$t/DejaVuSans.ttf"
put "$d/package/ttf/DejaVuSans-Bold.ttf" "$t/DejaVuSans-Bold.ttf"
put "$d/package/LICENSE" "$t/LICENSE"
record "$t" "npm dejavu-fonts-ttf@$DEJAVU_VERSION" "Bitstream-Vera AND LicenseRef-Arev-Fonts (free; see LICENSE)" \
  "$(integrity "$d")" "fonts of the one-page PDF fiches (observatoire/exports/pdf.py), embedded as subsets"

# --- VERSIONS.txt -------------------------------------------------------------------
{
  echo "# static/vendor — third-party front-end assets served locally (no CDN at run time)"
  echo "# GENERATED by scripts/vendor_assets.sh — do not edit by hand, re-run the script."
  echo "# Served by Streamlit static serving at /app/static/vendor/...; wired into folium"
  echo "# by components/offline.py:use_local_assets()."
  echo "#"
  echo "# Not vendored on purpose:"
  echo "#   - glyphicons_css (https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css):"
  echo "#     Bootstrap 3 glyphicons, only needed by folium.Icon(prefix='glyphicon') (folium's default"
  echo "#     prefix). use_local_assets() drops it from folium.Map.default_css; the app must create"
  echo "#     icons with folium.Icon(prefix='fa', icon=...) (Font Awesome 6, vendored below)."
  echo "#   - d3 v4 (https://d3js.org/d3.v4.min.js): streamlit_folium adds it for any branca colormap"
  echo "#     but the legend template only uses the d3 v3 API; offline.patch_streamlit_folium() drops it."
  echo "#   - source maps (*.map): the minified files keep their sourceMappingURL comment; the"
  echo "#     browser only requests it when devtools are open (same origin, 404, harmless)."
  echo
  cat "$VERSIONS_BODY"
} >"$VENDOR/VERSIONS.txt"

echo "Vendored into $VENDOR:"
du -sh "$VENDOR"/* | sed "s|$VENDOR/||"
echo "total: $(du -sh "$VENDOR" | cut -f1)"
