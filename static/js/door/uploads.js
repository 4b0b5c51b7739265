// Sending scans: live while the server answers, else answered from the roster and uploaded in order later.
import { urls } from "./page.js";
import { request, readReply, judge, refusal } from "./server.js";
import { keepWaiting, waitingScans, uploaded, setAside, forgetSetAside,
  isWaitingEntry, isSetAsideEntry } from "./queue.js";
import { answerFromRoster, noteAnswer, downloadRoster } from "./roster.js";
import { showAnswer, showNotRecorded } from "./answer.js";
import { showSetAside } from "./aside.js";
import { fetchCounters, showCounters } from "./counters.js";
import { showNet, showSessionEnded } from "./status.js";
import { uploadFailed, noAnswerFor, serverDown, serverAnswered, nextToUpload, failedTooOften,
  forgetFailures } from "./failures.js";

const PROBE_MS = 3000; // while offline, ask this often whether the server answers again

let online = navigator.onLine;
let uploading = false;
let probeTimer = null, probing = false;
let countersTimer = null;

// Listen to the network and the other tabs; keep the roster, the counters and the queue moving.
export function startUploads() {
  window.addEventListener("online", () => setOnline(true));
  window.addEventListener("offline", () => setOnline(false));
  window.addEventListener("storage", otherTabChanged);
  showNet(online);
  refreshRoster();
  refreshCounters();
  setInterval(refreshCounters, 5000);
  setInterval(() => { if (online) refreshRoster(); }, 60000);
  setInterval(uploadOrAsk, 10000);
  uploadOrAsk();
}

// A scan made at this door: the server's answer, or the roster's while it cannot be had.
export function sendScan(scan) {
  if (!online || waitingScans().length) { answerOffline(scan); return; }
  // Live, the server's clock says when the scan was made: a phone whose clock is wrong still
  // scans. (The queued copy keeps the phone's time, for an upload later.)
  const live = Object.assign({}, scan);
  delete live.scanned_at;
  request("POST", urls.scan, live).then(readReply).then((reply) => {
    const verdict = judge(reply.status, reply.answer);
    if (verdict === "done") { noteAnswer(reply.answer, scan); answer(reply.answer, false); }
    else if (verdict === "retry") {
      uploadFailed(scan.nonce, reply.status);
      throw new Error("no answer");
    }
    else if (verdict === "session") { answerOffline(scan); }
    else {
      setScanAside(scan, refusal(reply.status, reply.answer));
      showNotRecorded(reply.answer.error);
      refreshCountersSoon();
    }
  }).catch(() => {
    noAnswerFor(scan.nonce);
    setOnline(false);
    answerOffline(scan);
  });
}

// A scan set aside, back into the queue (the same nonce: if the server has it already, it counts once).
export function uploadAgain(scan) {
  scan.offline = true;
  keepWaiting(scan);
  forgetSetAside(scan.nonce);
  showSetAside();
  showNet(online);
  uploadOrAsk();
}

function answer(reply, offline) {
  showAnswer(reply, offline);
  refreshCountersSoon();
}

// What the server would say, from the roster; the scan waits in the queue to be uploaded,
// saying what the steward was told (a scan refused here too is no surprise to flag later).
function answerOffline(scan) {
  const own = answerFromRoster(scan);
  scan.offline = true;
  scan.offline_answer = own.status;
  keepWaiting(scan);
  answer(own, true);
  showNet(online);
  if (online) uploadWaiting();
}

function setScanAside(scan, reason) {
  setAside(scan, reason);
  forgetFailures(scan.nonce);
  showSetAside();
}

function setOnline(value) {
  const back = value && !online;
  online = value;
  showNet(online);
  if (!online) { askServerSoon(); return; }
  uploadWaiting();
  if (back) refreshRoster();
}

function uploadOrAsk() { if (online) uploadWaiting(); else askServerSoon(); }

// Another tab queued, uploaded or set aside a scan: show it, and upload if online.
function otherTabChanged(event) {
  if (event.key === null || isSetAsideEntry(event.key)) showSetAside();
  if (event.key !== null && !isWaitingEntry(event.key)) return;
  showNet(online);
  if (online) uploadWaiting();
}

// Upload waiting scans oldest first, one at a time, so the server applies them in order;
// a scan the server keeps failing on is passed over (failures.js) and, if the next is taken,
// set aside.
function uploadWaiting() {
  const queue = waitingScans();
  if (uploading || !queue.length || !online) return;
  const { scan, suspects } = nextToUpload(queue);
  uploading = true;
  request("POST", urls.scan, scan).then(readReply, () => (
    { status: 0, answer: {} } // no answer at all: the network, or a timeout
  )).then((reply) => {
    const verdict = judge(reply.status, reply.answer);
    if (verdict === "retry") {
      uploading = false;
      uploadFailed(scan.nonce, reply.status);
      setOnline(false); // answer from the roster, and ask the server again in a moment
      return;
    }
    if (verdict === "session") {
      uploading = false;
      showSessionEnded();
      return;
    }
    suspects.forEach((suspect) => setScanAside(suspect, failedTooOften(suspect.nonce)));
    if (verdict === "aside") setScanAside(scan, refusal(reply.status, reply.answer));
    else uploaded(scan.nonce);
    forgetFailures(scan.nonce);
    uploading = false;
    showNet(online);
    if (waitingScans().length) uploadWaiting(); else { refreshCounters(); refreshRoster(); }
  }).catch(() => {
    uploading = false;
    setOnline(false);
  });
}

// While offline, ask the server now and then whether it is back: one question at a time
// (a timer or a request in flight), however often the page notices it is offline. The
// 'online' event alone is not enough: the network can return, or the server recover,
// without the browser ever having been offline.
function askServerSoon() {
  if (!probeTimer && !probing) probeTimer = setTimeout(askServer, PROBE_MS);
}

function askServer() {
  probeTimer = null;
  if (online || probing) return;
  if (navigator.onLine === false) { askServerSoon(); return; } // no network: the 'online' event will say
  probing = true;
  fetchCounters().then((counters) => {
    probing = false;
    showCounters(counters);
    serverAnswered();
    setOnline(true);
  }).catch(() => {
    probing = false;
    serverDown();
    askServerSoon();
  });
}

function refreshCounters() {
  if (!online) return;
  fetchCounters().then((counters) => { showCounters(counters); uploadWaiting(); }).catch(() => {});
}

function refreshCountersSoon() {
  clearTimeout(countersTimer);
  countersTimer = setTimeout(refreshCounters, 400);
}

function refreshRoster() {
  downloadRoster().then(() => {
    showNet(online);
    showSetAside(); // names for the scans set aside
  }).catch(() => { /* keep the roster we have */ });
}
