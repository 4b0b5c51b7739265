// The door page's facts from its HTML (conference, API addresses, CSRF token), and its elements by id.

export const app = document.getElementById("door-app");

function data(name) { return app ? app.getAttribute("data-" + name) : null; }

export const conferenceId = Number(data("conference"));
export const csrf = data("csrf");
export const urls = {
  scan: data("scan-url"),
  roster: data("roster-url"),
  presence: data("presence-url"),
  serviceWorker: data("service-worker"),
};

export function $(id) { return document.getElementById(id); }
