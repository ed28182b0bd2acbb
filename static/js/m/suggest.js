/* The phone page (/m/): the suggestion while a cadre types a resident's words into an issue of the visit form —
 * the likely categories of the campaign (a tap picks one) and open or recently resolved tickets nearby that look like
 * the same matter (POST /api/v1/tickets/suggest/, issue 15). Online only, and only a help: offline, or on any error,
 * the form stays as it is and the cadre chooses the category by hand.
 * Needs core.js and outbox.js (CSRF token).
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var el = P.el, t = P.t, state = P.state;
  var WAIT_MS = 600; // after the last keystroke
  var MIN_CHARS = 6;
  var timers = new WeakMap();
  var seq = new WeakMap(); // the latest request of each issue: an older answer arriving late is dropped

  function ask(issue) {
    var text = issue.querySelector(".issue-description").value.trim();
    var box = issue.querySelector(".issue-suggest");
    if (text.length < MIN_CHARS || !navigator.onLine) {
      box.textContent = "";
      return;
    }
    var body = { description: text };
    if (state.position) {
      body.lat = state.position.lat;
      body.lng = state.position.lng;
      body.crs = "wgs84";
    }
    var n = (seq.get(issue) || 0) + 1;
    seq.set(issue, n);
    fetch(P.urls.suggest, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": ZOutbox.csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && seq.get(issue) === n) render(issue, data); })
      .catch(function () { /* a help only: nothing to tell */ });
  }

  function render(issue, data) {
    var box = issue.querySelector(".issue-suggest");
    var select = issue.querySelector(".issue-category");
    box.textContent = "";
    var offered = {};
    for (var i = 0; i < select.options.length; i++) offered[select.options[i].value] = true;
    var cats = (data.categories || []).filter(function (c) { return c.score > 0 && offered[c.category]; }).slice(0, 3);
    if (cats.length) {
      var row = el("div", "suggest-cats", t("msg.suggested"));
      cats.forEach(function (c) {
        var b = el("button", "chip" + (select.value === c.category ? " chosen" : ""), c.category);
        b.type = "button";
        b.dataset.category = c.category;
        b.title = Math.round(c.score * 100) + "%";
        b.addEventListener("click", function () {
          select.value = c.category;
          var chips = row.querySelectorAll(".chip");
          for (var j = 0; j < chips.length; j++) chips[j].classList.toggle("chosen", chips[j] === b);
        });
        row.appendChild(b);
      });
      box.appendChild(row);
    }
    var dups = (data.duplicates || []).slice(0, 3);
    if (dups.length) {
      var list = el("ul", "suggest-dups");
      list.appendChild(el("li", "muted", t("msg.duplicates")));
      dups.forEach(function (d) {
        var li = el("li");
        li.appendChild(P.ticketLink(d.id, d.code));
        li.appendChild(document.createTextNode(" " + d.category + " · " +
          t("msg.distance", { d: Math.round(d.distance_m) }) + " · " + t("msg.days_ago", { n: Math.floor(d.days) })));
        list.appendChild(li);
      });
      box.appendChild(list);
    }
  }

  var issues = document.getElementById("issues");
  if (!issues) return;
  issues.addEventListener("input", function (e) {
    if (!e.target.classList.contains("issue-description")) return;
    var issue = e.target.closest(".issue");
    clearTimeout(timers.get(issue));
    timers.set(issue, setTimeout(function () { ask(issue); }, WAIT_MS));
  });
})();
