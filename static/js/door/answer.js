// The answer, full screen: the word, who and why, a tone and a buzz, until a tap or a few seconds close it.
import { $ } from "./page.js";
import { passName, clock } from "./words.js";
import { focusScan } from "./scanner.js";
import { wantsSound, wantsVibration } from "./settings.js";

const OK_SHOWN_MS = 2500;
const REFUSED_SHOWN_MS = 5000; // a refusal stays up longer: the steward must act on it

let hideTimer = null;
let audio = null;

export function showAnswer(answer, offline) {
  $("result").setAttribute("data-result", answer.result);
  $("result-word").textContent = answer.word;
  const p = answer.person;
  $("result-who").textContent = p ? p.name + " · " + p.group : "";
  let detail = p ? passName(p.pass_type) : "";
  if (answer.reason === "already_inside") {
    detail += (detail ? " · " : "") + "inside since " + clock(answer.since) + (answer.door ? " (" + answer.door + ")" : "");
  }
  if (offline) detail += (detail ? " · " : "") + "offline: will upload";
  $("result-detail").textContent = detail;
  $("result").hidden = false;
  $("last-scan").textContent = answer.word + (p ? " · " + p.name : "") + " · " + new Date().toLocaleTimeString();
  signal(answer.status === "ok");
  clearTimeout(hideTimer);
  hideTimer = setTimeout(closeAnswer, answer.status === "ok" ? OK_SHOWN_MS : REFUSED_SHOWN_MS);
}

// The server would not record the scan: say so, and why.
export function showNotRecorded(message) {
  showAnswer({ result: "error", word: "NOT RECORDED", status: "refused", person: null }, false);
  $("result-detail").textContent = message;
}

function closeAnswer() {
  $("result").hidden = true;
  focusScan();
}

export function closeAnswerOnTap() { $("result").addEventListener("click", closeAnswer); }

function signal(ok) {
  if (wantsVibration() && navigator.vibrate) navigator.vibrate(ok ? 80 : [200, 100, 200]);
  if (!wantsSound()) return;
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const tone = audio.createOscillator();
    tone.frequency.value = ok ? 880 : 220;
    tone.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + (ok ? 0.12 : 0.4));
  } catch (e) { /* no sound on this device */ }
}
