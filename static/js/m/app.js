/* The cadre's phone page (/m/): today's visits, log a visit, tickets raised, add a household (SPEC §8).
 * Needs store.js, outbox.js, map.js (and Leaflet) loaded first. All data comes from the JSON API; what the
 * page needs offline (bootstrap data, tickets, today's visits) is kept in IndexedDB by ZStore.
 */
(function () {
  "use strict";

  var root = document.getElementById("m-app");
  if (!root) return;
  var ds = root.dataset;
  var urls = {
    bootstrap: ds.bootstrapUrl,
    visits: ds.visitsUrl,
    tickets: ds.ticketsUrl,
    households: ds.householdsUrl,
    me: "/api/v1/me/",
    login: ds.loginUrl,
  };
  var RETRY_MS = 30000;
  var POOR_ACCURACY_M = 100; // SPEC §4: poor_accuracy above 100 m
  var NEARBY_SHOWN = 30;

  var state = {
    boot: null, // {me, campaign, targets}
    position: null, // {lat, lng, accuracy} WGS-84
    apiNearby: [], // targets from the near= API (online), merged with the cached ones
    chosen: null, // a target row
    map: null,
    posLayer: null,
    targetLayer: null,
    todayRows: [],
  };

  // --- small helpers ---------------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  var labels = {};
  (function readLabels() {
    var dts = $("labels").querySelectorAll("dt");
    for (var i = 0; i < dts.length; i++) labels[dts[i].textContent] = dts[i].nextElementSibling.textContent;
  })();
  function t(key, vars) {
    var s = labels[key] || key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.replace("{" + k + "}", vars[k]); });
    return s;
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function show(node, on) { node.classList.toggle("hidden", !on); }
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  /** ISO 8601 with the phone's offset, e.g. 2026-05-12T09:30:00+08:00 (SPEC §4). */
  function isoNow() {
    var d = new Date();
    var off = -d.getTimezoneOffset();
    var sign = off >= 0 ? "+" : "-";
    off = Math.abs(off);
    return today() + "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) +
      sign + pad(Math.floor(off / 60)) + ":" + pad(off % 60);
  }
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Plain-HTTP intranet pages have no randomUUID (secure contexts only); getRandomValues is everywhere.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function getJson(url) {
    if (!navigator.onLine) return Promise.reject({ offline: true });
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (r.redirected && r.url.indexOf("/accounts/login/") >= 0) throw { login: true };
      if (r.status === 401 || r.status === 403) throw { login: true, status: r.status };
      if (!r.ok) throw { status: r.status };
      return r.json();
    });
  }
  function notice(text, linkToLogin) {
    var n = $("notice");
    n.textContent = text || "";
    if (linkToLogin) {
      var a = el("a", null, " →");
      a.href = urls.login;
      n.appendChild(a);
    }
    show(n, !!text);
  }
  function targetKey(type, id) { return type + ":" + id; }
  function findTarget(type, id) {
    var all = (state.boot && state.boot.targets) || [];
    for (var i = 0; i < all.length; i++) if (all[i].type === type && all[i].id === id) return all[i];
    for (var j = 0; j < state.apiNearby.length; j++) {
      if (state.apiNearby[j].type === type && state.apiNearby[j].id === id) return state.apiNearby[j];
    }
    return null;
  }

  // --- tabs ------------------------------------------------------------------------------------------------
  function openTab(name) {
    var tabs = document.querySelectorAll(".m-tabs .tab");
    for (var i = 0; i < tabs.length; i++) tabs[i].classList.toggle("active", tabs[i].dataset.tab === name);
    ["today", "visit", "tickets", "household"].forEach(function (p) { show($("panel-" + p), p === name); });
    if (name === "visit") {
      ensureMap();
      if (!state.position) locate();
    }
    if (name === "tickets") loadTickets();
  }
  document.querySelector(".m-tabs").addEventListener("click", function (e) {
    var b = e.target.closest(".tab");
    if (b) openTab(b.dataset.tab);
  });
  root.addEventListener("click", function (e) {
    var b = e.target.closest("[data-goto]");
    if (b) openTab(b.dataset.goto);
  });

  // --- status bar and outbox -------------------------------------------------------------------------------
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
        var target = findTarget(r.body.target_type, r.body.target_id);
        var li = el("li", null, t("msg.failed") + (target ? target.name + " " : "") + (r.error || ""));
        var b = el("button", "small", t("msg.discard"));
        b.type = "button";
        b.addEventListener("click", function () { ZOutbox.discard(r.id).then(renderOutbox); });
        li.appendChild(b);
        ul.appendChild(li);
      });
      show(ul, failed.length > 0);
      renderToday(records);
    });
  }
  ZOutbox.onChange(function () { renderOutbox(); });

  function rememberSent(rec) {
    var key = "sent:" + today();
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
    return ZOutbox.flush(urls, rememberSent).then(function (summary) {
      if (summary.login) notice(t("msg.retry_login"), true);
      return summary;
    });
  }
  $("send-now").addEventListener("click", function () { flush(); });

  // --- bootstrap: me, campaign, targets (cached for dead spots) --------------------------------------------
  function fetchBootstrap() {
    var acc = null;
    function page(url) {
      return getJson(url).then(function (data) {
        if (!acc) acc = data;
        else acc.targets = acc.targets.concat(data.targets);
        return data.next ? page(data.next) : acc;
      });
    }
    return page(urls.bootstrap).then(function (boot) {
      delete boot.next;
      return ZStore.set("bootstrap", boot).then(function () { return boot; });
    });
  }
  function loadBootstrap() {
    return fetchBootstrap().then(
      function (boot) { applyBootstrap(boot); },
      function (err) {
        if (err && err.login) notice(t("msg.retry_login"), true);
        return ZStore.get("bootstrap").then(function (boot) {
          if (boot) {
            applyBootstrap(boot);
            if (!navigator.onLine) notice(t("msg.offline_cached"));
          }
        });
      }
    );
  }
  function applyBootstrap(boot) {
    state.boot = boot;
    var c = boot.campaign;
    $("campaign-name").textContent = c ? c.name : t("msg.no_campaign");
    renderChecklist(c);
    renderCategories();
    renderTargets();
    renderOutbox();
  }

  function renderChecklist(c) {
    var box = $("checklist");
    box.textContent = "";
    ((c && c.checklist) || []).forEach(function (item) {
      var label = el("label", null, item.label);
      var input = el("textarea");
      input.rows = 2;
      input.maxLength = 500;
      input.dataset.key = item.key;
      label.appendChild(input);
      box.appendChild(label);
    });
  }
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

  // --- position --------------------------------------------------------------------------------------------
  function locate() {
    var text = $("geo-text");
    if (!navigator.geolocation) {
      text.textContent = text.dataset.none;
      return;
    }
    text.textContent = text.dataset.waiting;
    navigator.geolocation.getCurrentPosition(
      function (p) {
        state.position = { lat: p.coords.latitude, lng: p.coords.longitude, accuracy: p.coords.accuracy };
        var acc = Math.round(p.coords.accuracy);
        text.textContent = text.dataset.fix.replace("{acc}", acc) + " (" + p.coords.latitude.toFixed(5) + ", " +
          p.coords.longitude.toFixed(5) + ")";
        show($("geo-warn"), acc > POOR_ACCURACY_M);
        $("geo-box").classList.toggle("poor", acc > POOR_ACCURACY_M);
        drawPosition();
        renderTargets();
        fetchNearby();
      },
      function (err) {
        state.position = null;
        text.textContent = err && err.code === 1 ? text.dataset.denied : text.dataset.none;
        show($("geo-warn"), false);
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 }
    );
  }
  $("geo-refresh").addEventListener("click", locate);

  function ensureMap() {
    if (state.map || !window.L || !window.ZMap) {
      if (state.map) state.map.invalidateSize();
      return;
    }
    var center = state.position ? [state.position.lat, state.position.lng] : null;
    state.map = ZMap.create($("m-map"), center ? { center: center } : {});
    state.targetLayer = L.layerGroup().addTo(state.map);
    state.posLayer = L.layerGroup().addTo(state.map);
  }
  function drawPosition() {
    if (!state.map || !state.position) return;
    var p = state.position;
    state.posLayer.clearLayers();
    var shown = ZMap.toDisplay(p.lat, p.lng);
    // Colours as options, not CSS classes: map.js draws on a canvas.
    L.circle(shown, { radius: p.accuracy, color: "#2563eb", weight: 1, fillOpacity: 0.12 }).addTo(state.posLayer);
    ZMap.marker(p.lat, p.lng, { circle: true, radius: 7, color: "#fff", weight: 2, fillColor: "#dc2626", fillOpacity: 1 })
      .addTo(state.posLayer);
    state.map.setView(shown, Math.max(state.map.getZoom(), 16));
  }

  // --- nearby targets --------------------------------------------------------------------------------------
  function fetchNearby() {
    if (!navigator.onLine || !state.position) return;
    var near = "near=" + state.position.lat.toFixed(6) + "," + state.position.lng.toFixed(6) + "&radius_m=1000&page_size=50";
    Promise.all([
      getJson(urls.households + "?" + near).catch(function () { return { results: [] }; }),
      getJson("/api/v1/enterprises/?" + near).catch(function () { return { results: [] }; }),
    ]).then(function (res) {
      var rows = [];
      (res[0].results || []).forEach(function (h) {
        rows.push({ type: "household", id: h.id, name: h.head_name, address: h.address, lat: h.lat, lng: h.lng, confirmed: h.confirmed });
      });
      (res[1].results || []).forEach(function (e) {
        rows.push({ type: "enterprise", id: e.id, name: e.name, address: e.address, lat: e.lat, lng: e.lng });
      });
      state.apiNearby = rows;
      renderTargets();
    });
  }

  function candidateTargets() {
    var seen = {};
    var rows = [];
    ((state.boot && state.boot.targets) || []).concat(state.apiNearby).forEach(function (r) {
      var k = targetKey(r.type, r.id);
      if (!seen[k]) { seen[k] = true; rows.push(r); }
    });
    var filter = (document.querySelector("input[name=target_filter]:checked") || {}).value || "all";
    var q = $("target-search").value.trim().toLowerCase();
    var p = state.position;
    return rows
      .filter(function (r) {
        if (filter !== "all" && r.type !== filter) return false;
        if (q && ((r.name || "") + " " + (r.address || "")).toLowerCase().indexOf(q) < 0) return false;
        return true;
      })
      .map(function (r) {
        var d = p && r.lat != null && r.lng != null ? ZMap.distanceM(p.lat, p.lng, r.lat, r.lng) : null;
        return { row: r, d: d };
      })
      .sort(function (a, b) {
        if (a.d == null && b.d == null) return a.row.id - b.row.id;
        if (a.d == null) return 1;
        if (b.d == null) return -1;
        return a.d - b.d;
      })
      .slice(0, NEARBY_SHOWN);
  }

  function renderTargets() {
    var ul = $("target-list");
    var items = candidateTargets();
    ul.textContent = "";
    if (state.targetLayer) state.targetLayer.clearLayers();
    items.forEach(function (it) {
      var r = it.row;
      var li = el("li", "target" + (state.chosen && targetKey(state.chosen.type, state.chosen.id) === targetKey(r.type, r.id) ? " chosen" : ""));
      li.dataset.key = targetKey(r.type, r.id);
      li.setAttribute("role", "button");
      li.tabIndex = 0;
      var head = el("div", "t-head");
      head.appendChild(el("span", "badge " + r.type, ul.dataset[r.type]));
      head.appendChild(el("b", null, r.name || ""));
      if (r.confirmed === false) head.appendChild(el("span", "badge pending", ul.dataset.unconfirmed));
      if (it.d != null) head.appendChild(el("span", "dist", Math.round(it.d) + " m"));
      li.appendChild(head);
      li.appendChild(el("div", "muted", r.address || ""));
      li.addEventListener("click", function () { choose(r); });
      ul.appendChild(li);
      if (state.targetLayer && r.lat != null && r.lng != null) {
        var chosen = state.chosen && targetKey(state.chosen.type, state.chosen.id) === targetKey(r.type, r.id);
        ZMap.marker(r.lat, r.lng, { circle: true, radius: chosen ? 8 : 5, color: "#fff", weight: 1, fillOpacity: 0.9,
          fillColor: chosen ? "#c0392b" : r.type === "household" ? "#1d4ed8" : "#7c3aed" })
          .on("click", function () { choose(r); })
          .addTo(state.targetLayer);
      }
    });
    show($("target-empty"), items.length === 0);
  }
  function choose(r) {
    state.chosen = r;
    show($("visit-result"), false); // a new visit begins: the last one's result has been seen
    var c = $("target-chosen");
    c.textContent = (r.type === "household" ? $("target-list").dataset.household : $("target-list").dataset.enterprise) +
      "：" + (r.name || "") + " · " + (r.address || "");
    show(c, true);
    renderTargets();
  }
  $("target-search").addEventListener("input", renderTargets);
  var filters = document.querySelectorAll("input[name=target_filter]");
  for (var fi = 0; fi < filters.length; fi++) filters[fi].addEventListener("change", renderTargets);

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
    if (!state.chosen) throw t("msg.pick_target");
    var checklist = {};
    var inputs = document.querySelectorAll("#checklist textarea");
    for (var i = 0; i < inputs.length; i++) {
      var v = inputs[i].value.trim();
      if (v) checklist[inputs[i].dataset.key] = v;
    }
    var body = {
      id: uuid(),
      target_type: state.chosen.type,
      target_id: state.chosen.id,
      visited_at: isoNow(),
      people_met: Math.max(0, parseInt($("people-met").value, 10) || 0),
      notes: $("notes").value.trim(),
      checklist: checklist,
      issues: readIssues(),
    };
    var c = state.boot && state.boot.campaign;
    if (c) body.campaign = c.id;
    if (state.position) {
      // The browser's Geolocation API reports WGS-84 (SPEC §4: crs defaults to wgs84).
      body.lat = +state.position.lat.toFixed(7);
      body.lng = +state.position.lng.toFixed(7);
      body.accuracy_m = Math.round(state.position.accuracy * 10) / 10;
      body.crs = "wgs84";
    }
    return body;
  }

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
    button.disabled = true;
    ZOutbox.add(body, files)
      .then(function () {
        resetVisitForm();
        showResult({ pending: true, body: body });
        return flush();
      })
      .then(function () { return ZOutbox.all(); })
      .then(function (records) {
        var rec = records.filter(function (r) { return r.id === body.id; })[0];
        if (!rec) return ZStore.get("sent:" + today()).then(function (list) {
          var sent = (list || []).filter(function (r) { return r.id === body.id; })[0];
          showResult({ sent: true, body: body, result: sent && sent.result });
        });
        if (rec.state === "failed") showResult({ failed: true, body: body, error: rec.error });
        else if (rec.visitDone) showResult({ sent: true, body: body, result: rec.result, photosWaiting: rec.photos.length });
        else showResult({ pending: true, body: body });
      })
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
    state.chosen = null;
    show($("target-chosen"), false);
    renderTargets();
  }

  function showResult(r) {
    var box = $("visit-result");
    box.textContent = "";
    box.className = "result";
    var target = findTarget(r.body.target_type, r.body.target_id);
    if (target) box.appendChild(el("div", "muted", (target.name || "") + " · " + (target.address || "")));
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
    } else {
      box.classList.add("pending");
      box.appendChild(el("b", null, t("msg.saved_offline")));
    }
    show(box, true);
    if (box.scrollIntoView) box.scrollIntoView({ block: "center" });
  }

  // --- today's visits --------------------------------------------------------------------------------------
  function loadToday() {
    var d = today();
    var url = urls.visits + "?cadre=" + encodeURIComponent(ds.me) + "&date_from=" + d + "&date_to=" + d + "&page_size=200";
    return getJson(url)
      .then(function (data) {
        state.todayRows = (data.results || []).map(function (v) {
          return { id: v.id, target_type: v.target_type, target_id: v.target_id, target_name: v.target_name,
            geo_status: v.geo_status, issues: (v.tickets || []).length, visited_at: v.visited_at };
        });
        return ZStore.set("today:" + d, state.todayRows);
      })
      .catch(function () {
        return ZStore.get("today:" + d).then(function (rows) { state.todayRows = rows || []; });
      })
      .then(renderOutbox);
  }

  function renderToday(outboxRecords) {
    ZStore.get("sent:" + today()).then(function (sent) {
      var byId = {};
      var rows = [];
      function add(row) { if (!byId[row.id]) { byId[row.id] = row; rows.push(row); } }
      state.todayRows.forEach(add);
      (sent || []).forEach(function (s) {
        add({ id: s.id, target_type: s.body.target_type, target_id: s.body.target_id,
          geo_status: s.result && s.result.geo_status, issues: (s.body.issues || []).length, visited_at: s.body.visited_at });
      });
      (outboxRecords || []).forEach(function (r) {
        if (r.body.visited_at.slice(0, 10) !== today()) return;
        add({ id: r.id, target_type: r.body.target_type, target_id: r.body.target_id, pending: r.state !== "failed",
          failed: r.state === "failed", issues: (r.body.issues || []).length, visited_at: r.body.visited_at });
      });
      rows.sort(function (a, b) { return a.visited_at < b.visited_at ? 1 : -1; });
      var ul = $("today-list");
      ul.textContent = "";
      var hh = {}, ent = {}, issues = 0;
      rows.forEach(function (v) {
        if (v.target_type === "household") hh[v.target_id] = true;
        if (v.target_type === "enterprise") ent[v.target_id] = true;
        issues += v.issues || 0;
        var target = findTarget(v.target_type, v.target_id);
        var li = el("li", v.pending ? "pending" : v.failed ? "failed" : "");
        var head = el("div", "t-head");
        head.appendChild(el("span", "time", (v.visited_at || "").slice(11, 16)));
        head.appendChild(el("b", null, target ? target.name : v.target_name || v.target_type + " #" + v.target_id));
        if (v.pending) head.appendChild(el("span", "badge pending", t("msg.pending_visit")));
        else if (v.geo_status) head.appendChild(el("span", "badge geo " + v.geo_status, t("geo." + v.geo_status)));
        li.appendChild(head);
        if (target) li.appendChild(el("div", "muted", target.address || ""));
        ul.appendChild(li);
      });
      $("count-visits").textContent = rows.length;
      $("count-households").textContent = Object.keys(hh).length;
      $("count-enterprises").textContent = Object.keys(ent).length;
      $("count-issues").textContent = issues;
      show($("today-empty"), rows.length === 0);
    });
  }

  // --- tickets this cadre raised ---------------------------------------------------------------------------
  function loadTickets() {
    return getJson(urls.tickets + "?mine=1&page_size=50")
      .then(function (data) {
        var rows = data.results || [];
        return ZStore.set("tickets", rows).then(function () { return rows; });
      })
      .catch(function () { return ZStore.get("tickets").then(function (rows) { return rows || []; }); })
      .then(renderTickets);
  }
  function renderTickets(rows) {
    var ul = $("ticket-list");
    ul.textContent = "";
    rows.forEach(function (tk) {
      var li = el("li");
      var head = el("div", "t-head");
      head.appendChild(el("b", null, tk.code || "#" + tk.id));
      head.appendChild(el("span", "badge status " + tk.status, tk.status_label || t("status." + tk.status)));
      if (tk.resolved_on_site) head.appendChild(el("span", "badge verified", t("msg.on_site")));
      if (tk.overdue) head.appendChild(el("span", "badge far", t("msg.overdue")));
      if (tk.supervision) head.appendChild(el("span", "badge card level" + tk.supervision, t(tk.supervision >= 2 ? "msg.red_card" : "msg.yellow_card")));
      li.appendChild(head);
      li.appendChild(el("div", "muted", [t("kind." + tk.kind), tk.category, (tk.created_at || "").slice(0, 10)].filter(Boolean).join(" · ")));
      if (tk.description) li.appendChild(el("div", "desc", tk.description.length > 80 ? tk.description.slice(0, 80) + "…" : tk.description));
      ul.appendChild(li);
    });
    show($("ticket-empty"), rows.length === 0);
  }

  // --- add a household found on the spot (online only: the visit needs the server's id) --------------------
  $("household-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var err = $("household-error");
    var done = $("household-result");
    show(err, false);
    show(done, false);
    if (!navigator.onLine) {
      err.textContent = t("msg.offline_only_online");
      show(err, true);
      return;
    }
    var body = {
      address: $("hh-address").value.trim(),
      head_name: $("hh-name").value.trim(),
      phone: $("hh-phone").value.trim(),
      members: parseInt($("hh-members").value, 10) || 1,
    };
    if (state.position) {
      body.lat = +state.position.lat.toFixed(7);
      body.lng = +state.position.lng.toFixed(7);
    }
    var me = state.boot && state.boot.me;
    if (me && me.unit && me.unit.kind === "grid") body.unit = me.unit.id;
    fetch(urls.households, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": ZOutbox.csrfToken(), Accept: "application/json" },
      body: JSON.stringify(body),
    })
      .then(function (r) { return r.json().catch(function () { return null; }).then(function (d) { return { r: r, d: d }; }); })
      .then(function (x) {
        if (x.r.status !== 201) throw ZOutbox.errorText(x.d) || "HTTP " + x.r.status;
        var h = x.d;
        var row = { type: "household", id: h.id, name: h.head_name, address: h.address, members: h.members,
          lat: h.lat, lng: h.lng, unit: h.unit, confirmed: h.confirmed };
        if (state.boot) {
          state.boot.targets.push(row);
          ZStore.set("bootstrap", state.boot);
        }
        $("household-form").reset();
        done.textContent = t("msg.household_added");
        show(done, true);
        renderTargets();
      })
      .catch(function (msg) {
        err.textContent = String(msg && msg.message ? msg.message : msg);
        show(err, true);
      });
  });

  // --- start -----------------------------------------------------------------------------------------------
  function refresh() {
    return loadBootstrap().then(loadToday);
  }
  window.addEventListener("online", function () {
    renderNet();
    notice("");
    flush().then(refresh);
  });
  window.addEventListener("offline", renderNet);
  setInterval(function () { if (navigator.onLine) flush(); }, RETRY_MS);

  if ("serviceWorker" in navigator && ds.swUrl) {
    navigator.serviceWorker.register(ds.swUrl, { scope: ds.swUrl.replace(/sw\.js$/, "") }).catch(function () {
      /* no offline shell (e.g. plain HTTP); the page still works online */
    });
  }

  renderNet();
  ZOutbox.setOwner(ds.me);
  ZStore.forgetOthers(ds.me)
    .then(refresh)
    .then(function () { return flush(); })
    .then(function () { root.dataset.ready = "1"; });
})();
