// Print run progress: asks the server for the run's state until it is done or failed.
// The state lives in the database, so any worker (or host) can answer.
(function () {
  "use strict";
  var box = document.getElementById("print-job");
  if (!box) return;
  var bar = document.getElementById("job-progress");
  var status = document.getElementById("job-status");
  var download = document.getElementById("job-download");
  var url = box.getAttribute("data-state-url");

  function show(state) {
    bar.max = state.total || 1;
    bar.value = state.done;
    if (state.status === "done") {
      status.textContent = "Done: " + state.total + " printed.";
      download.hidden = false;
    } else if (state.status === "failed") {
      status.textContent = "The run failed: " + (state.error || "unknown error");
    } else {
      status.textContent = "Rendering… " + state.done + " of " + state.total;
    }
    box.setAttribute("data-status", state.status);
    return state.status === "done" || state.status === "failed";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (state) { if (!show(state)) setTimeout(poll, 500); })
      .catch(function () { setTimeout(poll, 2000); }); // a dropped request: try again
  }

  var initial = box.getAttribute("data-status");
  if (initial === "queued" || initial === "running") poll();
})();
