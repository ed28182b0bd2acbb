// The reporter's form on /m/ (户长/楼长, templates/m/_reporter.html): a ticket for a household of their group.
//
// Like a visit (outbox.js), a report is kept on the phone first, with an id chosen here, and posted to
// /api/v1/reports/ when the network allows: in a dead spot it waits (shown under 待发送), and it is sent again on the
// `online` event, every RETRY_MS and at the next page load until the server answers. The id makes a resend land once
// (201 the first time, 200 with the same ticket after). 201/200 → it leaves the queue and the page reloads to list it
// under 我上报的; 400/403/404/409 → refused, dropped, the reason shown; a network error, a 5xx or an expired login →
// kept. Kept in localStorage per user (as messages.js keeps a cadre's acks), apart from the visits' outbox.
(function () {
  "use strict";
  var form = document.getElementById("reporter-form");
  if (!form) return;
  var panel = document.getElementById("panel-reporter");
  var error = document.getElementById("reporter-error");
  var result = document.getElementById("reporter-result");
  var pending = document.getElementById("reporter-pending");
  var KEY = "zoufang-reports:" + panel.dataset.me;
  var RETRY_MS = 30000;
  var sending = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    try { localStorage.setItem(KEY, JSON.stringify(queue)); } catch (e) { /* storage full: sent online only */ }
  }

  // As core.js's: plain-HTTP intranet pages have no randomUUID (secure contexts only); getRandomValues is everywhere.
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function fail(text) {
    error.textContent = text;
    error.classList.remove("hidden");
  }

  function detail(body) {
    if (!body || typeof body !== "object") return "";
    if (body.detail) return String(body.detail);
    return Object.keys(body).map(function (key) {
      var value = body[key];
      return Array.isArray(value) ? value.join(" ") : String(value);
    }).join(" ");
  }

  /** The waiting reports, under 待发送 (text only: no markup from the queue). */
  function showPending() {
    var queue = load();
    pending.textContent = "";
    queue.forEach(function (report) {
      var li = document.createElement("li");
      li.className = "reported-ticket pending-report";
      li.dataset.id = report.body.id;
      li.textContent = pending.dataset.waiting + " · " + report.label + " · " + report.body.description.slice(0, 60);
      pending.appendChild(li);
    });
    pending.classList.toggle("hidden", queue.length === 0);
  }

  // Resolves "sent" | "refused" | "retry"; never rejects.
  function send(report) {
    if (!navigator.onLine) return Promise.resolve("retry");
    return fetch(panel.dataset.reportsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(report.body)
    }).then(function (response) {
      if (response.redirected || response.status === 401 || response.status >= 500) return "retry";
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status === 201 || response.status === 200) {
          result.textContent = result.dataset.sent.replace("{code}", data.code || "");
          result.classList.remove("hidden");
          return "sent";
        }
        fail(error.dataset.failed + (detail(data) || String(response.status)));
        return "refused";
      });
    }).catch(function () { return "retry"; });
  }

  /** Send the queue in order, one at a time; stop at the first that must wait. */
  function flush() {
    if (sending || !load().length) return;
    sending = true;
    var landed = 0;
    (function next() {
      var queue = load();
      if (!queue.length) return done();
      send(queue[0]).then(function (outcome) {
        if (outcome === "retry") return done();
        if (outcome === "sent") landed += 1;
        save(load().filter(function (r) { return r.body.id !== queue[0].body.id; }));
        showPending();
        next();
      });
    })();
    function done() {
      sending = false;
      showPending();
      if (landed) window.setTimeout(function () { window.location.reload(); }, 800); // list it under 我上报的
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.classList.add("hidden");
    var description = document.getElementById("reporter-description").value.trim();
    if (!description) return fail(error.dataset.needDesc);
    var household = document.getElementById("reporter-household");
    var report = {
      label: household.options[household.selectedIndex].text,
      body: {
        id: uuid(),
        kind: document.getElementById("reporter-kind").value,
        category: document.getElementById("reporter-category").value,
        description: description,
        requester_household: Number(household.value)
      }
    };
    var queue = load();
    queue.push(report);
    save(queue);
    form.reset();
    if (!navigator.onLine) {
      result.textContent = result.dataset.queued;
      result.classList.remove("hidden");
    }
    showPending();
    flush();
  });

  window.addEventListener("online", flush);
  window.setInterval(flush, RETRY_MS);
  showPending();
  flush();
})();
