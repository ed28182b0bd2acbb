/* The cadre's phone page (/m/), first part: the shared namespace window.ZPhone — the page's state, its URLs and
 * the small helpers every other part uses (labels, DOM, dates, ids, JSON GET, the notice line).
 * Load order (templates/m/index.html): store.js, outbox.js, core.js, location.js, targets.js, visit-form.js,
 * outbox-ui.js, today.js, tickets.js, duty.js, household.js, assigned.js, app.js. Parts call each other through
 * ZPhone only at run time, so each part only needs this one loaded before it.
 */
(function () {
  "use strict";

  var root = document.getElementById("m-app");
  if (!root) return; // not the phone page: no ZPhone, and every other part stops at once
  var ds = root.dataset;
  var P = (window.ZPhone = {
    root: root,
    ds: ds,
    urls: {
      bootstrap: ds.bootstrapUrl,
      visits: ds.visitsUrl,
      tickets: ds.ticketsUrl,
      suggest: ds.suggestUrl, // POST: the likely categories and duplicates of an issue's words (suggest.js)
      households: ds.householdsUrl,
      ticketBrief: ds.ticketBriefUrl, // + "<id>/": the ticket a door-to-door visit names
      ticketPage: ds.ticketPageUrl, // + "<id>/": the ticket's page (its progress)
      me: "/api/v1/me/",
      login: ds.loginUrl,
    },
    RETRY_MS: 30000,
    POOR_ACCURACY_M: 100, // SPEC §4: poor_accuracy above 100 m
    NEARBY_SHOWN: 30,
    state: {
      boot: null, // {me, campaign, targets}
      position: null, // {lat, lng, accuracy} WGS-84
      apiNearby: [], // targets from the near= API (online), merged with the cached ones
      chosen: null, // a target row
      map: null,
      posLayer: null,
      targetLayer: null,
      todayRows: [],
      duty: null, // the ticket the visit names (duty.js): {id, code, url, target, place, ...}
    },
    role: ds.role, // "cadre" | "handler" | "admin" (visits.views.phone_profile)
    positionListeners: [], // called after every location attempt (location.js)
  });

  function $(id) { return document.getElementById(id); }
  var labels = {};
  (function readLabels() {
    var dts = $("labels").querySelectorAll("dt");
    for (var i = 0; i < dts.length; i++) labels[dts[i].textContent] = dts[i].nextElementSibling.textContent;
  })();
  function t(key, vars) {
    var s = labels[key] || key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.replace("{" + k + "}", vars[k]); });
    return s;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function show(node, on) { node.classList.toggle("hidden", !on); }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  /** ISO 8601 with the phone's offset, e.g. 2026-05-12T09:30:00+08:00 (SPEC §4). */
  function isoNow() {
    var d = new Date();
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return today() + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Plain-HTTP intranet pages have no randomUUID (secure contexts only); getRandomValues is everywhere.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function getJson(url) {
    if (!navigator.onLine) return Promise.reject({ offline: true });
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.redirected && r.url.indexOf("/accounts/login/") >= 0) throw { login: true };
      if (r.status === 401 || r.status === 403) throw { login: true, status: r.status };
      if (!r.ok) throw { status: r.status };
      return r.json();
    });
  }
  function notice(text, linkToLogin) {
    var n = $("notice");
    n.textContent = text || "";
    if (linkToLogin) {
      var a = el("a", null, " →");
      a.href = P.urls.login;
      n.appendChild(a);
    }
    show(n, !!text);
  }
  /** A link to a ticket's page (its progress), labelled with its code. */
  function ticketLink(id, code) {
    var a = el("a", "ticket-link", code || t("msg.open_ticket"));
    a.href = P.urls.ticketPage + encodeURIComponent(id) + "/";
    return a;
  }
  function targetKey(type, id) { return type + ":" + id; }
  function findTarget(type, id) {
    var state = P.state;
    var duty = state.duty && state.duty.target;
    if (duty && duty.type === type && duty.id === id) return duty;
    var all = (state.boot && state.boot.targets) || [];
    for (var i = 0; i < all.length; i++) if (all[i].type === type && all[i].id === id) return all[i];
    var projects = (state.boot && state.boot.projects) || []; // key projects (meeting.js)
    for (var k = 0; k < projects.length; k++) if (type === "project" && projects[k].id === id) return projects[k];
    for (var j = 0; j < state.apiNearby.length; j++) {
      if (state.apiNearby[j].type === type && state.apiNearby[j].id === id) return state.apiNearby[j];
    }
    return null;
  }

  P.$ = $;
  P.t = t;
  P.el = el;
  P.show = show;
  P.today = today;
  P.isoNow = isoNow;
  P.uuid = uuid;
  P.getJson = getJson;
  P.notice = notice;
  P.targetKey = targetKey;
  P.ticketLink = ticketLink;
  P.findTarget = findTarget;
})();
