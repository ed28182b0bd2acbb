/* The leaders' dashboard (/dashboard/): draws the charts and the map from data- attributes and JSON endpoints.
 *
 * The figures themselves are rendered by the server (dashboard/views.py) from the same selectors as the stats
 * API; this file only fetches the daily series (/api/v1/stats/daily/), the grid boundaries with each grid's visits
 * in the period (/dashboard/grids.geojson, from the rollups: the map's shading) and open tickets
 * (/api/v1/geo/tickets/). The heat layer of visit points (/api/v1/geo/visits/, raw rows) loads only when the
 * leader turns it on in the layer control, so the page itself reads rollups only.
 * The charts are drawn by charts.js (window.ZDashCharts); wall-screen mode (?wall=1) refreshes in place and pages
 * through long lists (wall.js, window.ZDashWall) — never a full reload. On a display link's wall
 * (/dashboard/wall/<token>/, data-display="1") the data URLs carry the token in their path, fetches send no
 * cookies, nothing drills down or links to a ticket, and there is no heat layer. Each chart / the map sets
 * data-ready="1" when drawn (the browser test waits for it).
 * Hot spots (/api/v1/stats/hotspots/, or a display link's hotspots.json: data-hotspots-url): tickets of one category
 * gathered within ~500 m in the period, drawn as circles on the map (an overlay, on) and listed under it; an item
 * of the list centres the map on its circle.
 */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root) return;
  var ds = root.dataset;
  var wall = ds.wall === "1";
  var display = ds.display === "1";
  var SUPERVISION_COLORS = { 0: "#2563eb", 1: "#eab308", 2: "#dc2626" };
  var T = {};
  try { T = JSON.parse(ds.labels || "{}"); } catch (e) { T = {}; }
  function t(key, fallback) { return T[key] || fallback; }
  // On the wide wall everything is sized to the screen: 1 at 1920×1080, 2 at 3840×2160 (static/css/dashboard.css --u).
  var scale = wall && window.matchMedia("(min-width: 1280px) and (min-height: 600px)").matches
    ? Math.min(window.innerWidth / 1920, window.innerHeight / 1080) : 1;
  var charts = window.ZDashCharts({ wall: wall, t: t, scale: Math.max(scale, 0.75) });
  var reloadTickets = function () { return Promise.resolve(); };
  var hotspotMap = { map: null, layer: null, circles: {} };

  function getJSON(url) {
    return fetch(url, { credentials: display ? "omit" : "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + " → " + r.status);
      return r.json();
    });
  }

  function drillTo(unitId) {
    var params = new URLSearchParams(window.location.search);
    params.set("unit", String(unitId));
    window.location.search = params.toString();
  }

  function bboxOf(map, grids) {
    if (grids && grids.bbox) return grids.bbox;
    var b = map.getBounds();
    var sw = window.ZMap.fromDisplay(b.getSouth(), b.getWest());
    var ne = window.ZMap.fromDisplay(b.getNorth(), b.getEast());
    return [sw[1], sw[0], ne[1], ne[0]];
  }

  function withBbox(url, box) {
    var pad = 0.002;
    var text = [box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad].map(function (v) { return v.toFixed(5); }).join(",");
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "bbox=" + text;
  }

  // Grid shading by visits in the period: five steps of one hue, from the largest grid's count.
  var SHADES = wall ? ["#0c2a4a", "#0e4272", "#155e9c", "#1d7ccc", "#38bdf8"] : ["#eff6ff", "#bfdbfe", "#60a5fa", "#2563eb", "#1e3a8a"];
  function shade(visits, most) {
    if (!visits || !most) return { fillColor: wall ? "#0b1a30" : "#f8fafc", fillOpacity: wall ? 0.3 : 0.2 };
    var step = Math.min(SHADES.length - 1, Math.floor((visits / most) * SHADES.length));
    return { fillColor: SHADES[step], fillOpacity: 0.55 };
  }

  function heatOnDemand(map, box) {
    // An empty group in the layer control; ticking it fetches the visit points once and draws the heat layer.
    var L = window.L, ZMap = window.ZMap, holder = L.layerGroup(), loaded = false;
    map.on("overlayadd", function (e) {
      if (e.layer !== holder || loaded || !L.heatLayer) return;
      loaded = true;
      getJSON(withBbox(ds.visitsUrl, box)).then(function (data) {
        var points = (data.features || []).map(function (f) {
          var p = ZMap.toDisplay(f.geometry.coordinates[1], f.geometry.coordinates[0]);
          return [p[0], p[1], 0.6];
        });
        holder.addLayer(L.heatLayer(points, { radius: 14, blur: 16, maxZoom: 16, minOpacity: 0.25 }));
        map.getContainer().dataset.visits = String(points.length);
      }).catch(function (err) { root.dataset.error = String(err); });
    });
    return holder;
  }

  function drawMap() {
    var el = document.getElementById("dash-map");
    if (!el || !window.L || !window.ZMap) return Promise.resolve();
    var L = window.L, ZMap = window.ZMap;
    // a wall fits its grids closely (quarter zoom steps): nobody zooms it by hand
    var map = ZMap.create(el, { zoom: 12, scrollWheelZoom: !wall, zoomSnap: wall ? 0.25 : 1 });
    var overlays = {};
    var box = null;
    if (ds.hotspotsUrl) {
      hotspotMap = { map: map, layer: L.layerGroup(), circles: {} }; // on the map above the grids, below tickets
    }
    return getJSON(ds.gridsUrl)
      .then(function (grids) {
        var features = grids.features || [];
        var most = features.reduce(function (m, f) { return Math.max(m, f.properties.visits || 0); }, 0);
        var layer = ZMap.geoJSON(grids, {
          style: function (feature) {
            var s = shade(feature.properties.visits, most);
            return { color: wall ? "#38bdf8" : "#2563eb", weight: 1.2, fillColor: s.fillColor, fillOpacity: s.fillOpacity };
          },
          onEachFeature: function (feature, lyr) {
            var p = feature.properties;
            lyr.bindTooltip(ZMap.text(p.name, "（", p.community, "）", t("visits", "走访"), " ", p.visits || 0), { sticky: true });
            if (!display) lyr.on("click", function () { drillTo(p.id); });
          },
        }).addTo(map);
        overlays[t("grids", "网格")] = layer;
        if (hotspotMap.layer) hotspotMap.layer.addTo(map);
        el.dataset.grids = String(features.length);
        if (grids.bbox) {
          ZMap.fitPoints(map, [[grids.bbox[1], grids.bbox[0]], [grids.bbox[3], grids.bbox[2]]], { padding: [10, 10] });
        }
        box = bboxOf(map, grids);
        if (ds.visitsUrl) overlays[t("heat", "走访热力")] = heatOnDemand(map, box);
        return getJSON(withBbox(ds.ticketsUrl, box));
      })
      .then(function (result) {
        var ticketLayer = L.layerGroup();
        reloadTickets = function () {
          return getJSON(withBbox(ds.ticketsUrl, box)).then(function (fresh) { drawTickets(ticketLayer, fresh); });
        };
        drawTickets(ticketLayer, result);
        overlays[t("tickets", "在办工单")] = ticketLayer.addTo(map);
        if (hotspotMap.layer) overlays[t("hotspots", "诉求热点")] = hotspotMap.layer; // last in the layer control
        L.control.layers(null, overlays, { collapsed: true }).addTo(map);
        el.dataset.ready = "1";
      });
  }

  // The open tickets as points, drawn again into the same layer on a wall's refresh.
  function drawTickets(ticketLayer, result) {
    var L = window.L, ZMap = window.ZMap;
    var tickets = result.features || [];
    ticketLayer.clearLayers();
    tickets.forEach(function (f) {
          var level = f.properties.supervision || 0;
          var marker = ZMap.marker(f.geometry.coordinates[1], f.geometry.coordinates[0], {
            circle: true, radius: level ? 7 : 5, weight: f.properties.overdue ? 2.5 : 1,
            color: f.properties.overdue ? "#7f1d1d" : "#ffffff", fillColor: SUPERVISION_COLORS[level] || "#2563eb", fillOpacity: 0.9,
          });
          // A display link's wall has no session to open a ticket with: its popup is the code and category only.
          if (display) marker.bindPopup(ZMap.text(f.properties.code, " ", f.properties.category || ""));
          else marker.bindPopup(ZMap.link("/tickets/" + Number(f.properties.id) + "/", f.properties.code));
          ticketLayer.addLayer(marker);
    });
    document.getElementById("dash-map").dataset.tickets = String(tickets.length);
  }

  // Hot spots: a circle per cluster (its area grows with the count) and a list, largest first.
  function hotspotCircle(spot, most) {
    var p = window.ZMap.toDisplay(spot.centre.lat, spot.centre.lng);
    var circle = window.L.circle(p, {
      radius: 120 + 260 * Math.sqrt(spot.count / most), color: "#ea580c", weight: 2, fillColor: "#f97316", fillOpacity: 0.3,
    });
    var growth = spot.growth > 0 ? "+" + spot.growth : String(spot.growth);
    circle.bindTooltip(window.ZMap.text(spot.category, " ", spot.count, t("axis_tickets", "件"), "（",
      t("vs_previous", "较上期"), " ", growth, "）"), { sticky: true });
    if (!display && spot.ticket_ids.length) {
      circle.bindPopup(window.ZMap.link("/tickets/" + Number(spot.ticket_ids[0]) + "/",
        spot.category + " " + spot.count + t("axis_tickets", "件") + " · " + t("newest_tickets", "最新工单")));
    }
    return circle;
  }

  function hotspotItem(spot) {
    var li = document.createElement("li");
    li.dataset.cell = spot.cell;
    var go = document.createElement("button");
    go.type = "button";
    go.className = "hotspot-go";
    go.textContent = spot.category;
    go.addEventListener("click", function () {
      var circle = hotspotMap.circles[spot.cell];
      if (!circle) return;
      hotspotMap.map.setView(circle.getLatLng(), Math.max(hotspotMap.map.getZoom(), 15));
      circle.openTooltip();
    });
    var count = document.createElement("span");
    count.className = "hotspot-count";
    count.textContent = spot.count + t("axis_tickets", "件");
    var growth = document.createElement("span");
    growth.className = "hotspot-growth" + (spot.growth > 0 ? " up" : "");
    growth.textContent = t("vs_previous", "较上期") + " " + (spot.growth > 0 ? "+" : "") + spot.growth;
    li.append(go, count, growth);
    if (!display && spot.ticket_ids.length) {
      li.appendChild(window.ZMap.link("/tickets/" + Number(spot.ticket_ids[0]) + "/", t("newest_tickets", "最新工单")));
    }
    if (!display && spot.topic) { // already a monthly topic: its page
      var topic = window.ZMap.link("/tickets/topics/" + Number(spot.topic) + "/", t("topic", "专题"));
      topic.className = "hotspot-topic";
      li.appendChild(topic);
    } else if (!display && !wall && ds.promoteUrl) { // a leader makes it a monthly topic, the form pre-filled from it
      var q = new URLSearchParams({
        category: spot.category, lat: String(spot.centre.lat), lng: String(spot.centre.lng), ids: spot.ticket_ids.join(","),
      });
      var promote = window.ZMap.link(ds.promoteUrl + "&" + q.toString(), t("promote", "设为专题"));
      promote.className = "hotspot-promote";
      li.appendChild(promote);
    }
    return li;
  }

  function drawHotspots(data) {
    var spots = data.hotspots || [];
    var most = spots.reduce(function (m, s) { return Math.max(m, s.count); }, 1);
    var list = document.getElementById("hotspots");
    if (hotspotMap.layer) {
      hotspotMap.layer.clearLayers();
      hotspotMap.circles = {};
      spots.forEach(function (spot) {
        hotspotMap.circles[spot.cell] = hotspotCircle(spot, most).addTo(hotspotMap.layer);
      });
    }
    if (list) {
      list.replaceChildren.apply(list, spots.map(hotspotItem));
      if (!spots.length) {
        var empty = document.createElement("li");
        empty.className = "muted";
        empty.textContent = list.dataset.empty || "";
        list.appendChild(empty);
      }
      list.dataset.count = String(spots.length);
      list.dataset.ready = "1";
    }
  }

  function loadHotspots() {
    if (!ds.hotspotsUrl) return Promise.resolve();
    return getJSON(ds.hotspotsUrl).then(drawHotspots);
  }

  function clock() {
    var el = document.getElementById("dash-clock");
    if (!el) return;
    function tick() {
      var now = new Date();
      el.textContent = t("updated", "更新于") + " " + now.toLocaleTimeString("zh-CN", { hour12: false });
    }
    tick();
  }

  // A figure's definition: the card's title on a desktop; on a touch screen the "?" opens it as a small popover.
  function definitions() {
    function closeAll(except) {
      root.querySelectorAll(".kpi-info[aria-expanded='true']").forEach(function (b) {
        if (b === except) return;
        b.setAttribute("aria-expanded", "false");
        document.getElementById(b.getAttribute("aria-controls")).hidden = true;
      });
    }
    root.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest(".kpi-info");
      closeAll(button);
      if (!button) return;
      var tip = document.getElementById(button.getAttribute("aria-controls"));
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      tip.hidden = !open;
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") closeAll(null); });
  }

  function categoriesData() {
    var table = document.getElementById("categories");
    try { return JSON.parse((table && table.dataset.categories) || "[]"); } catch (e) { return []; }
  }

  function loadDaily() {
    return getJSON(ds.dailyUrl).then(function (data) { charts.daily(data.results || []); });
  }

  var printButton = document.getElementById("print-btn");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });
  window.addEventListener("resize", function () { charts.resize(); });

  definitions();
  charts.categories(categoriesData());
  loadDaily().catch(function (e) { root.dataset.error = String(e); });
  drawMap().catch(function (e) { root.dataset.error = String(e); });
  loadHotspots().catch(function (e) { root.dataset.error = String(e); });
  if (wall && window.ZDashWall) {
    clock();
    window.ZDashWall(root, {
      display: display,
      onRefresh: function () {
        clock();
        charts.categories(categoriesData());
        return Promise.all([loadDaily(), reloadTickets(), loadHotspots()]);
      },
    });
  }
})();
