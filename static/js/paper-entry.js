// A teller's sheet: Enter in "paper number" goes on to the preferences (without this
// script the teller presses Tab instead), and the preferences are read back as names
// while they are typed, so a slip is seen before the paper is entered.
"use strict";

(() => {
  const form = document.getElementById("entry-form");
  if (!form) return;
  const paper = document.getElementById("paper");
  const preferences = document.getElementById("preferences");
  const reads = document.getElementById("reads");
  const names = JSON.parse(form.dataset.names || "{}");
  const places = Object.keys(names).length;

  paper.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (paper.value.trim()) preferences.focus();
  });

  const readBack = () => {
    const text = preferences.value.trim();
    if (!text) {
      reads.textContent = "";
      return;
    }
    let typed = text.split(/[\s,-]+/).filter(Boolean);
    if (places < 10 && typed.length === 1 && /^\d+$/.test(typed[0])) typed = typed[0].split("");
    reads.textContent = "Reads: " + typed
      .map((part, i) => `${i + 1} ${part === "0" ? "(skipped)" : names[part] || `“${part}” is not on the paper`}`)
      .join(", ");
  };
  preferences.addEventListener("input", readBack);
  readBack();
})();
