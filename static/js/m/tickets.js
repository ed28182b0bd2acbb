/* The phone page (/m/): the tickets this cadre raised (cached for dead spots).
 * Needs core.js and store.js. Exposes ZPhone.loadTickets.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, el = P.el, show = P.show, t = P.t;

  function loadTickets() {
    return P.getJson(P.urls.tickets + "?mine=1&page_size=50")
      .then(function (data) {
        var rows = data.results || [];
        return ZStore.set("tickets", rows).then(function () { return rows; });
      })
      .catch(function () { return ZStore.get("tickets").then(function (rows) { return rows || []; }); })
      .then(renderTickets);
  }
  function renderTickets(rows) {
    var ul = $("ticket-list");
    ul.textContent = "";
    rows.forEach(function (tk) {
      var li = el("li");
      var head = el("div", "t-head");
      head.appendChild(el("b", null, tk.code || "#" + tk.id));
      head.appendChild(el("span", "badge status " + tk.status, tk.status_label || t("status." + tk.status)));
      if (tk.resolved_on_site) head.appendChild(el("span", "badge verified", t("msg.on_site")));
      if (tk.overdue) head.appendChild(el("span", "badge far", t("msg.overdue")));
      if (tk.supervision) head.appendChild(el("span", "badge card level" + tk.supervision, t(tk.supervision >= 2 ? "msg.red_card" : "msg.yellow_card")));
      li.appendChild(head);
      li.appendChild(el("div", "muted", [t("kind." + tk.kind), tk.category, (tk.created_at || "").slice(0, 10)].filter(Boolean).join(" · ")));
      if (tk.description) li.appendChild(el("div", "desc", tk.description.length > 80 ? tk.description.slice(0, 80) + "…" : tk.description));
      ul.appendChild(li);
    });
    show($("ticket-empty"), rows.length === 0);
  }

  P.loadTickets = loadTickets;
})();
