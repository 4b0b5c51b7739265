// The roster: who holds which badge and who is inside, downloaded so the page can answer scans offline.
import { urls } from "./page.js";
import { recall, remember } from "./storage.js";
import { request } from "./server.js";
import { WORDS } from "./words.js";

let roster = null;
let index = null; // codes -> person, revoked codes, people by id, who is inside

function buildIndex() {
  index = { byCode: {}, revoked: {}, byId: {}, inside: {} };
  if (!roster) return;
  roster.people.forEach((p) => {
    index.byId[p.id] = p;
    if (p.code) index.byCode[p.code] = p;
  });
  roster.revoked.forEach((r) => { index.revoked[r.code] = r; });
  Object.keys(roster.inside).forEach((id) => { index.inside[id] = roster.inside[id]; });
}

function normalise(text) { return (text || "").replace(/[\s-]/g, "").toUpperCase(); }

// The copy saved on the phone the last time, until a fresh one arrives.
export function loadSavedRoster() {
  roster = recall("roster", null);
  buildIndex();
}

// A fresh roster from the server; rejects (keeping the one we have) if it cannot be had.
export function downloadRoster() {
  return request("GET", urls.roster).then((response) => {
    if (!response.ok) throw new Error("roster " + response.status);
    return response.json();
  }).then((data) => {
    roster = data;
    try { remember("roster", roster); } catch (e) { /* storage full: keep it in memory */ }
    buildIndex();
  });
}

// When the server made the roster this page holds (an ISO time), or null if it has none.
export function rosterMadeAt() { return roster ? roster.generated_at : null; }

// What the server would say to the scan, from the roster.
export function answerFromRoster(scan) {
  let person = scan.delegate_id ? index.byId[scan.delegate_id] : index.byCode[normalise(scan.code)];
  const revoked = scan.code && index.revoked[normalise(scan.code)];
  let reason = null, since = null, door = scan.door;
  if (revoked) { reason = "revoked"; person = revoked; }
  else if (!person) reason = "unknown";
  else if (!person.approved) reason = "not_approved";
  else if (scan.direction === "in" && index.inside[person.id]) {
    reason = "already_inside"; since = index.inside[person.id].since; door = index.inside[person.id].door;
  } else if (scan.direction === "out" && !index.inside[person.id]) reason = "not_inside";
  const answer = { status: reason ? "refused" : "ok", reason: reason,
    result: reason || (scan.direction === "in" ? "admitted" : "left"),
    person: person ? { id: person.id, name: person.name, group: person.group, pass_type: person.pass_type } : null,
    since: since, door: door };
  answer.word = WORDS[answer.result];
  if (!reason) noteAnswer(answer, scan);
  return answer;
}

// Keep the roster's idea of who is inside in step with what this door has seen.
export function noteAnswer(answer, scan) {
  if (!answer.person || answer.status !== "ok") return;
  if (scan.direction === "in") index.inside[answer.person.id] = { since: scan.scanned_at, door: scan.door };
  else delete index.inside[answer.person.id];
}

// Whose badge the scan was, as far as the roster knows (a revoked badge's holder too).
export function holderOf(scan) {
  if (scan.delegate_id) return index.byId[scan.delegate_id];
  return index.byCode[normalise(scan.code)] || index.revoked[normalise(scan.code)];
}

// Up to 20 people whose name or group contains `query` (lower case).
export function peopleMatching(query) {
  if (!roster) return [];
  return roster.people.filter((p) => (
    p.name.toLowerCase().indexOf(query) >= 0 || p.group.toLowerCase().indexOf(query) >= 0
  )).slice(0, 20);
}

export function isInside(personId) { return !!index.inside[personId]; }

// Since when and by which door the person is inside ({since, door}), or null if not inside.
export function insideSince(personId) { return index.inside[personId] || null; }
