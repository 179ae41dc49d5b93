/*
 * Starts opening this device's database (IndexedDB, "larder": renderer/storage/db.ts) as the page is parsed,
 * while the browser fetches and compiles the app's code: on an old laptop just started, IndexedDB takes a
 * few hundred milliseconds to open its files, and the app's own open (after its modules have run) waited
 * for all of it. A classic script, so it runs before the app's modules. It only opens and closes at once:
 * the app opens the database itself moments later and finds its files open. It makes nothing: on a device
 * with no database yet, the open that would create one is aborted. The app's name for the database is
 * checked against this one by tests/renderer/open-early.test.ts.
 */
/* global indexedDB */
(function () {
  'use strict';
  try {
    var request = indexedDB.open('larder');
    request.onupgradeneeded = function () {
      request.transaction.abort();
    };
    request.onsuccess = function () {
      request.result.close();
    };
    request.onerror = function (event) {
      event.preventDefault();
    };
  } catch {
    // No IndexedDB here (a private window may refuse it): the app says so when it opens.
  }
})();
