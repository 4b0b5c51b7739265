// The chair's page follows the count by itself: every few seconds it asks for the two counts
// as they stand (each teller's progress, where they disagree) and swaps them in, without
// reloading the page. It stops once the ballot is no longer being counted.
(function () {
  "use strict";
  var box = document.getElementById("counts-live");
  if (!box || !box.hasAttribute("data-live-url") || !window.fetch) return;
  var url = box.getAttribute("data-live-url");
  var declare = document.getElementById("form-declare");
  var INTERVAL_MS = 3000;
  var shown = null;

  // The declare button asks first only when the counts agree (else the server says why not).
  function follow() {
    if (!declare) return;
    var agreed = Boolean(box.querySelector("[data-may-declare]"));
    var button = declare.querySelector("button");
    if (agreed) declare.setAttribute("data-confirm", declare.getAttribute("data-ask"));
    else declare.removeAttribute("data-confirm");
    if (button) button.classList.toggle("secondary", !agreed);
  }

  function next() {
    if (box.querySelector("[data-counting]")) setTimeout(poll, INTERVAL_MS);
  }

  function poll() {
    if (document.hidden) { setTimeout(poll, INTERVAL_MS); return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // A redirect is the login page: the session ended, so stop rather than show it here.
        if (response.redirected) return null;
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        if (html === null) return;
        // Only our own server's fragment, rendered with escaping, is ever put here.
        if (html && html !== shown) { box.innerHTML = html; shown = html; follow(); }
        next();
      })
      .catch(function () { setTimeout(poll, INTERVAL_MS); });
  }
  setTimeout(poll, INTERVAL_MS);
})();
