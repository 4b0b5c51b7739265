// The steward's choices (door, direction, sound, vibration), kept on the phone between visits.
import { $ } from "./page.js";
import { recall, remember } from "./storage.js";
import { focusScan } from "./scanner.js";

export function doorName() { return $("door-choice").value; }
export function direction() { return document.querySelector("input[name=direction]:checked").value; }
export function wantsSound() { return $("opt-sound").checked; }
export function wantsVibration() { return $("opt-vibrate").checked; }

// Put back the choices saved last time, and save each change.
export function restoreSettings() {
  const settings = recall("settings", {});
  const doorChoice = $("door-choice");
  if (settings.door && Array.prototype.some.call(doorChoice.options, (o) => o.value === settings.door)) {
    doorChoice.value = settings.door;
  }
  if (settings.direction) {
    const radio = document.querySelector("input[name=direction][value=" + settings.direction + "]");
    if (radio) radio.checked = true;
  }
  $("opt-sound").checked = !!settings.sound;
  $("opt-vibrate").checked = !!settings.vibrate;
  ["door-choice", "opt-sound", "opt-vibrate"].forEach((id) => $(id).addEventListener("change", keepSettings));
  document.querySelectorAll("input[name=direction]").forEach((radio) => {
    radio.addEventListener("change", () => { keepSettings(); focusScan(); });
  });
}

function keepSettings() {
  remember("settings", { door: doorName(), direction: direction(),
    sound: wantsSound(), vibrate: wantsVibration() });
}
