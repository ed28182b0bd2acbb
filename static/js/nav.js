/* The header's links on a phone (templates/base.html): folded behind the 菜单 button so the bar stays one line at
   360 px. Loaded right after the header, so the bar is folded before it is first drawn. Without this script the
   links simply wrap onto the bar, as they always did. */
(function () {
  "use strict";
  var bar = document.getElementById("topbar");
  var toggle = bar && bar.querySelector(".menu-toggle");
  if (!toggle) return; // nobody logged in: no links to fold
  bar.classList.add("menu-ready");

  function setOpen(open) {
    bar.classList.toggle("menu-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  toggle.addEventListener("click", function () {
    setOpen(!bar.classList.contains("menu-open"));
  });
  // Closes on Escape and on a tap anywhere outside the bar, as menus do.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && bar.classList.contains("menu-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (!bar.contains(event.target)) setOpen(false);
  });
})();
