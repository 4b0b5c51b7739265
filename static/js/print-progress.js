// Print run progress: asks the server for the run's state until it is done or failed.
// The state lives in the database, so any worker (or host) can answer; the words come from
// the server too (credentials/jobs.py), the same as the page without JavaScript shows.
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
    if (state.status === "running" && state.done === 0) {
      bar.removeAttribute("value"); // preparing: a moving bar that claims no figure yet
    } else {
      bar.value = state.done;
    }
    if (status.textContent !== state.words) status.textContent = state.words;
    download.hidden = state.status !== "done";
    box.setAttribute("data-status", state.status);
    return state.status === "done" || state.status === "failed";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (state) { if (!show(state)) setTimeout(poll, 400); })
      .catch(function () { setTimeout(poll, 2000); }); // a dropped request: try again
  }

  var initial = box.getAttribute("data-status");
  if (initial === "queued" || initial === "running") poll();
})();
