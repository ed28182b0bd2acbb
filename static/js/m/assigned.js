/* The phone page (/m/): 我包联的 (issue 16) — the server lists the user's assignments in the page (not yet visited
 * in the campaign first); a row's 记录走访 opens the visit tab with that household, enterprise or key project chosen,
 * as a tap on it in the nearby list (or the projects' list, meeting.js) would. Needs core.js, and targets.js (choose) and app.js (openTab) at run time.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var list = P.$("assigned-list");
  if (!list) return; // nothing assigned to this user

  function number(text) { return text ? Number(text) : null; }

  list.addEventListener("click", function (e) {
    var b = e.target.closest(".assigned-visit");
    if (!b) return;
    var type = b.dataset.targetType;
    var id = Number(b.dataset.targetId);
    // The cached row of the cadre's area when there is one (it carries the same masked name), else the page's own.
    var row = P.findTarget(type, id) || { type: type, id: id, name: b.dataset.name, address: b.dataset.address,
      lat: number(b.dataset.lat), lng: number(b.dataset.lng) };
    P.openTab("visit");
    if (P.setVisitKind) P.setVisitKind(type === "project" ? "project" : "door"); // a key project's visit (meeting.js)
    P.choose(row);
    if (type === "project" && P.renderProjects) P.renderProjects();
  });
})();
