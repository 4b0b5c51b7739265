// The presence counters at the top of the page: inside now, delegates and votes present, the quorum.
import { $, urls } from "./page.js";
import { request } from "./server.js";

// The counters from the server; rejects if it does not answer them.
export function fetchCounters() {
  return request("GET", urls.presence).then((response) => {
    if (!response.ok) throw new Error("presence " + response.status);
    return response.json();
  });
}

export function showCounters(c) {
  $("count-inside").textContent = c.inside_now.toLocaleString();
  $("count-delegates").textContent = c.delegates_present.toLocaleString();
  $("count-votes").textContent = c.votes_present.toLocaleString();
  $("count-quorum").textContent = c.quorum.toLocaleString();
  const state = $("quorum-state");
  state.textContent = c.is_quorate ? "quorum: QUORATE" : "quorum: NOT QUORATE";
  state.className = "l " + (c.is_quorate ? "quorate" : "not-quorate");
}
