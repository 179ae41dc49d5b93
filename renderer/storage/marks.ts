/**
 * User Timing marks the app sets (no data in them): profilers show them on the timeline, and the benchmark
 * (bench/browser.ts) waits for them.
 */

/** Set when the ledger (the network's doc) starts loading. */
export const LEDGER_LOADING_MARK = 'larder:ledger-loading';

/** Set once the ledger (the network's doc) is loaded: `store.ready` has resolved. */
export const LEDGER_LOADED_MARK = 'larder:ledger-loaded';

/** Set once the first screen's figures are painted (the stock rows, or the network view). */
export const FIRST_VIEW_MARK = 'larder:first-view';
