/* Zoufang shared map helper: one place that starts a Leaflet map the way every page needs it.
 *
 * Used by the phone page (/m/), the tickets page and the dashboard. Leaflet comes through django-leaflet: the page
 * writes {% leaflet_css %}, {% leaflet_js %} (Leaflet and L.Map.djangoMap) and {% leaflet_map "map-id" creatediv=False %},
 * whose override (templates/leaflet/_leaflet_map.html: no inline script, strict CSP) writes the map's options from
 * LEAFLET_CONFIG on <div hidden data-leaflet-map="map-id" data-djoptions="{...}">: the tiles (MAP_TILES_URL) with
 * their datum (MAP_TILES_CRS), centre and zoom.
 *
 *   <div id="map" data-center="34.19,108.88" data-zoom="14"></div>
 *   const map = ZMap.create(document.getElementById("map"));   // L.Map.djangoMap: fires "map:init" as usual
 *   ZMap.marker(34.19, 108.88, {title: "..."}).addTo(map);   // WGS-84 in, shifted for the tiles
 *   ZMap.geoJSON(grid.boundary, {style: {...}}).addTo(map);  // GeoJSON in WGS-84
 *   layer.bindTooltip(ZMap.text(grid.name));                  // stored text: a DOM node, never an HTML string
 *
 * Points are stored in WGS-84 (SPEC §8). On GCJ-02 tiles (AMap, Tencent) they must be shifted for
 * display, else they land hundreds of metres off: toDisplay() does that; fromDisplay() undoes it
 * (for a click on the map). With no tile URL (the demo) the map has a plain background.
 */
(function (global) {
  "use strict";

  // --- WGS-84 -> GCJ-02, a port of campaign/geo.py (keep the two in step) ---------------------------------
  var A = 6378245.0;
  var EE = 0.00669342162296594323;
  var PI = Math.PI;

  function outOfChina(lat, lng) {
    return !(lng > 73.66 && lng < 135.05 && lat > 3.86 && lat < 53.55);
  }

  function transformLat(x, y) {
    var ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    ret += ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
    ret += ((20.0 * Math.sin(y * PI) + 40.0 * Math.sin((y / 3.0) * PI)) * 2.0) / 3.0;
    ret += ((160.0 * Math.sin((y / 12.0) * PI) + 320 * Math.sin((y * PI) / 30.0)) * 2.0) / 3.0;
    return ret;
  }

  function transformLng(x, y) {
    var ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    ret += ((20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0) / 3.0;
    ret += ((20.0 * Math.sin(x * PI) + 40.0 * Math.sin((x / 3.0) * PI)) * 2.0) / 3.0;
    ret += ((150.0 * Math.sin((x / 12.0) * PI) + 300.0 * Math.sin((x / 30.0) * PI)) * 2.0) / 3.0;
    return ret;
  }

  function wgs84ToGcj02(lat, lng) {
    if (outOfChina(lat, lng)) return [lat, lng];
    var dlat = transformLat(lng - 105.0, lat - 35.0);
    var dlng = transformLng(lng - 105.0, lat - 35.0);
    var rad = (lat / 180.0) * PI;
    var magic = 1 - EE * Math.sin(rad) * Math.sin(rad);
    var sqrtMagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * PI);
    dlng = (dlng * 180.0) / ((A / sqrtMagic) * Math.cos(rad) * PI);
    return [lat + dlat, lng + dlng];
  }

  function gcj02ToWgs84(lat, lng) {
    // Inverse by fixed-point iteration, as campaign/geo.py does.
    if (outOfChina(lat, lng)) return [lat, lng];
    var wlat = lat, wlng = lng;
    for (var i = 0; i < 10; i++) {
      var g = wgs84ToGcj02(wlat, wlng);
      var dlat = g[0] - lat, dlng = g[1] - lng;
      wlat -= dlat;
      wlng -= dlng;
      if (Math.abs(dlat) < 1e-9 && Math.abs(dlng) < 1e-9) break;
    }
    return [wlat, wlng];
  }

  // --- settings from {% leaflet_map %} -------------------------------------------------------------------
  /** The options django-leaflet wrote for the map `id` (any map's when no id: every map has the same tiles). */
  function djangoOptions(id) {
    if (typeof document === "undefined" || !document.querySelector) return null;
    var el = document.querySelector(id ? '[data-leaflet-map="' + id + '"]' : "[data-leaflet-map]");
    if (!el) return null;
    try {
      return JSON.parse(el.getAttribute("data-djoptions"));
    } catch (e) {
      return null;
    }
  }

  /** The base tiles: {tilesUrl, tilesCrs}, from LEAFLET_CONFIG["TILES"] (empty URL: none, a plain background). */
  function settings() {
    var dj = djangoOptions();
    var layer = dj && dj.layers && dj.layers[0];
    var attrs = (layer && layer[2]) || {};
    return { tilesUrl: layer ? layer[1] : "", tilesCrs: attrs.datum === "gcj02" ? "gcj02" : "wgs84" };
  }

  /** WGS-84 (stored) -> what the base tiles expect. Returns [lat, lng]. */
  function toDisplay(lat, lng) {
    return settings().tilesCrs === "gcj02" ? wgs84ToGcj02(lat, lng) : [lat, lng];
  }

  /** The tiles' coordinates (e.g. a click on the map) -> WGS-84. Returns [lat, lng]. */
  function fromDisplay(lat, lng) {
    return settings().tilesCrs === "gcj02" ? gcj02ToWgs84(lat, lng) : [lat, lng];
  }

  function parseCenter(text) {
    var parts = String(text || "").split(",");
    var lat = parseFloat(parts[0]), lng = parseFloat(parts[1]);
    return isFinite(lat) && isFinite(lng) ? [lat, lng] : null;
  }

  /**
   * Start a map on `el` with L.Map.djangoMap (django-leaflet: its tiles, then "map:init"). Options (each also readable
   * from el's data- attributes): center: [lat, lng] WGS-84 (data-center="lat,lng"), zoom (data-zoom), and any
   * Leaflet map option. Without them, LEAFLET_CONFIG's DEFAULT_CENTER / DEFAULT_ZOOM. Returns the L.Map.
   */
  function create(el, opts) {
    var L = global.L;
    if (!L || !L.Map.djangoMap) throw new Error("ZMap: load Leaflet with {% leaflet_js %} first");
    var dj = djangoOptions(el.id);
    if (!dj) throw new Error('ZMap: write {% leaflet_map "' + el.id + '" creatediv=False %} on the page');
    opts = opts || {};
    var ds = el.dataset || {};
    var s = settings();
    var center = opts.center || parseCenter(ds.center) || dj.center || [34.19, 108.88];
    var zoom = opts.zoom != null ? opts.zoom : ds.zoom ? parseInt(ds.zoom, 10) : dj.zoom || 13;
    // djangoMap takes centre and zoom from djoptions: the page's own, shifted for the tiles.
    var mapOpts = {
      zoomControl: true, attributionControl: !!s.tilesUrl, preferCanvas: true,
      djoptions: L.Util.extend({}, dj, { center: toDisplay(center[0], center[1]), zoom: zoom }),
      globals: false, callback: null,
    };
    for (var k in opts) {
      if (Object.prototype.hasOwnProperty.call(opts, k) && k !== "center" && k !== "zoom") mapOpts[k] = opts[k];
    }
    el.classList.add("zmap");
    if (!s.tilesUrl) el.classList.add("zmap-plain"); // plain background: styled in app.css / the page's CSS
    return L.Map.djangoMap(el, mapOpts);
  }

  /** A marker at a WGS-84 point (options as L.marker's, or L.circleMarker's when opts.circle). */
  function marker(lat, lng, opts) {
    var p = toDisplay(lat, lng);
    opts = opts || {};
    if (opts.circle) return global.L.circleMarker(p, opts);
    return global.L.marker(p, opts);
  }

  /** An L.geoJSON layer whose WGS-84 coordinates are shifted for the tiles. */
  function geoJSON(data, opts) {
    opts = opts || {};
    opts.coordsToLatLng = function (c) {
      var p = toDisplay(c[1], c[0]);
      return global.L.latLng(p[0], p[1]);
    };
    return global.L.geoJSON(data, opts);
  }

  /** Fit the map to a list of WGS-84 [lat, lng] points (no-op when empty). */
  function fitPoints(map, points, opts) {
    var shown = [];
    for (var i = 0; i < points.length; i++) {
      if (points[i] && isFinite(points[i][0]) && isFinite(points[i][1])) shown.push(toDisplay(points[i][0], points[i][1]));
    }
    if (shown.length === 1) map.setView(shown[0], Math.max(map.getZoom(), 16));
    else if (shown.length) map.fitBounds(shown, opts || { padding: [20, 20], maxZoom: 17 });
  }

  /**
   * Stored text for a Leaflet tooltip or popup, or any other place that takes markup: a DOM node whose
   * textContent is the text. Leaflet renders a STRING given to bindTooltip/bindPopup/setContent as HTML, so
   * data never goes there as a string (issue 12 item 9). `parts` are joined; null/undefined count as "".
   */
  function text() {
    var node = document.createElement("span");
    node.textContent = Array.prototype.map.call(arguments, function (p) { return p == null ? "" : String(p); }).join("");
    return node;
  }

  /** A link whose label is stored text (as text()); `href` is built by the caller from trusted parts. */
  function link(href, label) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = label == null ? "" : String(label);
    return a;
  }

  /** Great-circle distance in metres between two WGS-84 points (as campaign/geo.py's haversine_m). */
  function distanceM(lat1, lng1, lat2, lng2) {
    var R = 6371008.8;
    var p1 = (lat1 * PI) / 180, p2 = (lat2 * PI) / 180;
    var dp = p2 - p1, dl = ((lng2 - lng1) * PI) / 180;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  global.ZMap = {
    create: create,
    toDisplay: toDisplay,
    fromDisplay: fromDisplay,
    marker: marker,
    geoJSON: geoJSON,
    fitPoints: fitPoints,
    distanceM: distanceM,
    text: text,
    link: link,
    wgs84ToGcj02: wgs84ToGcj02,
    gcj02ToWgs84: gcj02ToWgs84,
    settings: settings,
  };
})(window);
