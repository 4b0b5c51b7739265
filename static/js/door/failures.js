// Scans the server keeps failing on while it answers others, counted so that one never holds up the door.

const MAX_FAILURES = 3; // a scan the server failed on this often, answering others, is suspect

// nonce -> { count, status }: times the server failed on a scan (5xx, or no answer) and then
// answered the page's next question, so the fault may be the scan's rather than the server's.
const failures = {};
let lastFailed = null; // the scan whose upload failed last, until the server is asked again

// The server failed on this scan (status 0: no answer at all).
export function uploadFailed(nonce, status) { lastFailed = { nonce: nonce, status: status }; }

// No answer for this scan, unless its failure is already noted with the server's status.
export function noAnswerFor(nonce) {
  if (!lastFailed || lastFailed.nonce !== nonce) uploadFailed(nonce, 0);
}

// The server did not answer the next question either: it is down, or the network is, and
// nothing is held against the scan.
export function serverDown() { lastFailed = null; }

// The server answered again after an upload failed: the failure counts against that scan.
export function serverAnswered() {
  if (!lastFailed) return;
  const failure = failures[lastFailed.nonce] || { count: 0, status: 0 };
  failures[lastFailed.nonce] = { count: failure.count + 1, status: lastFailed.status };
  lastFailed = null;
}

// The scan to upload next, and the suspects before it: the first waiting scan that is not
// suspect is tried, and if the server takes it, the suspects before it are the trouble. If
// every scan is suspect, they all fail alike: the oldest is tried, and none is blamed.
export function nextToUpload(queue) {
  const suspects = [];
  for (const scan of queue) {
    const failure = failures[scan.nonce];
    if (failure && failure.count >= MAX_FAILURES) suspects.push(scan);
    else return { scan: scan, suspects: suspects };
  }
  return { scan: queue[0], suspects: [] };
}

// Why a suspect is set aside, in the steward's words.
export function failedTooOften(nonce) {
  const failure = failures[nonce];
  return "The server failed on this scan " + failure.count + " times (" +
    (failure.status ? "HTTP " + failure.status : "no answer") + ") and answered the " +
    "scans after it. It may have been recorded: upload it again later, or check the person.";
}

export function forgetFailures(nonce) { delete failures[nonce]; }
