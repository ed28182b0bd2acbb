/* The phone page (/m/): 必访对象（四门必敲, issue 16) — the server lists the must-visits of the cadre's scope in the
 * page (overdue first); a row's 记录走访 opens the visit tab with that household chosen, as assigned.js does for
 * 我包联的. Needs core.js, and targets.js (choose) and app.js (openTab) at run time.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var list = P.$("must-visit-list");
  if (!list) return; // no must-visit list in this cadre's scope

  function number(text) { return text ? Number(text) : null; }

  list.addEventListener("click", function (e) {
    var b = e.target.closest(".must-visit-log");
    if (!b) return;
    var id = Number(b.dataset.targetId);
    var row = P.findTarget("household", id) || { type: "household", id: id, name: b.dataset.name,
      address: b.dataset.address, lat: number(b.dataset.lat), lng: number(b.dataset.lng) };
    P.openTab("visit");
    P.choose(row);
  });
})();
