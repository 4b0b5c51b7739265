// The status line: online or offline, how many scans wait to upload, and how old the roster is.
import { $ } from "./page.js";
import { waitingScans, storageIsFull } from "./queue.js";
import { rosterMadeAt } from "./roster.js";

export function showNet(online) {
  $("net-status").setAttribute("data-state", online ? "online" : "offline");
  $("net-word").textContent = online ? "Online" : "OFFLINE: answering from the roster";
  $("queue-count").textContent = String(waitingScans().length);
  if (storageIsFull()) {
    $("net-word").textContent += " · storage full: keep this page open until uploaded";
  }
  const madeAt = rosterMadeAt();
  $("roster-age").textContent = madeAt ? "of " + new Date(madeAt).toLocaleTimeString() : "not loaded";
}

// The server will take no scan from this page until the steward reloads it (and logs in).
export function showSessionEnded() {
  $("net-word").textContent = "Reload the page (log in again if asked) to upload the " +
    waitingScans().length + " waiting scans";
}
