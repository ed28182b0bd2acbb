/* Service worker of the cadre's phone page, served by visits.views.service_worker at /m/sw.js (scope /m/).
 * It keeps the page shell (the /m/ HTML, its JS, CSS and icons) so the page opens in a dead spot.
 * It never touches API calls: visits logged offline wait in the page's own outbox (static/js/m/outbox.js).
 * The view fills in SHELL (static URLs as the storage backend names them) and VERSION (a hash of this file
 * and that list), so a deploy that changes either installs a fresh cache and drops the old one.
 */
"use strict";

var VERSION = "__SW_VERSION__";
var CACHE = "zoufang-m-" + VERSION;
var SHELL = /*SHELL_URLS*/[];

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // One by one: a single missing file must not stop the rest of the shell from being kept.
      return Promise.all(SHELL.map(function (url) {
        return fetch(url, { credentials: "same-origin", cache: "no-cache" }).then(function (resp) {
          if (resp.ok && !resp.redirected) return cache.put(url, resp);
        }).catch(function () {});
      }));
    }).then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("zoufang-m-") === 0 && k !== CACHE; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function isShell(url) {
  return SHELL.indexOf(url.pathname) >= 0;
}

// Network first (fresh pages and files when there is a network), the kept copy when there is none.
self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  var page = req.mode === "navigate" && url.pathname === SHELL[0];
  if (!page && !isShell(url)) return; // the API and everything else: straight to the network
  event.respondWith(
    fetch(req).then(function (resp) {
      // Keep only a real 200 page (not the login page after a redirect, not an error).
      if (resp.ok && resp.type === "basic" && !resp.redirected) {
        var copy = resp.clone();
        caches.open(CACHE).then(function (cache) { cache.put(page ? SHELL[0] : url.pathname, copy); });
      }
      return resp;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(page ? SHELL[0] : url.pathname).then(function (hit) {
          return hit || Response.error();
        });
      });
    })
  );
});
