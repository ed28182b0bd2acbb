/* The outbox of the cadre's phone page: every visit is saved on the phone first, then sent (SPEC §4, §8).
 *
 * A visit carries its client-chosen UUID, so sending it again after a lost answer cannot duplicate it:
 * 201/200 → accepted (then its photos are sent, each retry-safe), and the record leaves the outbox;
 * 400/404/409 → the server refuses this body: the record is marked failed with the server's message and is
 * never retried blindly (the cadre sees it and may discard it);
 * a network error, a 5xx or an expired login → the record stays and is retried later
 * (on the `online` event, every 30 s, and by the 立即发送 button).
 * Kept in page JS, not in the service worker: one code path, visible state, and no background-sync API needed.
 */
(function (global) {
  "use strict";

  var listeners = [];
  var flushing = null;

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  /** {"field": ["msg"], "issues": [{"description": ["msg"]}]} → "field: msg; issues.0.description: msg" */
  function errorText(data) {
    if (data == null) return "";
    if (typeof data === "string") return data;
    var parts = [];
    (function walk(value, path) {
      if (value == null) return;
      if (typeof value === "string") {
        parts.push((path && path !== "detail" && path !== "non_field_errors" ? path + ": " : "") + value);
      } else if (Array.isArray(value)) {
        value.forEach(function (v, i) { walk(v, typeof v === "string" ? path : (path ? path + "." : "") + i); });
      } else if (typeof value === "object") {
        Object.keys(value).forEach(function (k) { walk(value[k], path ? path + "." + k : k); });
      }
    })(data, "");
    return parts.join("; ");
  }

  function notify() { listeners.forEach(function (fn) { try { fn(); } catch (e) { /* a listener's bug must not stop sending */ } }); }

  function readJson(resp) { return resp.json().catch(function () { return null; }); }

  function isDefinitive(status) { return status === 400 || status === 404 || status === 409 || status === 413 || status === 422; }

  // --- one record ------------------------------------------------------------------------------------------
  // Resolves "done" | "failed" | "retry" | "login"; never rejects.
  function sendVisit(rec, urls) {
    return fetch(urls.visits, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: JSON.stringify(rec.body),
    }).then(function (resp) {
      return readJson(resp).then(function (data) {
        if (resp.status === 200 || resp.status === 201) {
          rec.visitDone = true;
          rec.result = data;
          return ZStore.outboxPut(rec).then(function () { return "done"; });
        }
        return classify(rec, resp.status, data, urls);
      });
    }, function () { return "retry"; });
  }

  function sendPhoto(rec, photo, urls) {
    var form = new FormData();
    form.append("file", photo.blob, photo.name || "photo.jpg");
    return fetch(urls.visits + encodeURIComponent(rec.id) + "/photos/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: form,
    }).then(function (resp) {
      return readJson(resp).then(function (data) {
        if (resp.status === 200 || resp.status === 201) return "done";
        return classify(rec, resp.status, data, urls, photo.name);
      });
    }, function () { return "retry"; });
  }

  // 401/403 may be an expired login (retry after logging in) or a real refusal (failed): /me/ tells which.
  function classify(rec, status, data, urls, photoName) {
    if (status === 401 || status === 403) {
      return fetch(urls.me, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(
        function (me) { return me.ok ? markFailed(rec, status, data, photoName) : "login"; },
        function () { return "retry"; }
      );
    }
    if (isDefinitive(status)) return markFailed(rec, status, data, photoName);
    return "retry"; // 5xx, 429, ...: the server's trouble, not this visit's
  }

  function markFailed(rec, status, data, photoName) {
    rec.state = "failed";
    rec.status = status;
    rec.error = (photoName ? "照片 " + photoName + "：" : "") + (errorText(data) || "HTTP " + status);
    return ZStore.outboxPut(rec).then(function () { return "failed"; });
  }

  function sendRecord(rec, urls) {
    var step = rec.visitDone ? Promise.resolve("done") : sendVisit(rec, urls);
    return step.then(function (outcome) {
      if (outcome !== "done") return outcome;
      return sendPhotos(rec, urls);
    });
  }

  function sendPhotos(rec, urls) {
    if (!rec.photos || !rec.photos.length) {
      return ZStore.outboxDelete(rec.id).then(function () { return "sent"; });
    }
    return sendPhoto(rec, rec.photos[0], urls).then(function (outcome) {
      if (outcome !== "done") return outcome;
      rec.photos = rec.photos.slice(1);
      return ZStore.outboxPut(rec).then(function () { return sendPhotos(rec, urls); });
    });
  }

  // --- the whole outbox ------------------------------------------------------------------------------------
  // A shared phone: each record belongs to the user who logged it, and is only ever listed and sent in that user's
  // session (a visit sent under another login would be refused, or worse, filed under the wrong cadre).
  var owner = null;
  function mine() {
    return ZStore.outboxAll().then(function (records) {
      return records.filter(function (r) { return r.owner === owner; });
    });
  }

  function flush(urls, onSent) {
    if (flushing) return flushing;
    flushing = mine()
      .then(function (records) {
        var queue = records
          .filter(function (r) { return r.state !== "failed"; })
          .sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : 1; });
        var summary = { sent: 0, failed: 0, waiting: 0, login: false };
        function next(i) {
          if (i >= queue.length) return summary;
          var rec = queue[i];
          rec.attempts = (rec.attempts || 0) + 1;
          return sendRecord(rec, urls).then(function (outcome) {
            var after = null;
            if (outcome === "sent") {
              summary.sent++;
              if (onSent) after = onSent(rec);
            } else if (outcome === "failed") {
              summary.failed++;
            } else {
              // Offline, server trouble or logged out: the rest would fare no better now.
              summary.waiting = queue.length - i;
              summary.login = outcome === "login";
              return summary;
            }
            return Promise.resolve(after).catch(function () { /* bookkeeping only */ }).then(function () {
              notify();
              return next(i + 1);
            });
          });
        }
        return next(0);
      })
      .then(
        function (summary) { flushing = null; notify(); return summary; },
        function (err) { flushing = null; notify(); throw err; }
      );
    return flushing;
  }

  global.ZOutbox = {
    /** Keep a visit (and its photos, as Blobs) on the phone until the server has it. */
    add: function (body, photos) {
      var rec = {
        id: body.id,
        body: body,
        photos: (photos || []).map(function (f) { return { name: f.name, type: f.type, blob: f }; }),
        state: "pending",
        visitDone: false,
        error: null,
        attempts: 0,
        createdAt: new Date().toISOString(),
        owner: owner,
      };
      return ZStore.outboxPut(rec).then(function () { notify(); return rec; });
    },
    /** The logged-in user (the page's data-me): records are stamped with it, and only theirs are listed and sent. */
    setOwner: function (id) { owner = String(id); },
    all: mine,
    discard: function (id) { return ZStore.outboxDelete(id).then(notify); },
    flush: flush,
    onChange: function (fn) { listeners.push(fn); },
    errorText: errorText,
    csrfToken: csrfToken,
  };
})(window);
