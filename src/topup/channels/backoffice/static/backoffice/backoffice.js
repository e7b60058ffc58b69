// Back office: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  // The language picker submits itself when a new language is chosen.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  // A form asking for confirmation (refunds, approvals, erasure) says what it will do first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
