/* The topic page (templates/tickets/topic.html): ask before ending a topic (later tickets stop attaching to it).
   Loaded as a file: the CSP allows no inline script. */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  });
})();
