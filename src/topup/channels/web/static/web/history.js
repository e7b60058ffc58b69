/* Records: a Print button on the receipt page (hidden without JavaScript; the browser's own
   print command works either way). No inline handlers: the page's CSP forbids them. */
(function () {
  "use strict";
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
