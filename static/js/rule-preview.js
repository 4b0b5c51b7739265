// Live preview of the entitlement rule: re-asks the server (which owns the rule engine)
// whenever a field changes, so what the committee sees is exactly what will be applied.
(function () {
  "use strict";
  var form = document.getElementById("conference-form");
  if (!form) return;
  var target = document.getElementById("rule-preview");
  var url = form.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var sent = 0;

  function refresh() {
    var mine = ++sent;
    target.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-CSRFToken": token },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (mine === sent) target.innerHTML = html; // ignore answers that arrive out of order
      })
      .catch(function () {
        if (mine === sent) target.innerHTML =
          '<p class="flash flash-error" role="alert">The preview could not be updated. Use “Update preview”.</p>';
      })
      .finally(function () {
        if (mine === sent) target.removeAttribute("aria-busy");
      });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
  document.getElementById("preview-button").hidden = true;
})();
