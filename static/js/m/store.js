/* The phone's own storage (IndexedDB): the cached bootstrap data and the outbox of visits not yet sent.
 * Used by outbox.js and app.js of the cadre's phone page (/m/).
 *   kv      key → value: "bootstrap" (me, campaign, targets), "tickets", "sent:<yyyy-mm-dd>" (today's visits)
 *   outbox  one record per visit logged on this phone and not yet accepted by the server (with its photo Blobs)
 * IndexedDB (not localStorage) because photos are Blobs and a grid's targets can run to megabytes.
 */
(function (global) {
  "use strict";

  var DB_NAME = "zoufang-m";
  var DB_VERSION = 1;
  var dbPromise = null;

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var req = global.indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv");
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "id" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
    return dbPromise;
  }

  function run(storeName, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(storeName, mode);
        var result;
        var req = fn(tx.objectStore(storeName));
        if (req) req.onsuccess = function () { result = req.result; };
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  global.ZStore = {
    get: function (key) { return run("kv", "readonly", function (s) { return s.get(key); }); },
    set: function (key, value) { return run("kv", "readwrite", function (s) { return s.put(value, key); }); },
    del: function (key) { return run("kv", "readwrite", function (s) { return s.delete(key); }); },
    /** Another user logged in on this phone: forget the previous user's cached targets and tickets (the outbox
     * keeps their unsent visits, stamped with their id, for their next login). */
    forgetOthers: function (me) {
      me = String(me);
      return run("kv", "readonly", function (s) { return s.get("owner"); }).then(function (previous) {
        if (previous === me) return null;
        return run("kv", "readwrite", function (s) { s.clear(); return s.put(me, "owner"); });
      });
    },
    outboxAll: function () { return run("outbox", "readonly", function (s) { return s.getAll(); }); },
    outboxGet: function (id) { return run("outbox", "readonly", function (s) { return s.get(id); }); },
    outboxPut: function (rec) { return run("outbox", "readwrite", function (s) { return s.put(rec); }); },
    outboxDelete: function (id) { return run("outbox", "readwrite", function (s) { return s.delete(id); }); },
  };
})(window);
