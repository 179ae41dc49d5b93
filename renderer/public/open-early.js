/*
 * Starts opening this device's database (IndexedDB, "larder": renderer/storage/db.ts) as the page is parsed,
 * while the browser fetches and compiles the app's code: on an old laptop just started, IndexedDB takes a
 * few hundred milliseconds to open its files, and the app's own open (after its modules have run) waited
 * for all of it. A classic script, so it runs before the app's modules. It makes nothing: on a device with
 * no database yet, the open that would create one is aborted. The app's name for the database is checked
 * against this one by tests/renderer/open-early.test.ts.
 *
 * On a hub's device opening on its stock view, it also reads that view's rows (the hub's shelf, levels and
 * the catalog, renderer/data/earlyStock.ts) in the same moments: the database answers one request after
 * another, and the ~100 ms it took to answer them came after the app's modules had run, before the first
 * rows. It leaves them in `window.larderEarlyStock` (a promise; null when it read nothing) for the app to
 * take if they still stand for its database (same version, same hub), and closes its connection.
 *
 * On a page opening on the Network screen, it reads the view this device saved the last time it showed
 * that screen (renderer/data/networkPreview.ts), for the screen to show while it reads its figures again:
 * `window.larderEarlyNetwork`.
 */
/* global indexedDB, location, window */
(function () {
  'use strict';
  var settle;
  var early = null;
  var read = null;
  try {
    // Only where the stock view is the first screen (a hub's default, or the URL names it).
    if (/^#?\/?(stock)?$/.test(location.hash)) {
      read = readStock;
      early = window.larderEarlyStock = new Promise(function (resolve) {
        settle = resolve;
      });
    } else if (/^#\/?network$/.test(location.hash)) {
      read = readPreview;
      early = window.larderEarlyNetwork = new Promise(function (resolve) {
        settle = resolve;
      });
    }
  } catch {
    early = null;
  }
  var done = function (value) {
    if (settle) settle(value);
    settle = null;
  };
  try {
    var request = indexedDB.open('larder');
    request.onupgradeneeded = function () {
      request.transaction.abort();
      done(null);
    };
    request.onsuccess = function () {
      var db = request.result;
      // The database's version, for the app to declare its schema whole when it is the latest (db.ts).
      window.larderDbVersion = db.version;
      // An upgrade by the app (a new version of Larder) must not wait for this connection.
      db.onversionchange = function () {
        db.close();
      };
      if (!early) return db.close();
      read(db);
    };
    request.onerror = function (event) {
      event.preventDefault();
      done(null);
    };
  } catch {
    // No IndexedDB here (a private window may refuse it): the app says so when it opens.
    done(null);
  }

  function readPreview(db) {
    var tx;
    try {
      tx = db.transaction(['meta'], 'readonly');
    } catch {
      db.close();
      return done(null);
    }
    var preview = null;
    tx.objectStore('meta').get('networkPreview').onsuccess = function (event) {
      preview = event.target.result || null;
    };
    tx.oncomplete = function () {
      db.close();
      done(preview ? { version: db.version, preview: preview } : null);
    };
    tx.onerror = tx.onabort = function (event) {
      if (event && event.preventDefault) event.preventDefault();
      db.close();
      done(null);
    };
  }

  function readStock(db) {
    var names = ['meta', 'items', 'shelf', 'levels', 'categoryLevels', 'hubs'];
    for (var i = 0; i < names.length; i++)
      if (!db.objectStoreNames.contains(names[i])) {
        db.close();
        return done(null);
      }
    var tx;
    try {
      tx = db.transaction(names, 'readonly');
    } catch {
      db.close();
      return done(null);
    }
    var rows = {
      version: db.version,
      hub: null,
      items: null,
      shelf: null,
      levels: null,
      categoryLevels: null,
      hubs: null,
    };
    var all = function (source, name, query) {
      source.getAll(query).onsuccess = function (event) {
        rows[name] = event.target.result;
      };
    };
    tx.objectStore('meta').get('self').onsuccess = function (event) {
      var self = event.target.result;
      // Its hub and role only: nothing else of the row is kept.
      if (!self || self.role !== 'hub' || typeof self.hubId !== 'string' || !self.hubId) return;
      rows.hub = self.hubId;
      all(tx.objectStore('shelf').index('hub'), 'shelf', self.hubId);
      all(tx.objectStore('levels').index('hub'), 'levels', self.hubId);
      all(tx.objectStore('categoryLevels').index('hub'), 'categoryLevels', self.hubId);
      all(tx.objectStore('items').index('nameKey'), 'items');
      all(tx.objectStore('hubs'), 'hubs');
    };
    tx.oncomplete = function () {
      db.close();
      done(rows.hub ? rows : null);
    };
    tx.onerror = tx.onabort = function (event) {
      if (event && event.preventDefault) event.preventDefault();
      db.close();
      done(null);
    };
  }
})();
