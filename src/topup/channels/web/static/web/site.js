// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // The language picker submits itself when a new language is chosen.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // Countdowns: <span data-countdown-until="ISO time" data-enables="button-id">; the server
  // enforces the wait, this only shows it.
  document.querySelectorAll("[data-countdown-until]").forEach(function (element) {
    var until = Date.parse(element.getAttribute("data-countdown-until"));
    var target = document.getElementById(element.getAttribute("data-enables") || "");
    function tick() {
      var seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      element.textContent = String(seconds);
      if (target) { target.disabled = seconds > 0; }
      if (seconds > 0) { window.setTimeout(tick, 1000); }
    }
    tick();
  });
})();
