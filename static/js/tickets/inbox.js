/* The inbox (/tickets/): a choice in a filter select applies at once (the form still works without script). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("filter-box");
    // On a phone the filter bar would push the list below the fold: folded unless a filter is on.
    if (box && !box.dataset.active && window.matchMedia("(max-width: 760px)").matches) box.open = false;
    var form = document.getElementById("filters");
    if (!form) return;
    // Leave blank filters out of the address: /tickets/?status=dispatched rather than ?q=&status=dispatched&mode=…
    form.addEventListener("submit", function () {
      form.querySelectorAll("input, select").forEach(function (input) {
        if (!input.value) input.disabled = true;
      });
    });
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        form.requestSubmit ? form.requestSubmit() : form.submit();
      });
    });
  });
})();
