// Live presence counters: ask the server every few seconds (any worker answers from the
// database), so the presence page and the projector update without a reload.
(function () {
  "use strict";
  var box = document.getElementById("live-counters");
  if (!box) return;
  var url = box.getAttribute("data-live-url");
  var INTERVAL_MS = 3000;

  function put(name, text) {
    document.querySelectorAll("[data-live=" + name + "]").forEach(function (el) { el.textContent = text; });
  }
  function show(c) {
    put("inside_now", c.inside_now.toLocaleString("en-GB"));
    put("delegates_present", c.delegates_present.toLocaleString("en-GB"));
    put("votes_present", c.votes_present.toLocaleString("en-GB"));
    put("quorum", c.quorum.toLocaleString("en-GB"));
    put("at", new Date(c.at).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
    var state = box.querySelector("[data-live-quorate]");
    state.className = "quorum-state " + (c.is_quorate ? "quorate" : "not-quorate");
    state.querySelector(".n").textContent = c.is_quorate ? "QUORATE" : "NOT QUORATE";
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (c) { if (c) show(c); })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { setTimeout(poll, INTERVAL_MS); });
  }
  setTimeout(poll, INTERVAL_MS);
})();
