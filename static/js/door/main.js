// The steward's scan page: puts the scanner, the camera, the name search and the answers together.

import { app, urls } from "./page.js";
import { openQueue, newScan } from "./queue.js";
import { loadSavedRoster } from "./roster.js";
import { restoreSettings } from "./settings.js";
import { listenForScanner, offerTyping, focusScan } from "./scanner.js";
import { offerCamera } from "./camera.js";
import { offerNameSearch } from "./search.js";
import { closeAnswerOnTap } from "./answer.js";
import { showSetAside, onUploadAgain } from "./aside.js";
import { startUploads, sendScan, uploadAgain } from "./uploads.js";

// Scans go to the server when it answers; when the network is down the page answers from the
// roster it downloaded, keeps the scans on the phone (they survive a reload) and uploads them,
// in order, when the network returns. The server has the last word: it stores every uploaded
// scan once (device + nonce) and flags those it would have refused. A scan the server will not
// take as it is (a 4xx), or keeps failing on while it answers everything else, is set aside
// where the steward sees it, and the scans behind it go on: one bad scan never holds up the door.
function openDoor() {
  openQueue();
  loadSavedRoster();
  restoreSettings();
  listenForScanner((code) => sendScan(newScan({ code: code })));
  offerTyping();
  offerCamera((code) => sendScan(newScan({ code: code })));
  offerNameSearch((person, reason) => sendScan(newScan({ delegate_id: person.id, reason: reason })));
  closeAnswerOnTap();
  onUploadAgain(uploadAgain);
  keepForOffline();
  showSetAside();
  startUploads();
  focusScan();
}

// Keep a copy of this page and its files for a reload while offline (needs https or
// localhost; without a service worker the page still works, it just cannot be reloaded).
// The page tells the worker its address and the files its HTML names (one modulepreload link
// per module), as soon as a worker is active and again when a new version takes over.
function keepForOffline() {
  if (!("serviceWorker" in navigator) || !urls.serviceWorker) return;
  const workers = navigator.serviceWorker;
  workers.register(urls.serviceWorker).catch(() => { /* no offline reload on this device */ });
  workers.ready.then((registration) => handOverPage(registration.active));
  workers.addEventListener("controllerchange", () => handOverPage(workers.controller));
}

let handedTo = null;
function handOverPage(worker) {
  if (!worker || worker === handedTo) return;
  handedTo = worker;
  const files = [location.href];
  document.querySelectorAll("script[src], link[href]").forEach((el) => files.push(el.src || el.href));
  worker.postMessage({ keepForOffline: files });
}

if (app) openDoor();
