// The scan page's service worker: keeps the last copy of the door page and its static files,
// so a steward who reloads while the venue's Wi-Fi is down still gets the page (the roster
// and the queue of scans are in localStorage). Network first: online, nothing changes.
// What it keeps: each of those files the page fetches through it, and the page and every file
// its HTML names (its stylesheets, scripts, and one modulepreload link per module of
// js/door/), which the page hands over (js/door/main.js keepForOffline).
"use strict";
// A new version drops the copies the earlier ones kept (v1 kept js/door.js, now gone; v3:
// the answer's colours, "Type a code", who is inside in the name search).
var CACHE = "confapp-door-v3";
var DOOR_PAGE = /^\/conferences\/\d+\/door$/;

self.addEventListener("install", function () { self.skipWaiting(); });
// Take the open door pages at once (they hand over their files), then drop earlier versions.
self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim().then(function () { return caches.keys(); }).then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("confapp-door-") === 0 && name !== CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }));
});

function isKept(url) {
  return url.origin === self.location.origin &&
    (DOOR_PAGE.test(url.pathname) || url.pathname.indexOf("/static/") === 0);
}

// The door page's address and its files, from the page: fetched and kept now, so the page
// reloads offline even if it was first opened before this worker was there to see it load.
// A file that cannot be had now (offline already) keeps the copy kept before, if any.
self.addEventListener("message", function (event) {
  var files = event.data && event.data.keepForOffline;
  if (!Array.isArray(files)) return;
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return Promise.all(files.filter(function (file) { return isKept(new URL(file)); })
      .map(function (file) {
        return fetch(file, { credentials: "same-origin" }).then(function (response) {
          if (response.ok && !response.redirected) return cache.put(file, response);
        }).catch(function () {});
      }));
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || !isKept(new URL(request.url))) return;
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(request, { ignoreVary: true }).then(function (hit) {
        return hit || Response.error();
      });
    })
  );
});
