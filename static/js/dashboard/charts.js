/* The charts of the leaders' dashboard (ECharts, vendored): the daily series and the category breakdown.
 *
 * window.ZDashCharts({wall, t, scale}) → {daily(rows), categories(data)}. Each draw initialises its chart once and
 * on a later call (the wall's refresh in place) merges the new data into the same instance: the bars and lines move
 * to their new values, no flash, no new canvas.
 * Legends never cover an axis or a line: one row that pages when it does not fit (type "scroll"), above a grid that
 * starts below the legend and the axis names (LEGEND_H + NAME_H), at 360 px as on a 4K wall (sizes × scale).
 * The quality chart stacks, per day of creation, the tickets now closed / still open in time / open past due (bars,
 * right axis) under the four rates (lines, left axis): a recent day's low closure rate shows beside its tickets
 * still within their deadline (SPEC §6 open_in_time).
 */
(function () {
  "use strict";

  var LEGEND_H = 28; // a legend row: the text's line and its padding
  var NAME_H = 26; // an axis name above the grid: its line and its gap

  window.ZDashCharts = function (cfg) {
    var wall = !!cfg.wall;
    var t = cfg.t;
    var s = cfg.scale || 1;
    var TEXT = wall ? "#cbd5e1" : "#374151";
    var GRIDLINE = wall ? "#1f3358" : "#e5e7eb";
    var FONT = px(12);

    function px(n) { return Math.round(n * s); }

    function chartOn(id) {
      var el = document.getElementById(id);
      if (!el || !window.echarts) return null;
      return window.echarts.getInstanceByDom(el) || window.echarts.init(el, wall ? "dark" : null, { renderer: "canvas" });
    }

    function base() {
      return {
        backgroundColor: "transparent",
        textStyle: { color: TEXT, fontSize: FONT },
        tooltip: { trigger: "axis", textStyle: { fontSize: FONT } },
        legend: {
          type: "scroll", top: 0, left: px(4), right: px(4), padding: [px(4), px(4)],
          itemWidth: px(14), itemHeight: px(9), itemGap: px(10),
          textStyle: { color: TEXT, fontSize: FONT }, pageTextStyle: { color: TEXT, fontSize: FONT },
          pageIconSize: px(11), pageIconColor: wall ? "#7dd3fc" : "#2563eb", pageIconInactiveColor: GRIDLINE,
        },
        grid: { left: px(6), right: px(6), top: px(LEGEND_H + NAME_H), bottom: px(4), containLabel: true },
      };
    }

    function axisDays(days) {
      return {
        type: "category",
        data: days.map(function (d) { return d.slice(5); }),
        axisLabel: { color: TEXT, fontSize: FONT, hideOverlap: true },
        axisLine: { lineStyle: { color: GRIDLINE } },
      };
    }

    function valueAxis(extra) {
      var axis = {
        type: "value", nameGap: px(8), nameTextStyle: { color: TEXT, fontSize: FONT },
        axisLabel: { color: TEXT, fontSize: FONT }, splitLine: { lineStyle: { color: GRIDLINE } },
      };
      for (var k in extra || {}) axis[k] = extra[k];
      return axis;
    }

    function pct(v) { return v == null ? null : Math.round(v * 1000) / 10; }
    function pick(rows, key) { return rows.map(function (r) { return r[key]; }); }

    function drawVolume(rows, days) {
      var chart = chartOn("chart-volume");
      if (!chart) return;
      var o = base();
      o.xAxis = axisDays(days);
      o.yAxis = [
        valueAxis({ name: t("axis_visits", "走访"), minInterval: 1 }),
        valueAxis({ name: t("axis_issues", "诉求"), minInterval: 1, splitLine: { show: false } }),
      ];
      o.series = [
        { name: t("visits", "走访次数"), type: "bar", data: pick(rows, "visits"), itemStyle: { color: "#3b82f6" } },
        { name: t("issues_collected", "收集诉求"), type: "line", yAxisIndex: 1, smooth: true, data: pick(rows, "issues_collected"), itemStyle: { color: "#f97316" } },
        { name: t("resolved_on_site", "现场解决"), type: "line", yAxisIndex: 1, smooth: true, data: pick(rows, "resolved_on_site"), itemStyle: { color: "#22c55e" } },
      ];
      chart.setOption(o); // merged: a refresh moves the bars and lines to their new values
      chart.getDom().dataset.ready = "1";
    }

    function drawQuality(rows, days) {
      var chart = chartOn("chart-rates");
      if (!chart) return;
      var o = base();
      o.xAxis = axisDays(days);
      o.yAxis = [
        valueAxis({ name: "%", min: 0, max: 100, axisLabel: { color: TEXT, fontSize: FONT, formatter: "{value}%" } }),
        valueAxis({ name: t("axis_tickets", "件"), minInterval: 1, splitLine: { show: false } }),
      ];
      var percent = { valueFormatter: function (v) { return v == null ? "—" : v.toFixed(1) + "%"; } };
      function line(key, color) {
        return { name: t(key, key), type: "line", z: 3, connectNulls: true, symbolSize: px(4), tooltip: percent, data: rows.map(function (x) { return pct(x[key]); }), itemStyle: { color: color } };
      }
      function bar(key, data, color) {
        return { name: t(key, key), type: "bar", stack: "tickets", yAxisIndex: 1, barMaxWidth: px(18), data: data, itemStyle: { color: color, opacity: wall ? 0.6 : 0.55 } };
      }
      // open past due = not cancelled − closed − open in time (never below 0: the rollups may lag a live count by a sweep)
      var late = rows.map(function (r) {
        return Math.max(0, (r.not_cancelled || 0) - (r.resolved_or_closed || 0) - (r.open_in_time || 0));
      });
      o.series = [
        bar("tickets_closed", pick(rows, "resolved_or_closed"), "#86efac"),
        bar("open_in_time", pick(rows, "open_in_time"), "#93c5fd"),
        bar("open_late", late, "#fca5a5"),
        line("closure_rate", "#16a34a"),
        line("on_time_rate", "#a855f7"),
        line("response_rate", "#1d4ed8"),
        line("satisfaction_rate", "#ea580c"),
      ];
      chart.setOption(o); // merged: a refresh moves the bars and lines to their new values
      chart.getDom().dataset.ready = "1";
    }

    function daily(rows) {
      var days = pick(rows, "date");
      drawVolume(rows, days);
      drawQuality(rows, days);
    }

    function categories(data) {
      var chart = chartOn("chart-categories");
      if (!chart) return;
      data = (data || []).slice().reverse();
      chart.setOption({
        backgroundColor: "transparent",
        textStyle: { color: TEXT, fontSize: FONT },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, textStyle: { fontSize: FONT } },
        grid: { left: px(6), right: px(16), top: px(8), bottom: px(4), containLabel: true },
        xAxis: valueAxis({ minInterval: 1 }),
        yAxis: { type: "category", data: pick(data, "category"), axisLabel: { color: TEXT, fontSize: FONT, width: px(80), overflow: "truncate" } },
        series: [{ name: t("issues", "诉求"), type: "bar", data: pick(data, "issues"), itemStyle: { color: "#f97316" }, barMaxWidth: px(18) }],
      });
      chart.getDom().dataset.ready = "1";
    }

    function resize() {
      ["chart-volume", "chart-rates", "chart-categories"].forEach(function (id) {
        var el = document.getElementById(id);
        var chart = el && window.echarts && window.echarts.getInstanceByDom(el);
        if (chart) chart.resize();
      });
    }

    return { daily: daily, categories: categories, resize: resize };
  };
})();
