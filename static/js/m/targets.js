/* The phone page (/m/): the targets to visit — the cached ones of the cadre's area merged with those the
 * near= API finds around the position — listed nearest first, on the map, and the one chosen.
 * Needs core.js and map.js. Exposes ZPhone.fetchNearby, renderTargets, choose.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, el = P.el, show = P.show, state = P.state, targetKey = P.targetKey;

  function fetchNearby() {
    if (!navigator.onLine || !state.position) return;
    var near = "near=" + state.position.lat.toFixed(6) + "," + state.position.lng.toFixed(6) + "&radius_m=1000&page_size=50";
    Promise.all([
      P.getJson(P.urls.households + "?" + near).catch(function () { return { results: [] }; }),
      P.getJson("/api/v1/enterprises/?" + near).catch(function () { return { results: [] }; }),
    ]).then(function (res) {
      var rows = [];
      (res[0].results || []).forEach(function (h) {
        rows.push({ type: "household", id: h.id, name: h.head_name, address: h.address, lat: h.lat, lng: h.lng, confirmed: h.confirmed });
      });
      (res[1].results || []).forEach(function (e) {
        rows.push({ type: "enterprise", id: e.id, name: e.name, address: e.address, lat: e.lat, lng: e.lng });
      });
      state.apiNearby = rows;
      renderTargets();
    });
  }

  function candidateTargets() {
    var seen = {};
    var rows = [];
    ((state.boot && state.boot.targets) || []).concat(state.apiNearby).forEach(function (r) {
      var k = targetKey(r.type, r.id);
      if (!seen[k]) { seen[k] = true; rows.push(r); }
    });
    var filter = (document.querySelector("input[name=target_filter]:checked") || {}).value || "all";
    var q = $("target-search").value.trim().toLowerCase();
    var p = state.position;
    return rows
      .filter(function (r) {
        if (filter !== "all" && r.type !== filter) return false;
        if (q && ((r.name || "") + " " + (r.address || "")).toLowerCase().indexOf(q) < 0) return false;
        return true;
      })
      .map(function (r) {
        var d = p && r.lat != null && r.lng != null ? ZMap.distanceM(p.lat, p.lng, r.lat, r.lng) : null;
        return { row: r, d: d };
      })
      .sort(function (a, b) {
        if (a.d == null && b.d == null) return a.row.id - b.row.id;
        if (a.d == null) return 1;
        if (b.d == null) return -1;
        return a.d - b.d;
      })
      .slice(0, P.NEARBY_SHOWN);
  }

  function renderTargets() {
    var ul = $("target-list");
    var items = candidateTargets();
    ul.textContent = "";
    if (state.targetLayer) state.targetLayer.clearLayers();
    items.forEach(function (it) {
      var r = it.row;
      var li = el("li", "target" + (state.chosen && targetKey(state.chosen.type, state.chosen.id) === targetKey(r.type, r.id) ? " chosen" : ""));
      li.dataset.key = targetKey(r.type, r.id);
      li.setAttribute("role", "button");
      li.tabIndex = 0;
      var head = el("div", "t-head");
      head.appendChild(el("span", "badge " + r.type, ul.dataset[r.type]));
      head.appendChild(el("b", null, r.name || ""));
      if (r.confirmed === false) head.appendChild(el("span", "badge pending", ul.dataset.unconfirmed));
      if (it.d != null) head.appendChild(el("span", "dist", Math.round(it.d) + " m"));
      li.appendChild(head);
      li.appendChild(el("div", "muted", r.address || ""));
      li.addEventListener("click", function () { choose(r); });
      ul.appendChild(li);
      if (state.targetLayer && r.lat != null && r.lng != null) {
        var chosen = state.chosen && targetKey(state.chosen.type, state.chosen.id) === targetKey(r.type, r.id);
        ZMap.marker(r.lat, r.lng, { circle: true, radius: chosen ? 8 : 5, color: "#fff", weight: 1, fillOpacity: 0.9,
          fillColor: chosen ? "#c0392b" : r.type === "household" ? "#1d4ed8" : "#7c3aed" })
          .on("click", function () { choose(r); })
          .addTo(state.targetLayer);
      }
    });
    show($("target-empty"), items.length === 0);
    drawChosenApart(items);
  }
  /** The chosen target when the list does not hold it (a ticket's requester or place, duty.js): on the map too. */
  function drawChosenApart(items) {
    var c = state.chosen;
    if (!state.targetLayer || !c || c.lat == null || c.lng == null) return;
    var listed = items.some(function (it) { return targetKey(it.row.type, it.row.id) === targetKey(c.type, c.id); });
    if (listed) return;
    ZMap.marker(c.lat, c.lng, { circle: true, radius: 8, color: "#fff", weight: 1, fillOpacity: 0.9, fillColor: "#c0392b" })
      .addTo(state.targetLayer);
  }
  /** Choose the target of the next visit (null: none). A row with no type is a ticket's place (duty.js). */
  function choose(r) {
    state.chosen = r;
    var c = $("target-chosen");
    if (r) {
      show($("visit-result"), false); // a new visit begins: the last one's result has been seen
      var kind = r.type ? $("target-list").dataset[r.type] + "：" : "";
      c.textContent = kind + (r.name || "") + " · " + (r.address || "");
    }
    show(c, !!r);
    renderTargets();
  }
  $("target-search").addEventListener("input", renderTargets);
  var filters = document.querySelectorAll("input[name=target_filter]");
  for (var fi = 0; fi < filters.length; fi++) filters[fi].addEventListener("change", renderTargets);

  P.fetchNearby = fetchNearby;
  P.renderTargets = renderTargets;
  P.choose = choose;
})();
