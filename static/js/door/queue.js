// The scans made at this door: new ones, those waiting to upload, and those set aside, all kept on the phone.
import { conferenceId } from "./page.js";
import { storageName, recall, remember, forget, entriesNamed } from "./storage.js";
import { direction, doorName } from "./settings.js";

// Each waiting scan is a storage entry of its own, named by its nonce: two tabs of one
// browser share them, and as no tab rewrites a list, neither can write over a scan the
// other queued. If both upload the same scan, its nonce makes the server count it once.
const WAITING = storageName("scan") + ".";
// Scans set aside: each an entry of its own too, with why the server would not take it.
const ASIDE = storageName("aside") + ".";
// Scans the browser's storage refused (full), by nonce: kept by this tab alone.
const unsaved = {};
const asideUnsaved = {};
let device = null;

// This phone's device id (made once), and the scans an older version of the page queued.
export function openQueue() {
  device = recall("device", null);
  if (!device) {
    device = "web-" + Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
    remember("device", device);
  }
  // A queue saved by an earlier version of this page, as one list: each scan to its own entry.
  const old = recall("queue", null);
  if (!Array.isArray(old)) return;
  old.forEach(keepWaiting);
  forget("queue");
}

// Time and randomness, not a counter: two tabs of one browser share the device id and
// must never send the same nonce for two different scans.
function nextNonce() {
  return device + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
}

// A scan at the chosen door in the chosen direction, now; `fields` say whose (code or delegate_id).
export function newScan(fields) {
  const scan = { direction: direction(), door: doorName() || undefined, nonce: nextNonce(),
    scanned_at: new Date().toISOString(), conference: conferenceId, device: device };
  return Object.assign(scan, fields);
}

function byTime(a, b) {
  if (a.scanned_at !== b.scanned_at) return a.scanned_at < b.scanned_at ? -1 : 1;
  return a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0;
}

// The scans waiting to upload, oldest first, from every tab.
export function waitingScans() {
  const found = {};
  entriesNamed(WAITING).forEach((scan) => { if (scan && scan.nonce) found[scan.nonce] = scan; });
  Object.assign(found, unsaved);
  return Object.values(found).sort(byTime);
}

export function keepWaiting(scan) {
  const name = WAITING + scan.nonce, text = JSON.stringify(scan);
  try { localStorage.setItem(name, text); return; } catch (e) { /* full: make room */ }
  // The roster's saved copy can be downloaded again (this tab keeps it in memory); a scan
  // cannot be made again.
  try { forget("roster"); localStorage.setItem(name, text); } catch (e) { unsaved[scan.nonce] = scan; }
}

export function uploaded(nonce) {
  localStorage.removeItem(WAITING + nonce);
  delete unsaved[nonce];
}

// True while some waiting scan lives only in this tab: closing it would lose the scan.
export function storageIsFull() { return Object.keys(unsaved).length > 0; }

// Out of the queue, onto the steward's list with the reason: the scans behind it go on.
export function setAside(scan, reason) {
  const entry = { scan: scan, reason: reason, at: new Date().toISOString() };
  try { localStorage.setItem(ASIDE + scan.nonce, JSON.stringify(entry)); }
  catch (e) { asideUnsaved[scan.nonce] = entry; }
  uploaded(scan.nonce);
}

// The scans set aside, oldest first, each as { scan, reason, at }.
export function setAsideScans() {
  const found = {};
  entriesNamed(ASIDE).forEach((entry) => {
    if (entry && entry.scan && entry.scan.nonce) found[entry.scan.nonce] = entry;
  });
  Object.assign(found, asideUnsaved);
  return Object.values(found).sort((a, b) => byTime(a.scan, b.scan));
}

export function forgetSetAside(nonce) {
  localStorage.removeItem(ASIDE + nonce);
  delete asideUnsaved[nonce];
}

// Which of the phone's storage entries (named in a 'storage' event) are this queue's.
export function isWaitingEntry(name) { return name.indexOf(WAITING) === 0; }
export function isSetAsideEntry(name) { return name.indexOf(ASIDE) === 0; }
