/* The phone page (/m/): what a visit is of (issue 16 item 6) — a household or an enterprise (targets.js), a key
 * project (重点项目: the user's own first, from the bootstrap's `projects`), or a meeting (座谈会: a unit of the
 * user's area from `meeting_units`, a head count, and the participants chosen from the cached households and
 * enterprises of that unit, with a search box). All of it is kept on the phone with the bootstrap, so a meeting is
 * logged in a dead spot too and goes through the same outbox (outbox.js) with the API's payload:
 *   {target_type: "meeting", unit, head_count, participants: [{target_type, target_id}], ...}
 * Needs core.js and targets.js. Exposes ZPhone.visitKind, setVisitKind, meetingFields, meetingLabel, resetMeeting.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, el = P.el, show = P.show, t = P.t, state = P.state, targetKey = P.targetKey;
  var SHOWN = 50; // participants listed at once: the search narrows a grid's thousands
  var HEAD_COUNT_MAX = 9999; // visits.models.HEAD_COUNT_MAX
  var chosen = {}; // targetKey → row: the meeting's participants

  function visitKind() {
    var r = document.querySelector("input[name=visit_kind]:checked");
    return r ? r.value : "door";
  }
  function setVisitKind(kind) {
    var r = document.querySelector("input[name=visit_kind][value=" + kind + "]");
    if (r) r.checked = true;
    applyKind();
  }
  function applyKind() {
    var kind = visitKind();
    show($("target-pick"), kind === "door");
    show($("project-pick"), kind === "project");
    show($("meeting-pick"), kind === "meeting");
    show($("issues-box"), kind !== "meeting"); // a meeting raises no ticket of its own (visits.services)
    if (kind === "project") renderProjects();
    if (kind === "meeting") { renderUnits(); renderParticipants(); }
  }
  var kinds = document.querySelectorAll("input[name=visit_kind]");
  for (var i = 0; i < kinds.length; i++) {
    kinds[i].addEventListener("change", function () {
      show($("visit-result"), false); // a new visit begins: the last one's result has been seen
      P.choose(null);
      applyKind();
    });
  }

  // --- key projects --------------------------------------------------------------------------------------
  function renderProjects() {
    var ul = $("project-list");
    var q = $("project-search").value.trim().toLowerCase();
    var rows = ((state.boot && state.boot.projects) || []).filter(function (p) {
      return !q || ((p.name || "") + " " + (p.address || "")).toLowerCase().indexOf(q) >= 0;
    });
    ul.textContent = "";
    rows.slice(0, SHOWN).forEach(function (p) {
      var on = state.chosen && state.chosen.type === "project" && state.chosen.id === p.id;
      var li = el("li", "target project" + (on ? " chosen" : ""));
      li.setAttribute("role", "button");
      li.tabIndex = 0;
      li.dataset.key = targetKey("project", p.id);
      var head = el("div", "t-head");
      head.appendChild(el("b", null, p.name));
      if (p.assigned) head.appendChild(el("span", "badge verified", ul.dataset.mine));
      li.appendChild(head);
      li.appendChild(el("div", "muted", p.address || ""));
      li.addEventListener("click", function () { P.choose(p); renderProjects(); });
      ul.appendChild(li);
    });
    show($("project-empty"), rows.length === 0);
  }
  $("project-search").addEventListener("input", renderProjects);

  // --- meetings ------------------------------------------------------------------------------------------
  function units() { return (state.boot && state.boot.meeting_units) || []; }
  function unitById(id) {
    var all = units();
    for (var j = 0; j < all.length; j++) if (all[j].id === id) return all[j];
    return null;
  }
  function renderUnits() {
    var select = $("meeting-unit");
    var current = select.value;
    if (select.options.length === units().length && current) return;
    select.textContent = "";
    units().forEach(function (u) {
      var o = el("option", null, u.name);
      o.value = u.id;
      select.appendChild(o);
    });
    if (current && unitById(+current)) select.value = current;
  }
  /** Does the target lie in the meeting's unit (visits.meetings refuses a participant outside it)? */
  function inUnit(row, unit) {
    var own = unitById(row.unit);
    return !!(own && unit && own.path.indexOf(unit.path) === 0);
  }
  function renderParticipants() {
    var unit = unitById(+$("meeting-unit").value);
    var q = $("participant-search").value.trim().toLowerCase();
    var ul = $("participant-list");
    ul.textContent = "";
    Object.keys(chosen).forEach(function (k) { if (!inUnit(chosen[k], unit)) delete chosen[k]; });
    var rows = ((state.boot && state.boot.targets) || []).filter(function (r) {
      if (!inUnit(r, unit)) return false;
      return !q || ((r.name || "") + " " + (r.address || "")).toLowerCase().indexOf(q) >= 0;
    });
    // The chosen ones first, so a search never hides what is already picked.
    rows.sort(function (a, b) { return (chosen[targetKey(b.type, b.id)] ? 1 : 0) - (chosen[targetKey(a.type, a.id)] ? 1 : 0); });
    rows.slice(0, SHOWN).forEach(function (r) {
      var key = targetKey(r.type, r.id);
      var li = el("li", "participant");
      var label = el("label", "check");
      var box = el("input");
      box.type = "checkbox";
      box.checked = !!chosen[key];
      box.dataset.key = key;
      box.addEventListener("change", function () {
        if (box.checked) chosen[key] = r;
        else delete chosen[key];
        renderCount();
      });
      label.appendChild(box);
      label.appendChild(el("span", "badge " + r.type, $("target-list").dataset[r.type]));
      label.appendChild(el("span", null, " " + (r.name || "") + " · " + (r.address || "")));
      li.appendChild(label);
      ul.appendChild(li);
    });
    renderCount();
  }
  function renderCount() {
    var n = Object.keys(chosen).length;
    var p = $("participant-count");
    p.textContent = p.dataset.template.replace("{n}", n);
  }
  $("meeting-unit").addEventListener("change", renderParticipants);
  $("participant-search").addEventListener("input", renderParticipants);

  /** The meeting's fields on a visit body (throws the message to show when one is missing). */
  function meetingFields(body) {
    var unit = unitById(+$("meeting-unit").value);
    if (!unit) throw t("msg.need_unit");
    var count = Number($("meeting-head-count").value);
    if (!isFinite(count) || Math.floor(count) !== count || count < 1 || count > HEAD_COUNT_MAX) throw t("msg.need_head_count");
    body.target_type = "meeting";
    body.unit = unit.id;
    body.head_count = count;
    body.participants = Object.keys(chosen).map(function (k) {
      return { target_type: chosen[k].type, target_id: chosen[k].id };
    });
    return body;
  }
  function meetingLabel(body) {
    var unit = unitById(body.unit);
    return t("msg.meeting") + " · " + (unit ? unit.name : "") + " · " + body.head_count;
  }
  function resetMeeting() {
    chosen = {};
    $("participant-search").value = "";
    applyKind(); // the form's reset put the kind back to a door
  }

  P.visitKind = visitKind;
  P.setVisitKind = setVisitKind;
  P.meetingFields = meetingFields;
  P.meetingLabel = meetingLabel;
  P.resetMeeting = resetMeeting;
  P.renderProjects = renderProjects;
})();
