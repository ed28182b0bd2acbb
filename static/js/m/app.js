/* The phone page (/m/), last part: today's visits, log a visit, tickets to follow, add a household (SPEC §8).
 * Here: the tabs, the bootstrap data (me, campaign, targets; kept in IndexedDB by ZStore for dead spots), the
 * service worker, and the start. The other parts (core.js … household.js, see core.js) are loaded before this one;
 * all data comes from the JSON API.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, show = P.show, t = P.t, state = P.state, root = P.root, ds = P.ds;

  // --- tabs ------------------------------------------------------------------------------------------------
  // The role's tabs (visits.views.phone_profile): a handler has no 新增住户; its panel is not on the page.
  var TABS = (ds.tabs || "today visit tickets household").split(" ");
  function openTab(name) {
    var tabs = document.querySelectorAll(".m-tabs .tab");
    for (var i = 0; i < tabs.length; i++) tabs[i].classList.toggle("active", tabs[i].dataset.tab === name);
    TABS.forEach(function (p) { show($("panel-" + p), p === name); });
    if (name === "visit") {
      P.ensureMap();
      if (!state.position && !state.locating) P.locate();
    }
    if (name === "tickets") P.loadTickets();
    if (name === "household") P.openHousehold();
  }
  P.openTab = openTab;
  document.querySelector(".m-tabs").addEventListener("click", function (e) {
    var b = e.target.closest(".tab");
    if (b) openTab(b.dataset.tab);
  });
  root.addEventListener("click", function (e) {
    var b = e.target.closest("[data-goto]");
    if (b) openTab(b.dataset.goto);
  });

  // --- bootstrap: me, campaign, targets (cached for dead spots) --------------------------------------------
  function fetchBootstrap() {
    var acc = null;
    function page(url) {
      return P.getJson(url).then(function (data) {
        if (!acc) acc = data;
        else acc.targets = acc.targets.concat(data.targets);
        return data.next ? page(data.next) : acc;
      });
    }
    return page(P.urls.bootstrap).then(function (boot) {
      delete boot.next;
      return ZStore.set("bootstrap", boot).then(function () { return boot; });
    });
  }
  function loadBootstrap() {
    return fetchBootstrap().then(
      function (boot) { applyBootstrap(boot); },
      function (err) {
        if (err && err.login) P.notice(t("msg.retry_login"), true);
        return ZStore.get("bootstrap").then(function (boot) {
          if (boot) {
            applyBootstrap(boot);
            if (!navigator.onLine) P.notice(t("msg.offline_cached"));
          }
        });
      }
    );
  }
  function applyBootstrap(boot) {
    state.boot = boot;
    var c = boot.campaign;
    $("campaign-name").textContent = c ? c.name : t("msg.no_campaign");
    P.renderChecklist(c);
    P.renderCategories();
    P.renderTargets();
    P.renderOutbox();
  }

  // --- start -----------------------------------------------------------------------------------------------
  function refresh() {
    return loadBootstrap().then(P.loadToday);
  }
  window.addEventListener("online", function () {
    P.renderNet();
    P.notice("");
    P.flush().then(refresh);
  });
  window.addEventListener("offline", P.renderNet);
  setInterval(function () { if (navigator.onLine) P.flush(); }, P.RETRY_MS);

  if ("serviceWorker" in navigator && ds.swUrl) {
    navigator.serviceWorker.register(ds.swUrl, { scope: ds.swUrl.replace(/sw\.js$/, "") }).catch(function () {
      /* no offline shell (e.g. plain HTTP); the page still works online */
    });
  }

  P.renderNet();
  ZOutbox.setOwner(ds.me);
  ZStore.forgetOthers(ds.me)
    .then(refresh)
    .then(P.startDuty) // /m/?ticket=<id>: the ticket page's 记录上门走访
    .then(function () { return P.flush(); })
    .then(function () { root.dataset.ready = "1"; });
})();
