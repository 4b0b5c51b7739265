// The scan page's service worker: keeps the last copy of the door page and its static files,
// so a steward who reloads while the venue's Wi-Fi is down still gets the page (the roster
// and the queue of scans are in localStorage). Network first: online, nothing changes.
"use strict";
var CACHE = "confapp-door-v1";
var DOOR_PAGE = /^\/conferences\/\d+\/door$/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!DOOR_PAGE.test(url.pathname) && url.pathname.indexOf("/static/") !== 0) return;
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
