// The badge code field: a keyboard-wedge scanner types into it and presses Enter; it keeps the focus.
import { app, $ } from "./page.js";

// Back to the code field, unless the steward is busy with another control on the page.
export function focusScan() {
  const active = document.activeElement;
  if (active && active !== document.body && active !== $("scan-code") && app.contains(active) &&
      active.id !== "result") return;
  $("scan-code").focus();
}

// "Type a code": when the camera cannot read a badge, the steward types its printed code. The
// field normally keeps the phone's keyboard down (inputmode none: a scanner types, not a
// thumb); this button brings the keyboard up, and pressed again puts it away.
export function offerTyping() {
  const button = $("type-code");
  const field = $("scan-code");
  button.addEventListener("click", () => {
    const typing = button.getAttribute("aria-pressed") !== "true";
    button.setAttribute("aria-pressed", String(typing));
    field.setAttribute("inputmode", typing ? "text" : "none");
    field.placeholder = typing ? "Type the code under the QR" : "Scan a badge";
    field.blur(); // the phone reads inputmode when the field gains focus
    field.focus();
  });
}

// Each code sent (Enter) goes to onCode; the field clears for the next badge.
export function listenForScanner(onCode) {
  const field = $("scan-code");
  $("scan-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = field.value.trim();
    field.value = "";
    if (text) onCode(text);
    field.focus();
  });
  field.addEventListener("blur", () => {
    setTimeout(() => {
      if (!$("name-search").hidden || document.activeElement === $("door-choice")) return;
      if (document.activeElement === document.body) field.focus();
    }, 150);
  });
}
