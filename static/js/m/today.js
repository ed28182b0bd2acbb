/* The phone page (/m/): today's visits — the server's list (cached for dead spots) merged with the visits sent
 * from this phone and those still in the outbox — and the day's counters.
 * Needs core.js and store.js. Exposes ZPhone.loadToday, renderToday.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, el = P.el, show = P.show, t = P.t, state = P.state;

  function loadToday() {
    var d = P.today();
    var url = P.urls.visits + "?cadre=" + encodeURIComponent(P.ds.me) + "&date_from=" + d + "&date_to=" + d + "&page_size=200";
    return P.getJson(url)
      .then(function (data) {
        state.todayRows = (data.results || []).map(function (v) {
          return { id: v.id, target_type: v.target_type, target_id: v.target_id, target_name: v.target_name,
            geo_status: v.geo_status, issues: (v.tickets || []).length, visited_at: v.visited_at,
            tickets: v.tickets || [], ticket: v.ticket };
        });
        return ZStore.set("today:" + d, state.todayRows);
      })
      .catch(function () {
        return ZStore.get("today:" + d).then(function (rows) { state.todayRows = rows || []; });
      })
      .then(P.renderOutbox);
  }

  /** The server's rows, then the sent ones, then the outbox's: each visit once, newest first. */
  function todayRows(sent, outboxRecords) {
    var byId = {};
    var rows = [];
    function add(row) { if (!byId[row.id]) { byId[row.id] = row; rows.push(row); } }
    state.todayRows.forEach(add);
    (sent || []).forEach(function (s) {
      add({ id: s.id, target_type: s.body.target_type, target_id: s.body.target_id,
        geo_status: s.result && s.result.geo_status, issues: (s.body.issues || []).length, visited_at: s.body.visited_at,
        tickets: (s.result && s.result.tickets) || [], ticket: s.body.ticket });
    });
    (outboxRecords || []).forEach(function (r) {
      if (r.body.visited_at.slice(0, 10) !== P.today()) return;
      add({ id: r.id, target_type: r.body.target_type, target_id: r.body.target_id, pending: r.state !== "failed",
        failed: r.state === "failed", issues: (r.body.issues || []).length, visited_at: r.body.visited_at,
        tickets: [], ticket: r.body.ticket });
    });
    rows.sort(function (a, b) { return a.visited_at < b.visited_at ? 1 : -1; });
    return rows;
  }

  function renderToday(outboxRecords) {
    ZStore.get("sent:" + P.today()).then(function (sent) {
      var rows = todayRows(sent, outboxRecords);
      var ul = $("today-list");
      ul.textContent = "";
      var hh = {}, ent = {}, issues = 0;
      rows.forEach(function (v) {
        if (v.target_type === "household") hh[v.target_id] = true;
        if (v.target_type === "enterprise") ent[v.target_id] = true;
        issues += v.issues || 0;
        ul.appendChild(visitItem(v));
      });
      $("count-visits").textContent = rows.length;
      $("count-households").textContent = Object.keys(hh).length;
      $("count-enterprises").textContent = Object.keys(ent).length;
      $("count-issues").textContent = issues;
      show($("today-empty"), rows.length === 0);
    });
  }

  /** One visit of today: when, whom, its geo status, and links to the progress of the tickets it serves or raised. */
  function visitItem(v) {
    var target = v.target_type ? P.findTarget(v.target_type, v.target_id) : null;
    var name = target ? target.name : v.target_name || (v.target_type === "meeting" ? t("msg.meeting") : v.target_type ? v.target_type + " #" + v.target_id : t("msg.ticket_place"));
    var li = el("li", v.pending ? "pending" : v.failed ? "failed" : "");
    li.dataset.visit = v.id;
    var head = el("div", "t-head");
    head.appendChild(el("span", "time", (v.visited_at || "").slice(11, 16)));
    head.appendChild(el("b", null, name));
    if (v.pending) head.appendChild(el("span", "badge pending", t("msg.pending_visit")));
    else if (v.geo_status) head.appendChild(el("span", "badge geo " + v.geo_status, t("geo." + v.geo_status)));
    li.appendChild(head);
    if (target) li.appendChild(el("div", "muted", target.address || ""));
    var links = el("div", "ticket-links");
    if (v.ticket) {
      links.appendChild(el("span", "badge mode", t("msg.visit_door")));
      links.appendChild(P.ticketLink(v.ticket, null));
    }
    (v.tickets || []).forEach(function (tk) { links.appendChild(P.ticketLink(tk.id, tk.code)); });
    if (links.childNodes.length) li.appendChild(links);
    return li;
  }

  P.loadToday = loadToday;
  P.renderToday = renderToday;
})();
