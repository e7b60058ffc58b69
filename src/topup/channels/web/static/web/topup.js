// Top-up form, progressive enhancement only: the server decides without this file (a typed
// amount wins over a preset one, a typed number over a chosen one); this keeps what is shown
// in step with what will be used.
(function () {
  "use strict";
  // Typing another amount clears the preset choice, and choosing a preset clears the typed one.
  document.querySelectorAll("input[data-clears]").forEach(function (input) {
    var radios = document.querySelectorAll('input[type=radio][name="' + input.getAttribute("data-clears") + '"]');
    input.addEventListener("input", function () {
      if (input.value.trim() !== "") { radios.forEach(function (radio) { radio.checked = false; }); }
    });
    radios.forEach(function (radio) {
      radio.addEventListener("change", function () { if (radio.checked) { input.value = ""; } });
    });
  });
  // Typing a number selects "Another number"; choosing a known number clears the typed one.
  document.querySelectorAll("input[data-selects]").forEach(function (input) {
    var other = document.getElementById(input.getAttribute("data-selects") || "");
    if (!other) { return; }
    input.addEventListener("input", function () {
      if (input.value.trim() !== "") { other.checked = true; }
    });
    document.querySelectorAll('input[type=radio][name="' + other.name + '"]').forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.checked && radio !== other) { input.value = ""; }
      });
    });
  });
})();
