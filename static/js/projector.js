// The hall's screen: every few seconds it asks what to show (presence, a vote in progress,
// a declared result) and swaps it in. The state lives in the database, so any worker answers.
(function () {
  "use strict";
  var screen = document.getElementById("screen");
  if (!screen) return;
  var url = screen.getAttribute("data-content-url");
  var INTERVAL_MS = 3000;
  var shown = screen.innerHTML;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        // Only our own server's fragment, rendered with escaping, is ever put here.
        if (html !== null && html !== shown) { screen.innerHTML = html; shown = html; }
      })
      .catch(function () { /* keep showing what is there; the next poll tries again */ })
      .finally(function () { setTimeout(poll, INTERVAL_MS); });
  }
  setTimeout(poll, INTERVAL_MS);
})();
