/* The wall screen (大屏) of the leaders' dashboard: refresh in place, and lists that page through what does not fit.
 *
 * window.ZDashWall(root, {display, onRefresh}) starts both; the page calls it in wall mode only.
 * - Refresh in place every `data-refresh` seconds: fetch the same page (a display link's wall: with no cookies), read
 *   it with DOMParser (nothing in it runs) and swap the content of every [data-live] element by its id — cards, data
 *   age, period, category table, ranking, overdue list — and the data URLs of #dashboard; then onRefresh() fetches
 *   the daily series and the ticket points again and updates the charts and the map on their own instances. No
 *   location.reload(): nothing flashes, and a failed fetch leaves the screen as it was (root data-stale="1").
 *   Fetching the page, not a second JSON of the same figures, keeps one renderer of the cards and tables (the
 *   template) and still counts the screen as seen (a display link's last_seen_at).
 * - Rotating pages: in the wide wall layout each .wall-rotate panel has a fixed box; its .wall-page sections (a
 *   heading and a table) are cut into pages of as many rows as fit, and shown one at a time every ROTATE_MS, with
 *   "2/3" in the heading. Nothing is off screen, nothing scrolls.
 * root data-refreshed counts the refreshes done (the browser test waits for it).
 */
(function () {
  "use strict";

  var ROTATE_MS = 8000;

  window.ZDashWall = function (root, opts) {
    var ds = root.dataset;
    var seconds = Math.max(15, parseInt(ds.refresh, 10) || 60);
    var pagers = [];

    function swap(doc) {
      var fresh = doc.getElementById("dashboard");
      if (!fresh) throw new Error("refresh: no dashboard in the answer");
      ["dailyUrl", "gridsUrl", "ticketsUrl", "dateFrom", "dateTo"].forEach(function (key) {
        if (fresh.dataset[key] != null) ds[key] = fresh.dataset[key];
      });
      root.querySelectorAll("[data-live]").forEach(function (el) {
        var next = doc.getElementById(el.id);
        if (!next) return;
        for (var i = 0; i < next.attributes.length; i++) {
          var a = next.attributes[i];
          if (a.name.indexOf("data-") === 0) el.setAttribute(a.name, a.value);
        }
        // Move the parsed nodes (DOMParser: inert, our own escaped template), never re-parse a markup string.
        el.replaceChildren.apply(el, Array.prototype.map.call(next.childNodes, function (n) {
          return document.importNode(n, true);
        }));
      });
    }

    function refresh() {
      var init = { credentials: opts.display ? "omit" : "same-origin", cache: "no-store", headers: { Accept: "text/html" } };
      return fetch(window.location.href, init)
        .then(function (r) {
          if (!r.ok || r.redirected) throw new Error("refresh → " + r.status);
          return r.text();
        })
        .then(function (html) {
          swap(new DOMParser().parseFromString(html, "text/html"));
          return opts.onRefresh();
        })
        .then(function () {
          delete ds.stale;
          ds.refreshed = String((parseInt(ds.refreshed, 10) || 0) + 1);
          paginate();
        })
        .catch(function () { ds.stale = "1"; }) // keep what is shown; try again next time
        .then(function () { window.setTimeout(refresh, seconds * 1000); });
    }

    function wide() {
      return window.matchMedia("(min-width: 1280px) and (min-height: 600px)").matches;
    }

    function showRows(rows, start, end) {
      rows.forEach(function (tr, i) { tr.hidden = i < start || i >= end; });
    }

    // The pages of one panel: per section, runs of rows that fit below the panel's bottom edge.
    function pagesOf(panel) {
      var sections = Array.prototype.slice.call(panel.querySelectorAll(".wall-page"));
      var limit = panel.getBoundingClientRect().bottom - (parseFloat(getComputedStyle(panel).paddingBottom) || 0);
      var pages = [];
      sections.forEach(function (section) {
        sections.forEach(function (other) { other.hidden = other !== section; });
        var rows = Array.prototype.slice.call(section.querySelectorAll("tbody tr"));
        var start = 0;
        do {
          showRows(rows, start, rows.length);
          var end = start;
          while (end < rows.length && rows[end].getBoundingClientRect().bottom <= limit) end++;
          end = Math.max(end, start + 1);
          pages.push({ section: section, rows: rows, start: start, end: Math.min(end, rows.length) });
          start = end;
        } while (start < rows.length);
      });
      return { panel: panel, sections: sections, pages: pages, at: 0 };
    }

    function show(pager) {
      var page = pager.pages[pager.at];
      if (!page) return;
      pager.sections.forEach(function (s) { s.hidden = s !== page.section; });
      showRows(page.rows, page.start, page.end);
      var label = pager.pages.length > 1 ? (pager.at + 1) + "/" + pager.pages.length : "";
      page.section.querySelectorAll(".page-no").forEach(function (el) { el.textContent = label; });
      pager.panel.dataset.pages = String(pager.pages.length);
    }

    function paginate() {
      var panels = Array.prototype.slice.call(root.querySelectorAll(".wall-rotate"));
      panels.forEach(function (panel) {
        panel.querySelectorAll(".wall-page, tbody tr").forEach(function (el) { el.hidden = false; });
      });
      pagers = wide() ? panels.map(pagesOf) : [];
      pagers.forEach(show);
    }

    window.setInterval(function () {
      pagers.forEach(function (pager) {
        if (pager.pages.length < 2) return;
        pager.at = (pager.at + 1) % pager.pages.length;
        show(pager);
      });
    }, ROTATE_MS);
    var resizing = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(resizing);
      resizing = window.setTimeout(paginate, 200);
    });
    paginate();
    window.setTimeout(refresh, seconds * 1000);
    return { refresh: refresh, paginate: paginate };
  };
})();
