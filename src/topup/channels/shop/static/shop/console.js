// Agent console: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  // The language picker submits itself when a new language is chosen.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // The payment terminal panel is shown only while "card" is chosen.
  document.querySelectorAll("form[data-topup-form]").forEach(function (form) {
    var panel = form.querySelector("[data-terminal-panel]");
    if (!panel) { return; }
    function sync() {
      var chosen = form.querySelector("input[name=payment_method]:checked");
      panel.hidden = !(chosen && chosen.value === "card");
    }
    form.querySelectorAll("input[name=payment_method]").forEach(function (radio) {
      radio.addEventListener("change", sync);
    });
    sync();
  });
})();
