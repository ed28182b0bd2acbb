/* The ticket page (/tickets/<id>/): its small map and the confirmation of irreversible actions.
 * No inline script (strict CSP): the point comes from data- attributes of #ticket-map. */
(function () {
  "use strict";

  function startMap() {
    var el = document.getElementById("ticket-map");
    if (!el || !window.L) return;
    var lat = parseFloat(el.dataset.lat), lng = parseFloat(el.dataset.lng);
    if (!isFinite(lat) || !isFinite(lng)) return;
    var zoom = parseInt(el.dataset.zoom || "16", 10);
    var map, point;
    if (window.ZMap) {
      map = window.ZMap.create(el, { center: [lat, lng], zoom: zoom, scrollWheelZoom: false });
      point = window.ZMap.marker(lat, lng, { circle: true, radius: 8, color: "#c0392b", fillOpacity: 0.8 });
    } else {
      el.classList.add("zmap-plain");
      map = L.map(el, { scrollWheelZoom: false, attributionControl: false }).setView([lat, lng], zoom);
      point = L.circleMarker([lat, lng], { radius: 8, color: "#c0392b", fillOpacity: 0.8 });
    }
    if (el.dataset.boundary) {
      try {
        var shape = JSON.parse(el.dataset.boundary);
        var style = { color: "#2563eb", weight: 2, fillOpacity: 0.05 };
        (window.ZMap ? window.ZMap.geoJSON(shape, { style: style }) : L.geoJSON(shape, { style: style })).addTo(map);
      } catch (e) {
        /* a malformed boundary only costs the outline */
      }
    }
    point.addTo(map);
    el.dataset.ready = "1"; // for tests and for anyone waiting on the map
  }

  function confirmDanger() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  function showFailedForm() {
    // After a refused action the page opens the form that failed: bring it into view on a phone.
    var open = document.querySelector("details.action[open]");
    if (open && document.getElementById("action-errors")) open.scrollIntoView({ block: "start" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    startMap();
    confirmDanger();
    showFailedForm();
  });
})();
