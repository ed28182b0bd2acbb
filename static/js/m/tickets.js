/* The phone page (/m/): the tickets to follow (cached for dead spots) — a cadre's own (the tickets they raised), a
 * handler's unit's open ones (data-tickets-query, from visits.views.phone_profile). Each code opens the ticket's page
 * (its progress); a handler's door_to_door ticket awaiting the visit offers 上门走访 (duty.js).
 * Needs core.js and store.js. Exposes ZPhone.loadTickets.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, el = P.el, show = P.show, t = P.t, state = P.state;

  function loadTickets() {
    return P.getJson(P.urls.tickets + "?" + (P.ds.ticketsQuery || "mine=1") + "&page_size=50")
      .then(function (data) {
        var rows = data.results || [];
        return ZStore.set("tickets", rows).then(function () { return rows; });
      })
      .catch(function () { return ZStore.get("tickets").then(function (rows) { return rows || []; }); })
      .then(renderTickets);
  }

  /** A door_to_door ticket this handler's unit leads, accepted and not yet resolved (visits.selectors.door_to_door_due
   * decides on the server; this only chooses where to offer the button). */
  function awaitsVisit(tk) {
    var me = state.boot && state.boot.me;
    return P.role === "handler" && tk.mode === "door_to_door" && (tk.status === "accepted" || tk.status === "in_progress") &&
      !!(me && me.unit && tk.lead_unit === me.unit.id);
  }

  function renderTickets(rows) {
    var ul = $("ticket-list");
    ul.textContent = "";
    rows.forEach(function (tk) {
      var li = el("li");
      li.dataset.ticket = tk.id;
      var head = el("div", "t-head");
      var code = P.ticketLink(tk.id, tk.code || "#" + tk.id);
      code.classList.add("code");
      head.appendChild(code);
      head.appendChild(el("span", "badge status " + tk.status, tk.status_label || t("status." + tk.status)));
      if (tk.mode_label) head.appendChild(el("span", "badge mode", tk.mode_label));
      if (tk.resolved_on_site) head.appendChild(el("span", "badge verified", t("msg.on_site")));
      if (tk.overdue) head.appendChild(el("span", "badge far", t("msg.overdue")));
      if (tk.supervision) head.appendChild(el("span", "badge card level" + tk.supervision, t(tk.supervision >= 2 ? "msg.red_card" : "msg.yellow_card")));
      li.appendChild(head);
      li.appendChild(el("div", "muted", [t("kind." + tk.kind), tk.category, (tk.created_at || "").slice(0, 10)].filter(Boolean).join(" · ")));
      if (tk.description) li.appendChild(el("div", "desc", tk.description.length > 80 ? tk.description.slice(0, 80) + "…" : tk.description));
      if (awaitsVisit(tk)) {
        var b = el("button", "small door-visit", t("msg.visit_door"));
        b.type = "button";
        b.addEventListener("click", function () { P.openDuty(tk.id); });
        li.appendChild(b);
      }
      ul.appendChild(li);
    });
    show($("ticket-empty"), rows.length === 0);
  }

  P.loadTickets = loadTickets;
})();
