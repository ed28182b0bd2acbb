/* The phone page (/m/): 消息与任务 (issue 16 item 7) — the server lists the cadre's messages and tasks in the page
 * (templates/m/_messages.html); 已读 and 已完成 post to /api/v1/messages/<id>/ack/ ({"done": true} for 已完成).
 *
 * Like a visit (outbox.js), an acknowledgement is kept on the phone first and sent when the network allows: the same
 * request is sent again until the server answers it (the API is idempotent: a resend gets the same 200 and keeps the
 * first moment). 200 → it leaves the queue; 400/404 → refused, dropped, the row says why; a network error, a 5xx or
 * an expired login → kept, and sent again on the `online` event, every ZPhone.RETRY_MS and at the next page load.
 * Kept in localStorage, per user (a shared phone sends each user's acks only in their session), apart from the visits'
 * outbox, whose records are visits. Needs core.js and outbox.js (CSRF token, error text).
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var box = P.$("cadre-messages");
  if (!box) return; // not a cadre: no messages on this page
  var KEY = "zoufang-acks:" + P.ds.me;
  var sending = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(queue) {
    try { localStorage.setItem(KEY, JSON.stringify(queue)); } catch (e) { /* storage full: sent online only */ }
  }
  function rowOf(id) { return box.querySelector('.message-row[data-id="' + id + '"]'); }

  /** Show a row as acknowledged (read, and done for `done`); `note` under it (queued, or a refusal). */
  function mark(id, done, note) {
    var row = rowOf(id);
    if (!row) return;
    row.dataset.read = "1";
    row.classList.remove("unread");
    if (done) row.dataset.done = "1";
    var buttons = row.querySelectorAll(".message-ack");
    for (var i = 0; i < buttons.length; i++) {
      if (buttons[i].dataset.done === "0" || done) buttons[i].remove();
    }
    var state = row.querySelector(".message-state");
    state.textContent = (row.dataset.done ? box.dataset.done : box.dataset.read) + (note ? " · " + note : "");
    row.classList.toggle("pending", note === box.dataset.queued);
    var unread = box.querySelectorAll(".message-row.unread").length;
    var counter = P.$("cadre-messages-unread");
    counter.textContent = counter.textContent.replace(/^\d+/, String(unread));
  }

  /** Queue one acknowledgement (a later 已完成 for the same message replaces a waiting 已读), then try to send. */
  function queueAck(id, done) {
    var queue = load();
    var waiting = queue.filter(function (a) { return a.id === id; })[0];
    done = done || !!(waiting && waiting.body.done);
    queue = queue.filter(function (a) { return a.id !== id; });
    queue.push({ id: id, url: box.dataset.ackUrl + encodeURIComponent(id) + "/ack/", body: { done: done } });
    save(queue);
    mark(id, done, box.dataset.queued);
    flush();
  }

  // Resolves "sent" | "refused" | "retry"; never rejects.
  function send(ack) {
    return fetch(ack.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": ZOutbox.csrfToken(), Accept: "application/json" },
      body: JSON.stringify(ack.body),
    }).then(function (resp) {
      if (resp.status === 200) { mark(ack.id, ack.body.done, ""); return "sent"; }
      if (resp.status === 400 || resp.status === 404) {
        return resp.json().catch(function () { return null; }).then(function (data) {
          var row = rowOf(ack.id);
          if (row) {
            row.classList.remove("pending");
            row.classList.add("failed");
            row.querySelector(".message-state").textContent =
              box.dataset.failed + (ZOutbox.errorText(data) || "HTTP " + resp.status);
          }
          return "refused";
        });
      }
      return "retry"; // 401/403 (an expired login), 5xx, 429: the same request later
    }, function () { return "retry"; });
  }

  /** Forget a settled ack, unless a later one for the same message replaced it while it was on its way. */
  function drop(ack) {
    save(load().filter(function (a) { return a.id !== ack.id || a.body.done !== ack.body.done; }));
  }

  /** Send what waits, oldest first; stop at the first that must wait (offline: the rest would fare no better). */
  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    function next(queue) {
      if (!queue.length) return Promise.resolve();
      var ack = queue[0];
      return send(ack).then(function (outcome) {
        if (outcome === "retry") return null;
        drop(ack);
        return next(queue.slice(1));
      });
    }
    return next(load()).then(function () { sending = false; }, function () { sending = false; });
  }

  box.addEventListener("click", function (e) {
    var b = e.target.closest(".message-ack");
    if (!b) return;
    queueAck(b.closest(".message-row").dataset.id, b.dataset.done === "1");
  });
  // The page (or the service worker's copy of it) may predate the acks still waiting: show them as given.
  load().forEach(function (a) { mark(a.id, a.body.done, box.dataset.queued); });
  window.addEventListener("online", flush);
  setInterval(flush, P.RETRY_MS);
  flush();
})();
