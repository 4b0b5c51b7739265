// Irreversible steps ask first: a form with data-confirm="question" (and data-yes="Yes, ...")
// opens a dialog before it is sent; only "Yes" sends it, with confirmed=yes. Without script
// the server asks on a page of its own (confapp/confirm.py), so nothing is lost either way.
(function () {
  "use strict";
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var question = dialog.querySelector("[data-question]");
  var detail = dialog.querySelector("[data-detail]");
  var yes = dialog.querySelector("[data-yes]");
  var pending = null;

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-confirm") || form.querySelector("input[name=confirmed]")) return;
    event.preventDefault();
    pending = { form: form, submitter: event.submitter };
    question.textContent = form.getAttribute("data-confirm");
    detail.textContent = form.getAttribute("data-confirm-detail") || "";
    yes.textContent = form.getAttribute("data-yes") || "Yes";
    dialog.showModal();
  });

  dialog.addEventListener("close", function () {
    if (dialog.returnValue !== "yes" || !pending) { pending = null; return; }
    var form = pending.form;
    var flag = document.createElement("input");
    flag.type = "hidden";
    flag.name = "confirmed";
    flag.value = "yes";
    form.append(flag);
    form.requestSubmit(pending.submitter || undefined);
    pending = null;
  });
})();
