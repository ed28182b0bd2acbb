/* The phone page (/m/): where the cadre stands (the browser's Geolocation, WGS-84) and the map around them.
 * Needs core.js (window.ZPhone), map.js (ZMap) and Leaflet. Exposes ZPhone.locate, ensureMap, drawPosition;
 * calls ZPhone.positionListeners after each attempt (the household form waits for a fix, household.js).
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, show = P.show, state = P.state;

  /** Tell the listeners where things stand: locating (waiting for a fix), or done with geoError null | "denied" | "none". */
  function told(locating, error) {
    state.locating = locating;
    state.geoError = error || null;
    P.positionListeners.forEach(function (fn) { fn(); });
  }
  function locate() {
    var text = $("geo-text");
    if (!navigator.geolocation) {
      text.textContent = text.dataset.none;
      told(false, "none");
      return;
    }
    told(true, null);
    text.textContent = text.dataset.waiting;
    navigator.geolocation.getCurrentPosition(
      function (p) {
        state.position = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy };
        var acc = Math.round(p.coords.accuracy);
        text.textContent = text.dataset.fix.replace("{acc}", acc) + " (" + p.coords.latitude.toFixed(5) + ", " +
          p.coords.longitude.toFixed(5) + ")";
        show($("geo-warn"), acc > P.POOR_ACCURACY_M);
        $("geo-box").classList.toggle("poor", acc > P.POOR_ACCURACY_M);
        drawPosition();
        P.renderTargets();
        P.fetchNearby();
        told(false, null);
      },
      function (err) {
        state.position = null;
        text.textContent = err && err.code === 1 ? text.dataset.denied : text.dataset.none;
        show($("geo-warn"), false);
        told(false, err && err.code === 1 ? "denied" : "none");
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 }
    );
  }
  $("geo-refresh").addEventListener("click", locate);

  function ensureMap() {
    if (state.map || !window.L || !window.ZMap) {
      if (state.map) state.map.invalidateSize();
      return;
    }
    var center = state.position ? [state.position.lat, state.position.lng] : null;
    state.map = ZMap.create($("m-map"), center ? { center: center } : {});
    state.targetLayer = L.layerGroup().addTo(state.map);
    state.posLayer = L.layerGroup().addTo(state.map);
  }
  function drawPosition() {
    if (!state.map || !state.position) return;
    var p = state.position;
    state.posLayer.clearLayers();
    var shown = ZMap.toDisplay(p.lat, p.lng);
    // Colours as options, not CSS classes: map.js draws on a canvas.
    L.circle(shown, { radius: p.accuracy, color: "#2563eb", weight: 1, fillOpacity: 0.12 }).addTo(state.posLayer);
    ZMap.marker(p.lat, p.lng, { circle: true, radius: 7, color: "#fff", weight: 2, fillColor: "#dc2626", fillOpacity: 1 })
      .addTo(state.posLayer);
    state.map.setView(shown, Math.max(state.map.getZoom(), 16));
  }

  P.locate = locate;
  P.ensureMap = ensureMap;
  P.drawPosition = drawPosition;
})();
