// Talking to confapp's API: requests that give up in time, and what the server's reply to a scan means.
import { csrf } from "./page.js";

const REQUEST_TIMEOUT_MS = 4000; // after this a scan is answered from the roster

export function request(method, url, body) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const options = { method: method, credentials: "same-origin", signal: controller.signal,
    headers: { Accept: "application/json" } };
  if (body) {
    options.headers["Content-Type"] = "application/json";
    options.headers["X-CSRFToken"] = csrf;
    options.body = JSON.stringify(body);
  }
  return fetch(url, options).finally(() => clearTimeout(timer));
}

// The reply's status and its JSON answer ({} when the body is not confapp's JSON).
export function readReply(response) {
  return response.json().catch(() => ({})).then((answer) => (
    { status: response.status, answer: answer && typeof answer === "object" ? answer : {} }
  ));
}

// What the server's reply means for the scan it answers.
export function judge(status, answer) {
  if (answer.word) return "done"; // stored, or a retry answered as the first time (422 too)
  // No answer, a fault, or an answer not from confapp (a proxy's page, a captive portal).
  if (!answer.error || status >= 500 || status === 429 || status < 400) return "retry";
  // Logged out, or this page's CSRF token expired: every scan would fail alike; keep them.
  if (status === 401 || status === 403 || (status === 400 && !answer.field)) return "session";
  return "aside"; // this scan alone is refused (a field named, 409, 413, 422): never taken
}

export function refusal(status, answer) {
  return "Refused by the server (" + status + "): " + answer.error;
}
