/* The phone page (/m/): add a household found on the spot (online only: the visit needs the server's id); it joins
 * the cached targets at once. Its location is the phone's fix (within 100 m), or a point the cadre taps on the map;
 * without one the form is not sent (issue 13: a household saved with no point made every later visit "无法核验").
 * Needs core.js, store.js, outbox.js (CSRF token, error text), location.js (locate) and map.js.
 * Exposes ZPhone.openHousehold.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P || !P.$("household-form")) return;
  var $ = P.$, show = P.show, t = P.t, state = P.state;
  var hh = { map: null, layer: null, picked: null }; // picked: {lat, lng} WGS-84, tapped on the map

  /** Where the household stands: the tapped point, else a good enough fix of the phone, else nothing. */
  function point() {
    if (hh.picked) return hh.picked;
    var p = state.position;
    return p && p.accuracy <= P.POOR_ACCURACY_M ? p : null;
  }

  function renderGeo() {
    var text = $("hh-geo-text");
    var p = state.position;
    var ds = text.dataset;
    if (hh.picked) text.textContent = ds.picked;
    else if (p && p.accuracy <= P.POOR_ACCURACY_M) text.textContent = ds.fix.replace("{acc}", Math.round(p.accuracy));
    else if (p) text.textContent = ds.poor.replace("{acc}", Math.round(p.accuracy));
    else if (state.locating) text.textContent = ds.waiting;
    else text.textContent = ds.none;
    $("hh-geo-box").classList.toggle("poor", !point());
    $("hh-geo-box").dataset.state = hh.picked ? "picked" : point() ? "fix" : state.locating ? "waiting" : "none";
    drawPoint();
  }

  function ensureMap() {
    if (hh.map) {
      hh.map.invalidateSize();
      return;
    }
    if (!window.L || !window.ZMap) return;
    // Centred on the phone's fix, else on the cadre's grid (the element's data-center).
    var at = state.position ? { center: [state.position.lat, state.position.lng] } : {};
    hh.map = ZMap.create($("hh-map"), at);
    hh.layer = L.layerGroup().addTo(hh.map);
    hh.map.on("click", function (e) {
      var w = ZMap.fromDisplay(e.latlng.lat, e.latlng.lng); // the tiles' system -> WGS-84, as every stored point
      hh.picked = { lat: w[0], lng: w[1] };
      show($("household-error"), false);
      renderGeo();
    });
  }

  function drawPoint() {
    if (!hh.map) return;
    hh.layer.clearLayers();
    var p = point();
    if (!p) return;
    ZMap.marker(p.lat, p.lng, { circle: true, radius: 7, color: "#fff", weight: 2, fillColor: "#c0392b", fillOpacity: 1 })
      .addTo(hh.layer);
    if (!hh.picked) hh.map.setView(ZMap.toDisplay(p.lat, p.lng), Math.max(hh.map.getZoom(), 17));
  }

  function openHousehold() {
    ensureMap();
    if (!state.position && !state.locating) P.locate();
    renderGeo();
  }
  P.positionListeners.push(function () { if (!$("panel-household").classList.contains("hidden")) renderGeo(); });
  $("hh-geo-refresh").addEventListener("click", function () {
    hh.picked = null;
    P.locate();
  });

  function householdBody(p) {
    var body = {
      address: $("hh-address").value.trim(),
      head_name: $("hh-name").value.trim(),
      phone: $("hh-phone").value.trim(),
      members: parseInt($("hh-members").value, 10) || 1,
      // The browser's Geolocation and the map's tap (after fromDisplay) are both WGS-84.
      lat: +p.lat.toFixed(7),
      lng: +p.lng.toFixed(7),
    };
    var me = state.boot && state.boot.me;
    if (me && me.unit && me.unit.kind === "grid") body.unit = me.unit.id;
    return body;
  }

  function fail(msg) {
    var err = $("household-error");
    err.textContent = String(msg && msg.message ? msg.message : msg);
    show(err, true);
  }

  $("household-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var done = $("household-result");
    show($("household-error"), false);
    show(done, false);
    if (!navigator.onLine) return fail(t("msg.offline_only_online"));
    var p = point();
    if (!p) return fail(t("msg.need_point")); // never saved silently without a location
    fetch(P.urls.households, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": ZOutbox.csrfToken(), Accept: "application/json" },
      body: JSON.stringify(householdBody(p)),
    })
      .then(function (r) { return r.json().catch(function () { return null; }).then(function (d) { return { r: r, d: d }; }); })
      .then(function (x) {
        if (x.r.status !== 201) throw ZOutbox.errorText(x.d) || "HTTP " + x.r.status;
        var h = x.d;
        var row = { type: "household", id: h.id, name: h.head_name, address: h.address, members: h.members,
          lat: h.lat, lng: h.lng, unit: h.unit, confirmed: h.confirmed };
        if (state.boot) {
          state.boot.targets.push(row);
          ZStore.set("bootstrap", state.boot);
        }
        $("household-form").reset();
        hh.picked = null;
        renderGeo();
        done.textContent = t("msg.household_added");
        show(done, true);
        P.renderTargets();
      })
      .catch(fail);
  });

  P.openHousehold = openHousehold;
})();
