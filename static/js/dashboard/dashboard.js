/* The leaders' dashboard (/dashboard/): draws the charts and the map from data- attributes and JSON endpoints.
 *
 * The figures themselves are rendered by the server (dashboard/views.py) from the same selectors as the stats
 * API; this file only fetches the daily series (/api/v1/stats/daily/), the grid boundaries with each grid's visits
 * in the period (/dashboard/grids.geojson, from the rollups: the map's shading) and open tickets
 * (/api/v1/geo/tickets/). The heat layer of visit points (/api/v1/geo/visits/, raw rows) loads only when the
 * leader turns it on in the layer control, so the page itself reads rollups only.
 * Wall-screen mode (?wall=1) reloads the page every `data-refresh` seconds. On a display link's wall
 * (/dashboard/wall/<token>/, data-display="1") the data URLs carry the token in their path, fetches send no
 * cookies, nothing drills down or links to a ticket, and there is no heat layer. Each chart / the map sets
 * data-ready="1" when drawn (the browser test waits for it).
 */
(function () {
  "use strict";

  var root = document.getElementById("dashboard");
  if (!root) return;
  var ds = root.dataset;
  var wall = ds.wall === "1";
  var display = ds.display === "1";
  var charts = [];
  var SUPERVISION_COLORS = { 0: "#2563eb", 1: "#eab308", 2: "#dc2626" };
  var TEXT = wall ? "#cbd5e1" : "#374151";
  var GRIDLINE = wall ? "#1f3358" : "#e5e7eb";
  var T = {};
  try { T = JSON.parse(ds.labels || "{}"); } catch (e) { T = {}; }
  function t(key, fallback) { return T[key] || fallback; }

  function getJSON(url) {
    return fetch(url, { credentials: display ? "omit" : "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + " → " + r.status);
      return r.json();
    });
  }

  function pct(v) {
    return v == null ? null : Math.round(v * 1000) / 10;
  }

  function drillTo(unitId) {
    var params = new URLSearchParams(window.location.search);
    params.set("unit", String(unitId));
    window.location.search = params.toString();
  }

  function chartOn(id) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) return null;
    var chart = window.echarts.init(el, wall ? "dark" : null, { renderer: "canvas" });
    charts.push(chart);
    return chart;
  }

  function base() {
    return {
      backgroundColor: "transparent",
      textStyle: { color: TEXT },
      tooltip: { trigger: "axis" },
      legend: { top: 0, textStyle: { color: TEXT } },
      grid: { left: 44, right: 44, top: 34, bottom: 28 },
    };
  }

  function axisDays(days) {
    return {
      type: "category",
      data: days.map(function (d) { return d.slice(5); }),
      axisLabel: { color: TEXT },
      axisLine: { lineStyle: { color: GRIDLINE } },
    };
  }

  function valueAxis(extra) {
    var axis = { type: "value", axisLabel: { color: TEXT }, splitLine: { lineStyle: { color: GRIDLINE } } };
    for (var k in extra || {}) axis[k] = extra[k];
    return axis;
  }

  function drawDaily(rows) {
    var days = rows.map(function (r) { return r.date; });
    var volume = chartOn("chart-volume");
    if (volume) {
      var o = base();
      o.xAxis = axisDays(days);
      o.yAxis = [valueAxis({ name: t("axis_visits", "走访"), minInterval: 1 }), valueAxis({ name: t("axis_issues", "诉求"), minInterval: 1, splitLine: { show: false } })];
      o.series = [
        { name: t("visits", "走访次数"), type: "bar", data: rows.map(function (r) { return r.visits; }), itemStyle: { color: "#3b82f6" } },
        { name: t("issues_collected", "收集诉求"), type: "line", yAxisIndex: 1, smooth: true, data: rows.map(function (r) { return r.issues_collected; }), itemStyle: { color: "#f97316" } },
        { name: t("resolved_on_site", "现场解决"), type: "line", yAxisIndex: 1, smooth: true, data: rows.map(function (r) { return r.resolved_on_site; }), itemStyle: { color: "#22c55e" } },
      ];
      volume.setOption(o);
      volume.getDom().dataset.ready = "1";
    }
    var rates = chartOn("chart-rates");
    if (rates) {
      var r = base();
      r.xAxis = axisDays(days);
      r.yAxis = valueAxis({ min: 0, max: 100, axisLabel: { color: TEXT, formatter: "{value}%" } });
      r.tooltip.valueFormatter = function (v) { return v == null ? "—" : v.toFixed(1) + "%"; };
      function line(name, key, color) {
        return { name: name, type: "line", smooth: false, connectNulls: true, symbolSize: 4, data: rows.map(function (x) { return pct(x[key]); }), itemStyle: { color: color } };
      }
      r.series = [
        line(t("closure_rate", "办结率"), "closure_rate", "#22c55e"),
        line(t("on_time_rate", "按时办结率"), "on_time_rate", "#a855f7"),
        line(t("response_rate", "响应率"), "response_rate", "#3b82f6"),
        line(t("satisfaction_rate", "满意率"), "satisfaction_rate", "#ef4444"),
      ];
      rates.setOption(r);
      rates.getDom().dataset.ready = "1";
    }
  }

  function drawCategories() {
    var el = document.getElementById("chart-categories");
    var data = [];
    try { data = JSON.parse(el.dataset.categories || "[]"); } catch (e) { data = []; }
    var chart = chartOn("chart-categories");
    if (!chart) return;
    data = data.slice().reverse(); // largest on top of a horizontal bar chart
    chart.setOption({
      backgroundColor: "transparent",
      textStyle: { color: TEXT },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 90, right: 24, top: 8, bottom: 20 },
      xAxis: valueAxis({ minInterval: 1 }),
      yAxis: { type: "category", data: data.map(function (c) { return c.category; }), axisLabel: { color: TEXT, width: 80, overflow: "truncate" } },
      series: [{ name: t("issues", "诉求"), type: "bar", data: data.map(function (c) { return c.issues; }), itemStyle: { color: "#f97316" }, barMaxWidth: 18 }],
    });
    el.dataset.ready = "1";
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
    var map = ZMap.create(el, { zoom: 12, scrollWheelZoom: !wall });
    var overlays = {};
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
        el.dataset.grids = String(features.length);
        if (grids.bbox) {
          ZMap.fitPoints(map, [[grids.bbox[1], grids.bbox[0]], [grids.bbox[3], grids.bbox[2]]], { padding: [10, 10] });
        }
        var box = bboxOf(map, grids);
        if (ds.visitsUrl) overlays[t("heat", "走访热力")] = heatOnDemand(map, box);
        return getJSON(withBbox(ds.ticketsUrl, box));
      })
      .then(function (result) {
        var tickets = result.features || [];
        var ticketLayer = L.layerGroup();
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
        overlays[t("tickets", "在办工单")] = ticketLayer.addTo(map);
        L.control.layers(null, overlays, { collapsed: true }).addTo(map);
        el.dataset.ready = "1";
        el.dataset.tickets = String(tickets.length);
      });
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

  var printButton = document.getElementById("print-btn");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });

  drawCategories();
  getJSON(ds.dailyUrl).then(function (data) { drawDaily(data.results || []); }).catch(function (e) {
    root.dataset.error = String(e);
  });
  drawMap().catch(function (e) { root.dataset.error = String(e); });
  if (wall) {
    clock();
    var seconds = Math.max(15, parseInt(ds.refresh, 10) || 60);
    window.setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
