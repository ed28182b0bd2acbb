/* The phone page (/m/): the visit form — the campaign's questions, issues raised inline, photos — and what
 * happens on submit: the visit is saved in the outbox first, then sent (outbox.js), and its result shown.
 * The questionnaire is questions.js's, meetings and key projects meeting.js's (both called at run time).
 * Needs core.js and outbox.js. Exposes ZPhone.renderCategories.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, el = P.el, show = P.show, t = P.t, state = P.state;

  function renderCategories() {
    var selects = document.querySelectorAll("#issues .issue-category");
    for (var i = 0; i < selects.length; i++) fillCategories(selects[i]);
  }
  function fillCategories(select) {
    var cats = (state.boot && state.boot.campaign && state.boot.campaign.categories) || [];
    var current = select.value;
    select.textContent = "";
    cats.forEach(function (name) {
      var o = el("option", null, name);
      o.value = name;
      select.appendChild(o);
    });
    if (current) select.value = current;
  }

  // --- issues inline ---------------------------------------------------------------------------------------
  $("add-issue").addEventListener("click", function () {
    var node = $("issue-template").content.firstElementChild.cloneNode(true);
    fillCategories(node.querySelector(".issue-category"));
    node.querySelector(".issue-onsite").addEventListener("change", function (e) {
      show(node.querySelector(".issue-result-label"), e.target.checked);
    });
    node.querySelector(".issue-remove").addEventListener("click", function () { node.remove(); });
    $("issues").appendChild(node);
    node.querySelector(".issue-description").focus();
  });
  function readIssues() {
    var out = [];
    var nodes = document.querySelectorAll("#issues .issue");
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      var issue = {
        kind: n.querySelector(".issue-kind").value,
        category: n.querySelector(".issue-category").value,
        description: n.querySelector(".issue-description").value.trim(),
        resolved_on_site: n.querySelector(".issue-onsite").checked,
      };
      if (!issue.description) throw t("msg.need_desc");
      if (issue.resolved_on_site) {
        issue.result = n.querySelector(".issue-result").value.trim();
        if (!issue.result) throw t("msg.need_result");
      }
      out.push(issue);
    }
    return out;
  }

  $("photos").addEventListener("change", function (e) {
    var n = e.target.files.length;
    $("photo-count").textContent = n ? t("msg.photos", { n: n }) : "";
  });

  // --- submit a visit --------------------------------------------------------------------------------------
  function buildVisit() {
    var duty = state.duty;
    if (!duty && $("visit-form").classList.contains("needs-ticket")) throw t("msg.need_ticket");
    // A meeting (座谈会, meeting.js) names a unit and its participants, not one target.
    var meeting = !duty && P.visitKind && P.visitKind() === "meeting";
    if (!meeting && !state.chosen) throw t(P.visitKind && P.visitKind() === "project" ? "msg.pick_project" : "msg.pick_target");
    var body = {
      id: P.uuid(),
      visited_at: P.isoNow(),
      people_met: Math.max(0, parseInt($("people-met").value, 10) || 0),
      notes: $("notes").value.trim(),
      issues: meeting ? [] : readIssues(),
    };
    if (meeting) P.meetingFields(body);
    // With no registered requester, the visit names only the ticket: its place is the reference (SPEC §4).
    if (!meeting && state.chosen.type) {
      body.target_type = state.chosen.type;
      body.target_id = state.chosen.id;
    }
    var c = state.boot && state.boot.campaign;
    if (duty) {
      // The door-to-door visit: the ticket travels in the body, so a visit kept in the outbox still names it. Its
      // campaign is the target's on the day (the server's default), and it answers no survey checklist.
      body.ticket = duty.id;
    } else {
      // Typed answers (questions.js); required ones only at a household's or an enterprise's door (visits/answers.py).
      var doorStep = !meeting && (state.chosen.type === "household" || state.chosen.type === "enterprise");
      body.checklist = P.readChecklist(doorStep);
      body.checklist_version = P.checklistVersion();
      if (c) body.campaign = c.id;
    }
    if (state.position) {
      // The browser's Geolocation API reports WGS-84 (SPEC §4: crs defaults to wgs84).
      body.lat = +state.position.lat.toFixed(7);
      body.lng = +state.position.lng.toFixed(7);
      body.accuracy_m = Math.round(state.position.accuracy * 10) / 10;
      body.crs = "wgs84";
    }
    return body;
  }

  /** After a flush: what became of the visit with this body (sent, failed, or still waiting). */
  function showOutcome(body, duty) {
    return ZOutbox.all().then(function (records) {
      var rec = records.filter(function (r) { return r.id === body.id; })[0];
      if (!rec) return ZStore.get("sent:" + P.today()).then(function (list) {
        var sent = (list || []).filter(function (r) { return r.id === body.id; })[0];
        showResult({ sent: true, body: body, duty: duty, result: sent && sent.result });
      });
      if (rec.state === "failed") showResult({ failed: true, body: body, duty: duty, error: rec.error });
      else if (rec.visitDone) {
        showResult({ sent: true, body: body, duty: duty, result: rec.result, photosWaiting: rec.photos.length });
      } else if (!$("visit-result").classList.contains("pending")) showResult({ pending: true, body: body, duty: duty });
    });
  }
  // A visit kept in a dead spot is sent later (the network returns, 立即发送, every 30 s): its result follows.
  var shown = null; // {body, duty} of the result on screen
  ZOutbox.onChange(function () {
    var box = $("visit-result");
    if (shown && box.classList.contains("pending") && !box.classList.contains("hidden")) showOutcome(shown.body, shown.duty);
  });

  $("visit-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var err = $("visit-error");
    show(err, false);
    var body;
    try {
      body = buildVisit();
    } catch (msg) {
      err.textContent = String(msg);
      show(err, true);
      return;
    }
    var files = Array.prototype.slice.call($("photos").files || []);
    var button = $("visit-submit");
    var duty = state.duty;
    button.disabled = true;
    ZOutbox.add(body, files)
      .then(function () {
        resetVisitForm();
        showResult({ pending: true, body: body, duty: duty });
        return P.flush();
      })
      .then(function () { return showOutcome(body, duty); })
      .catch(function (x) {
        err.textContent = String(x && x.message ? x.message : x);
        show(err, true);
      })
      .then(function () { button.disabled = false; });
  });

  function resetVisitForm() {
    $("visit-form").reset();
    $("issues").textContent = "";
    $("photo-count").textContent = "";
    P.clearDuty();
    P.choose(null);
    if (P.resetMeeting) P.resetMeeting();
  }

  function showResult(r) {
    shown = { body: r.body, duty: r.duty };
    var box = $("visit-result");
    box.textContent = "";
    box.className = "result";
    var target = r.body.target_type ? P.findTarget(r.body.target_type, r.body.target_id) || (r.duty && r.duty.target) : null;
    if (r.body.target_type === "meeting") box.appendChild(el("div", "muted", P.meetingLabel(r.body)));
    else if (target) box.appendChild(el("div", "muted", (target.name || "") + " · " + (target.address || "")));
    else if (r.duty) box.appendChild(el("div", "muted", t("msg.ticket_place") + " · " + ((r.duty.place || {}).name || "")));
    if (r.failed) {
      box.classList.add("failed");
      box.appendChild(el("b", null, t("msg.failed") + (r.error || "")));
    } else if (r.sent) {
      box.classList.add("sent");
      box.appendChild(el("b", null, t("msg.sent")));
      var res = r.result || {};
      if (res.geo_status) {
        var g = el("div", "geo-status " + res.geo_status, t("geo." + res.geo_status));
        if (res.distance_m != null) g.appendChild(el("span", "muted", " " + t("msg.distance", { d: Math.round(res.distance_m) })));
        box.appendChild(g);
        box.dataset.geoStatus = res.geo_status;
      }
      if (r.photosWaiting) box.appendChild(el("div", "muted", t("msg.photos_waiting", { n: r.photosWaiting })));
      raisedTickets(box, res.tickets || []);
    } else {
      box.classList.add("pending");
      box.appendChild(el("b", null, t("msg.saved_offline")));
    }
    if (r.duty && !r.failed) {
      var back = el("div", "duty-back", r.sent ? t("msg.for_ticket", { code: r.duty.code }) + " " : "");
      var a = el("a", "back-to-ticket", t("msg.back_to_ticket") + " " + r.duty.code + " ›");
      a.href = r.duty.url;
      back.appendChild(a);
      box.appendChild(back);
    }
    show(box, true);
    if (box.scrollIntoView) box.scrollIntoView({ block: "center" });
  }

  /** The tickets the visit raised, by code, each a link to its progress. */
  function raisedTickets(box, tickets) {
    if (!tickets.length) return;
    var line = el("div", "raised", t("msg.raised"));
    tickets.forEach(function (tk, i) {
      if (i) line.appendChild(document.createTextNode("、"));
      line.appendChild(P.ticketLink(tk.id, tk.code));
    });
    box.appendChild(line);
  }

  P.renderCategories = renderCategories;
})();
