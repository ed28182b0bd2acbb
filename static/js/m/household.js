/* The phone page (/m/): add a household found on the spot (online only: the visit needs the server's id);
 * it joins the cached targets at once. Needs core.js, store.js and outbox.js (CSRF token, error text).
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, show = P.show, t = P.t, state = P.state;

  function householdBody() {
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
    return body;
  }

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
    fetch(P.urls.households, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": ZOutbox.csrfToken(), Accept: "application/json" },
      body: JSON.stringify(householdBody()),
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
        P.renderTargets();
      })
      .catch(function (msg) {
        err.textContent = String(msg && msg.message ? msg.message : msg);
        show(err, true);
      });
  });
})();
