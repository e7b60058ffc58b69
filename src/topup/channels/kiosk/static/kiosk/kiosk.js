// Kiosk screens: keypad, number hints, idle timeout, heartbeat and the out-of-service cover.
// Every screen works without this file (fields are typeable, forms submit); the server decides.
(function () {
  "use strict";
  var body = document.body;
  var FAILURES_BEFORE_OUT_OF_SERVICE = 2;
  var HEARTBEAT_EVERY_MS = 30000;
  var WARNING_SECONDS = 10;

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function post(url, fields) {
    var data = new URLSearchParams(fields || {});
    return fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    });
  }

  // --- The on-screen keypad fills its field; the field stays typeable with a keyboard. ---------
  function digitsOf(text) { return text.replace(/\D/g, ""); }

  // Same shapes as the server accepts: 04xx xx xx xx, +32 4xx…, 0032 4xx… (the server decides).
  function numberState(text) {
    var digits = digitsOf(text);
    if (/^\s*\+/.test(text)) { digits = "00" + digits; }
    if (digits.indexOf("0032") === 0) { digits = "0" + digits.slice(4); }
    if (digits === "") { return "empty"; }
    if (!/^0(4([5-9]\d{0,7})?)?$/.test(digits)) { return "invalid"; }
    return digits.length === 10 ? "complete" : "incomplete";
  }

  function showNumberHint(input) {
    var hint = document.getElementById(input.getAttribute("data-hint-target") || "");
    if (!hint) { return; }
    var state = numberState(input.value);
    hint.setAttribute("data-state", state);
    hint.textContent = state === "empty" ? "" : (hint.getAttribute("data-text-" + state) || "");
    input.setAttribute("aria-invalid", state === "invalid" ? "true" : "false");
    var submit = input.form && input.form.querySelector("[data-needs-complete-number]");
    if (submit) { submit.setAttribute("aria-disabled", state === "complete" ? "false" : "true"); }
  }

  function formatNational(digits) {
    var parts = [digits.slice(0, 4), digits.slice(4, 6), digits.slice(6, 8), digits.slice(8, 10)];
    return parts.filter(function (part) { return part !== ""; }).join(" ");
  }

  document.querySelectorAll("[data-keypad]").forEach(function (keypad) {
    var input = document.getElementById(keypad.getAttribute("data-keypad"));
    if (!input) { return; }
    keypad.hidden = false;
    keypad.addEventListener("click", function (event) {
      var key = event.target.closest("button");
      if (!key || !keypad.contains(key)) { return; }
      var digits = digitsOf(input.value);
      var action = key.getAttribute("data-key-action");
      if (action === "delete") { digits = digits.slice(0, -1); }
      else if (action === "clear") { digits = ""; }
      else if (digits.length < 10) { digits += key.getAttribute("data-key"); }
      input.value = formatNational(digits);
      showNumberHint(input);
    });
  });

  document.querySelectorAll("input[data-number-hints]").forEach(function (input) {
    input.addEventListener("input", function () { showNumberHint(input); });
    showNumberHint(input);
  });

  // A payment form is sent once: a second touch while the first is on its way does nothing.
  document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent") === "true") { event.preventDefault(); return; }
      form.setAttribute("data-sent", "true");
    });
  });

  // Seconds left on a QR code: <span data-seconds-left="120" data-expired-target="id">.
  document.querySelectorAll("[data-seconds-left]").forEach(function (element) {
    var until = Date.now() + 1000 * parseInt(element.getAttribute("data-seconds-left"), 10);
    function tick() {
      var seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
      element.textContent = String(seconds);
      if (seconds > 0) { window.setTimeout(tick, 1000); return; }
      var expired = document.getElementById(element.getAttribute("data-expired-target") || "");
      if (expired) { expired.hidden = false; }
    }
    tick();
  });

  // --- Out of service: the platform cannot be reached; no payment can be started. -------------
  var cover = document.getElementById("out-of-service");
  var failures = 0;

  function setOutOfService(out) {
    if (cover) { cover.hidden = !out; }
    body.setAttribute("data-out-of-service", out ? "true" : "false");
    document.querySelectorAll("[data-payment]").forEach(function (button) { button.disabled = out; });
  }

  function platformFailed() {
    failures += 1;
    if (failures >= FAILURES_BEFORE_OUT_OF_SERVICE) { setOutOfService(true); }
  }

  function platformAnswered(inService) {
    failures = 0;
    setOutOfService(!inService);
  }

  function heartbeat() {
    var url = body.getAttribute("data-heartbeat-url");
    if (!url) { return; }
    post(url, { printer_status: body.getAttribute("data-printer-status") || "ok" })
      .then(function (response) {
        if (!response.ok) { platformFailed(); return null; }
        return response.json();
      })
      .then(function (answer) {
        if (answer) { platformAnswered(answer.accepting_payments !== false); }
      })
      .catch(platformFailed);
  }

  if (body.getAttribute("data-heartbeat-url")) {
    window.setInterval(heartbeat, HEARTBEAT_EVERY_MS);
  }
  // htmx polls (QR hand-off, payment status) count as reaching the platform, or not.
  body.addEventListener("htmx:sendError", platformFailed);
  body.addEventListener("htmx:responseError", platformFailed);
  body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) { failures = 0; }
  });
  if (body.getAttribute("data-out-of-service") === "true") {
    // The server saw no recent heartbeat: ask again now rather than in 30 s.
    setOutOfService(true);
    heartbeat();
  }

  // --- Idle timeout: wipe the session and go back to the attract screen. ----------------------
  var idleSeconds = parseInt(body.getAttribute("data-idle-seconds") || "60", 10);
  if (isNaN(idleSeconds)) { idleSeconds = 60; }
  var warning = document.getElementById("idle-warning");
  var warningCount = document.getElementById("idle-countdown");
  var lastActivity = Date.now();
  var ending = false;

  function endSession() {
    if (ending) { return; }
    ending = true;
    var home = body.getAttribute("data-attract-url") || "/kiosk/";
    var endUrl = body.getAttribute("data-end-url");
    var done = function () { window.location.replace(home); };
    if (!endUrl) { done(); return; }
    post(endUrl).then(done, done);
  }

  function activity() {
    lastActivity = Date.now();
    if (warning && !warning.hidden) { warning.hidden = true; }
  }

  if (idleSeconds > 0) {
    ["pointerdown", "keydown", "input", "wheel"].forEach(function (name) {
      document.addEventListener(name, function (event) {
        if (warning && !warning.hidden && !warning.contains(event.target)) { return; }
        activity();
      }, { capture: true, passive: true });
    });
    var more = document.getElementById("idle-more-time");
    if (more) { more.addEventListener("click", activity); }
    window.setInterval(function () {
      var left = idleSeconds - Math.floor((Date.now() - lastActivity) / 1000);
      if (left <= 0) { endSession(); return; }
      if (left <= WARNING_SECONDS && warning) {
        if (warningCount) { warningCount.textContent = String(left); }
        if (warning.hidden) {
          warning.hidden = false;
          if (more) { more.focus(); }
        }
      }
    }, 250);
  }
})();
