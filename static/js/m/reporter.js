// The reporter's form on /m/ (户长/楼长, templates/m/_reporter.html): a ticket for a household of their group,
// posted to the tickets API as `self_found`; the page reloads to list it under 我上报的. Online only: a reporter
// has no offline outbox (their page is not the visit workflow).
(function () {
  "use strict";
  var form = document.getElementById("reporter-form");
  if (!form) return;
  var panel = document.getElementById("panel-reporter");
  var error = document.getElementById("reporter-error");
  var result = document.getElementById("reporter-result");
  var button = document.getElementById("reporter-submit");

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

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.classList.add("hidden");
    var description = document.getElementById("reporter-description").value.trim();
    if (!description) return fail(error.dataset.needDesc);
    if (!navigator.onLine) return fail(error.dataset.offline);
    var body = {
      source: "self_found",
      kind: document.getElementById("reporter-kind").value,
      category: document.getElementById("reporter-category").value,
      description: description,
      requester_household: Number(document.getElementById("reporter-household").value)
    };
    button.disabled = true;
    fetch(panel.dataset.ticketsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(), "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.status !== 201) throw new Error(detail(data) || String(response.status));
        result.textContent = result.dataset.sent.replace("{code}", data.code || "");
        result.classList.remove("hidden");
        form.reset();
        window.setTimeout(function () { window.location.reload(); }, 800);
      });
    }).catch(function (problem) {
      fail(error.dataset.failed + problem.message);
    }).then(function () {
      button.disabled = false;
    });
  });
})();
