// A lost badge: find the person by name or group in the roster, and admit them (or let them out) by name.
import { $ } from "./page.js";
import { peopleMatching, insideSince, downloadRoster } from "./roster.js";
import { direction } from "./settings.js";
import { passName, clock } from "./words.js";
import { focusScan } from "./scanner.js";

let chosen = null;

// The "Badge lost? Find by name" box; onAdmit(person, reason) when the steward admits someone.
export function offerNameSearch(onAdmit) {
  const toggle = $("name-toggle");
  toggle.setAttribute("aria-expanded", "false");
  toggle.addEventListener("click", () => {
    const box = $("name-search");
    box.hidden = !box.hidden;
    toggle.setAttribute("aria-expanded", String(!box.hidden));
    if (box.hidden) { focusScan(); return; }
    $("name-q").focus();
    // Who is inside changes at every door: ask for the latest before the steward picks someone.
    downloadRoster().then(listAgain).catch(() => { /* offline: the roster we have */ });
  });
  $("name-q").addEventListener("input", listAgain);
  document.querySelectorAll("input[name=direction]").forEach((radio) => radio.addEventListener("change", listAgain));
  $("manual-cancel").addEventListener("click", () => { $("manual-form").hidden = true; chosen = null; });
  $("manual-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = $("manual-reason").value.trim();
    if (!chosen || !reason) return;
    onAdmit(chosen, reason);
    $("manual-form").hidden = true;
    $("manual-reason").value = "";
    $("name-q").value = "";
    $("name-results").textContent = "";
    $("name-search").hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    chosen = null;
  });
}

function listAgain() {
  if (!$("name-search").hidden) listPeople($("name-q").value.trim().toLowerCase());
}

// Why the steward cannot admit (or let out) this person by name, or null if they can.
function cannotPass(person, way) {
  if (!person.approved) return "NOT APPROVED";
  const inside = insideSince(person.id);
  if (way === "in" && inside) return "inside since " + clock(inside.since) + (inside.door ? " (" + inside.door + ")" : "");
  if (way === "out" && !inside) return "not inside";
  return null;
}

function listPeople(query) {
  const list = $("name-results");
  list.textContent = "";
  if (query.length < 2) return;
  const way = direction();
  peopleMatching(query).forEach((p) => {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = p.name + " · " + p.group + " · " + passName(p.pass_type);
    item.appendChild(label);
    const why = cannotPass(p, way);
    if (why) {
      const state = document.createElement("span");
      state.className = "state";
      state.textContent = why;
      item.appendChild(state);
    } else {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small";
      button.textContent = way === "in" ? "Admit…" : "Let out…";
      button.addEventListener("click", () => choose(p));
      item.appendChild(button);
    }
    list.appendChild(item);
  });
}

function choose(person) {
  chosen = person;
  $("manual-who").textContent = person.name + " (" + person.group + ")";
  $("manual-form").hidden = false;
  $("manual-reason").focus();
}
