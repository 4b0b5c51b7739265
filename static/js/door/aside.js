// The steward's list of scans set aside: who, when and why, each with Upload again and Dismiss.
import { $ } from "./page.js";
import { setAsideScans, forgetSetAside } from "./queue.js";
import { holderOf } from "./roster.js";
import { clock } from "./words.js";
import { focusScan } from "./scanner.js";

let uploadAgain = () => {};

// What "Upload again" does with the scan (main.js says: back into the queue, and upload).
export function onUploadAgain(action) { uploadAgain = action; }

export function showSetAside() {
  const entries = setAsideScans();
  const list = $("set-aside-list");
  list.textContent = "";
  entries.forEach((entry) => list.appendChild(setAsideItem(entry)));
  $("aside-count").textContent = String(entries.length);
  $("aside-link").textContent = entries.length + " set aside: see below";
  $("set-aside").hidden = $("aside-note").hidden = entries.length === 0;
}

function setAsideItem(entry) {
  const scan = entry.scan;
  const person = holderOf(scan);
  const who = element("strong", person ? person.name + " · " + person.group
    : scan.delegate_id ? "person no. " + scan.delegate_id : "code " + shortCode(scan.code));
  const when = element("span", " · " + (scan.direction === "out" ? "out" : "in") +
    (scan.door ? " · " + scan.door : "") + " · " + clock(scan.scanned_at || entry.at));
  const why = element("p", entry.reason, "aside-reason");
  const again = button("Upload again", "small secondary", () => uploadAgain(scan));
  const dismiss = button("Dismiss", "small secondary outline", () => {
    forgetSetAside(scan.nonce);
    showSetAside();
    focusScan();
  });
  const item = document.createElement("li");
  [who, when, why, again, dismiss].forEach((el) => item.appendChild(el));
  return item;
}

function element(tag, text, className) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) el.className = className;
  return el;
}

function button(text, className, onClick) {
  const el = element("button", text, className);
  el.type = "button";
  el.addEventListener("click", onClick);
  return el;
}

// Scanned text as the steward can read it: control characters spelt out, at most 40 shown.
function shortCode(text) {
  const shown = String(text).replace(/[\u0000-\u001f\u007f-\u009f\\]/g, (c) => (
    c === "\\" ? "\\\\" : "\\x" + ("0" + c.charCodeAt(0).toString(16)).slice(-2)
  ));
  return shown.length > 40 ? shown.slice(0, 40) + "…" : shown;
}
