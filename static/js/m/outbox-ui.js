/* The phone page (/m/): the status bar (online / offline) and the outbox as the cadre sees it — how many visits
 * wait, the failed ones to discard, the 立即发送 button — and flush(), which sends what waits (outbox.js).
 * Needs core.js, store.js and outbox.js. Exposes ZPhone.renderNet, renderOutbox, flush.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, el = P.el, show = P.show, t = P.t;

  function renderNet() {
    var n = $("net-state");
    n.textContent = navigator.onLine ? n.dataset.online : n.dataset.offline;
    n.classList.toggle("off", !navigator.onLine);
  }
  function renderOutbox() {
    return ZOutbox.all().then(function (records) {
      var waiting = records.filter(function (r) { return r.state !== "failed"; });
      var failed = records.filter(function (r) { return r.state === "failed"; });
      var c = $("outbox-count");
      c.textContent = waiting.length ? c.dataset.template.replace("{n}", waiting.length) : "";
      show($("send-now"), waiting.length > 0);
      var ul = $("outbox-failed");
      ul.textContent = "";
      failed.forEach(function (r) {
        var target = P.findTarget(r.body.target_type, r.body.target_id);
        var li = el("li", null, t("msg.failed") + (target ? target.name + " " : "") + (r.error || ""));
        var b = el("button", "small", t("msg.discard"));
        b.type = "button";
        b.addEventListener("click", function () { ZOutbox.discard(r.id).then(renderOutbox); });
        li.appendChild(b);
        ul.appendChild(li);
      });
      show(ul, failed.length > 0);
      P.renderToday(records);
    });
  }
  ZOutbox.onChange(function () { renderOutbox(); });

  /** A sent visit is kept for today's list until the server's list has it (dead spots, slow lists). */
  function rememberSent(rec) {
    var key = "sent:" + P.today();
    return ZStore.get(key).then(function (list) {
      list = list || [];
      list = list.filter(function (r) { return r.id !== rec.id; });
      list.push({ id: rec.id, body: rec.body, result: rec.result || null });
      return ZStore.set(key, list);
    });
  }

  function flush() {
    // navigator.onLine false is certain (no network at all); true may still be a dead spot, where fetch fails.
    if (!navigator.onLine) return renderOutbox().then(function () { return { sent: 0, waiting: 1 }; });
    return ZOutbox.flush(P.urls, rememberSent).then(function (summary) {
      if (summary.login) P.notice(t("msg.retry_login"), true);
      return summary;
    });
  }
  $("send-now").addEventListener("click", function () { flush(); });

  P.renderNet = renderNet;
  P.renderOutbox = renderOutbox;
  P.flush = flush;
})();
