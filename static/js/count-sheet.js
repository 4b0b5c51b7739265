// The tellers' count sheet: a tap records the delegation's vote without reloading the page.
// The sheet is one form and each button names the delegation and the choice; here the tap is
// sent with fetch, in the order tapped, and the answer updates the row, the running total and
// the line saying what was just entered. Without script the form posts as it is and the
// server answers with the sheet again, scrolled to that row.
(function () {
  "use strict";
  var form = document.getElementById("sheet-form");
  if (!form || !window.fetch || !window.FormData) return;
  var status = document.getElementById("sheet-status");
  var marked = form.querySelector("tr.just");
  var queue = Promise.resolve();

  function say(text, problem) {
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("problem", Boolean(problem));
  }

  function mark(row) {
    if (marked && marked !== row) marked.classList.remove("just");
    row.classList.add("just");
    marked = row;
  }

  function show(row, answer) {
    row.querySelector("td.entry").textContent = answer.entry;
    row.querySelectorAll("button[aria-pressed]").forEach(function (button) {
      var choice = button.value.split(":")[1];
      button.setAttribute("aria-pressed", String(choice === answer.choice));
    });
    Object.keys(answer.running).forEach(function (key) {
      var figure = document.querySelector('[data-run="' + key + '"]');
      if (figure) figure.textContent = answer.running[key];
    });
    mark(row);
    say(answer.said, false);
  }

  function refused(row, text) {
    row.classList.add("unsaved");
    say(text, true);
  }

  function send(data, row) {
    return fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.json()
          .catch(function () { return {}; })
          .then(function (answer) {
            if (response.ok && answer.running) return show(row, answer);
            refused(row, answer.message || answer.error ||
              "Not saved (the server answered " + response.status + "): tap again.");
          });
      })
      .catch(function () {
        refused(row, "Not saved: no connection to the server. Tap again.");
      })
      .finally(function () { row.removeAttribute("aria-busy"); });
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    // Split mode's "each delegate" form posts as it is: it goes back to the whole sheet.
    if (!button || button.name !== "tap" || button.hasAttribute("data-plain")) return;
    event.preventDefault();
    var data = new FormData(form);
    data.append(button.name, button.value);
    var row = button.closest("tr");
    row.setAttribute("aria-busy", "true");
    row.classList.remove("unsaved");
    // One at a time, in the order tapped: a quick correction must not overtake the first tap.
    queue = queue.then(function () { return send(data, row); });
  });
})();
