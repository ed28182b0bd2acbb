/* The phone page (/m/): the ticket a visit names — the door-to-door visit of SPEC §4 and §8.
 * Opened as /m/?ticket=<id> (the ticket page's 记录上门走访 button) or from the tickets tab (上门走访 on a row), the
 * page asks /api/v1/m/tickets/<id>/ for the ticket's brief (its code, the requester to visit, or the ticket's own
 * place when the requester has no registered home), keeps it on the phone for a dead spot, and opens the visit form
 * with that target chosen. The visit then carries `ticket` (visit-form.js), also through the outbox.
 * Needs core.js and store.js, targets.js (choose) and app.js (openTab) at run time.
 * Exposes ZPhone.startDuty, openDuty, clearDuty.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, show = P.show, t = P.t, state = P.state;

  function ticketParam() {
    var m = /[?&]ticket=(\d+)/.exec(window.location.search);
    return m ? parseInt(m[1], 10) : null;
  }

  /** The brief from the server (kept on the phone), or the kept copy when the network is away. */
  function fetchBrief(id) {
    return P.getJson(P.urls.ticketBrief + id + "/").then(
      function (brief) {
        return ZStore.set("ticket:" + id, brief).then(function () { return brief; });
      },
      function (err) {
        if (err && err.status === 404) throw { message: t("msg.ticket_missing") };
        return ZStore.get("ticket:" + id).then(function (brief) {
          if (!brief) throw { message: t(err && err.login ? "msg.retry_login" : "msg.ticket_offline") };
          return brief;
        });
      }
    );
  }

  function setDuty(brief) {
    state.duty = brief;
    var code = $("duty-code");
    code.textContent = brief.code;
    code.href = brief.url;
    $("duty-status").textContent = brief.status_label || "";
    $("duty-desc").textContent = brief.description || "";
    show($("duty"), true);
    if ($("duty-none")) show($("duty-none"), false);
    $("visit-form").classList.add("has-ticket");
    if (P.setVisitKind) P.setVisitKind("door"); // a ticket's door-to-door visit is of a door (meeting.js)
    // A door-to-door visit answers the ticket, not the campaign's survey: no checklist, no list of other targets.
    show($("checklist"), false);
    $("checklist-legend").textContent = $("checklist-legend").dataset.duty;
    show($("target-pick"), false);
    if (brief.target) {
      P.choose(brief.target);
    } else {
      var place = brief.place || {};
      P.choose({ type: "", id: null, name: t("msg.ticket_place"), address: place.name || "", lat: place.lat, lng: place.lng });
    }
  }

  /** Leave the ticket: the next visit is an ordinary one (and the address bar no longer names the ticket). */
  function clearDuty() {
    if (!state.duty) return;
    state.duty = null;
    show($("duty"), false);
    if ($("duty-none")) show($("duty-none"), true);
    $("visit-form").classList.remove("has-ticket");
    show($("checklist"), true);
    $("checklist-legend").textContent = $("checklist-legend").dataset.plain;
    show($("target-pick"), true);
    if (window.history && window.history.replaceState && ticketParam() != null) {
      window.history.replaceState(null, "", window.location.pathname);
    }
  }

  function openDuty(id) {
    return fetchBrief(id).then(
      function (brief) {
        setDuty(brief);
        P.openTab("visit");
      },
      function (err) { P.notice(err && err.message ? err.message : String(err)); }
    );
  }

  /** On start: the ticket named in the address, if any. */
  function startDuty() {
    var id = ticketParam();
    return id == null ? Promise.resolve() : openDuty(id);
  }

  if ($("duty-clear")) {
    $("duty-clear").addEventListener("click", function () {
      clearDuty();
      P.choose(null);
    });
  }

  P.startDuty = startDuty;
  P.openDuty = openDuty;
  P.clearDuty = clearDuty;
})();
