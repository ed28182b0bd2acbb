/* The phone page (/m/): the campaign's questionnaire (issue 16 item 6) — each question rendered by its type (text: a
 * textarea; choice: a group of radio buttons, or a select when there are many; number: a number input with its
 * bounds) from the questions kept on the phone with the bootstrap (works offline), and the answers read back typed
 * (text, the choice's label, a JSON number). The server checks them again (visits/answers.py).
 * Needs core.js. Exposes ZPhone.renderChecklist, readChecklist, checklistVersion.
 */
(function () {
  "use strict";

  var P = window.ZPhone;
  if (!P) return;
  var $ = P.$, el = P.el, t = P.t, state = P.state;
  var RADIOS_MAX = 5; // more choices than this: a select (a phone screen holds five radio buttons in a row or two)

  function questions() {
    var c = state.boot && state.boot.campaign;
    return (c && c.checklist) || [];
  }

  function title(q, box) {
    var label = el("span", "q-label", q.label);
    if (q.type === "number" && (q.min != null || q.max != null)) {
      label.appendChild(el("span", "muted q-range", "（" + (q.min != null ? q.min : "") + "~" + (q.max != null ? q.max : "") + "）"));
    }
    if (q.required) label.appendChild(el("span", "q-required", " *" + box.dataset.required));
    return label;
  }

  function choiceInput(q, box, i) {
    if (q.choices.length <= RADIOS_MAX) {
      var group = el("div", "seg q-choices");
      group.setAttribute("role", "radiogroup");
      q.choices.forEach(function (choice) {
        var opt = el("label");
        var radio = el("input");
        radio.type = "radio";
        radio.name = "q-" + i;
        radio.value = choice;
        opt.appendChild(radio);
        opt.appendChild(document.createTextNode(" " + choice));
        group.appendChild(opt);
      });
      return group;
    }
    var select = el("select");
    var none = el("option", null, box.dataset.pick);
    none.value = "";
    select.appendChild(none);
    q.choices.forEach(function (choice) {
      var o = el("option", null, choice);
      o.value = choice;
      select.appendChild(o);
    });
    return select;
  }

  function numberInput(q) {
    var input = el("input");
    input.type = "number";
    input.inputMode = q.integer ? "numeric" : "decimal";
    input.step = q.integer ? "1" : "any";
    if (q.min != null) input.min = q.min;
    if (q.max != null) input.max = q.max;
    return input;
  }

  function renderChecklist() {
    var box = $("checklist");
    box.textContent = "";
    questions().forEach(function (q, i) {
      var type = q.type || "text";
      var wrap = el(type === "choice" && q.choices.length <= RADIOS_MAX ? "div" : "label", "question q-" + type);
      wrap.dataset.key = q.key;
      wrap.dataset.type = type;
      wrap.dataset.index = i;
      wrap.appendChild(title(q, box));
      var input;
      if (type === "choice") input = choiceInput(q, box, i);
      else if (type === "number") input = numberInput(q);
      else {
        input = el("textarea");
        input.rows = 2;
        input.maxLength = 500;
      }
      input.classList.add("q-input");
      wrap.appendChild(input);
      box.appendChild(wrap);
    });
  }

  /** The answers, typed; throws the message to show when one is wrong (a number out of bounds, a required question
   * left open on a door-step visit). */
  function readChecklist(doorStep) {
    var out = {};
    var qs = questions();
    var nodes = document.querySelectorAll("#checklist .question");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var q = qs[+node.dataset.index];
      if (!q) continue;
      var value = read(node, q);
      if (value !== null) out[q.key] = value;
      else if (q.required && doorStep) throw t("msg.need_answer", { label: q.label });
    }
    return out;
  }

  function read(node, q) {
    if (q.type === "choice") {
      var picked = node.querySelector("input[type=radio]:checked") || node.querySelector("select");
      return picked && picked.value ? picked.value : null;
    }
    var raw = node.querySelector(".q-input").value.trim();
    if (!raw) return null;
    if (q.type !== "number") return raw;
    var n = Number(raw);
    var bad = !isFinite(n) || (q.integer && Math.floor(n) !== n) ||
      (q.min != null && n < q.min) || (q.max != null && n > q.max);
    if (bad) throw t("msg.bad_number", { label: q.label, min: q.min != null ? q.min : "", max: q.max != null ? q.max : "" });
    return n;
  }

  /** The fingerprint of the questions answered: sent with the answers (visits/answers.py: offline phones). */
  function checklistVersion() {
    var c = state.boot && state.boot.campaign;
    return (c && c.checklist_version) || null;
  }

  P.renderChecklist = renderChecklist;
  P.readChecklist = readChecklist;
  P.checklistVersion = checklistVersion;
})();
