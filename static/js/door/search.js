// A lost badge: find the person by name or group in the roster, and admit them (or let them out) by name.
import { $ } from "./page.js";
import { peopleMatching, isInside } from "./roster.js";
import { direction } from "./settings.js";
import { passName } from "./words.js";
import { focusScan } from "./scanner.js";

let chosen = null;

// The "Badge lost? Find by name" box; onAdmit(person, reason) when the steward admits someone.
export function offerNameSearch(onAdmit) {
  $("name-toggle").addEventListener("click", () => {
    const box = $("name-search");
    box.hidden = !box.hidden;
    if (!box.hidden) $("name-q").focus(); else focusScan();
  });
  $("name-q").addEventListener("input", (event) => listPeople(event.target.value.trim().toLowerCase()));
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
    chosen = null;
  });
}

function listPeople(query) {
  const list = $("name-results");
  list.textContent = "";
  if (query.length < 2) return;
  peopleMatching(query).forEach((p) => {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = p.name + " · " + p.group + " · " + passName(p.pass_type) +
      (p.approved ? "" : " · NOT APPROVED") + (isInside(p.id) ? " · inside" : "");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.textContent = direction() === "in" ? "Admit…" : "Let out…";
    button.addEventListener("click", () => choose(p));
    item.appendChild(label);
    item.appendChild(button);
    list.appendChild(item);
  });
}

function choose(person) {
  chosen = person;
  $("manual-who").textContent = person.name + " (" + person.group + ")";
  $("manual-form").hidden = false;
  $("manual-reason").focus();
}
