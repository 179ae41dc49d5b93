/**
 * User Timing marks the app sets (no data in them): profilers show them on the timeline, and the benchmark
 * (bench/browser.ts) waits for them.
 */

/** Set when the ledger (the network's doc) starts loading. */
export const LEDGER_LOADING_MARK = 'larder:ledger-loading';

/** Set once the ledger (the network's doc) is loaded: `store.ready` has resolved. */
export const LEDGER_LOADED_MARK = 'larder:ledger-loaded';

/** Set when the stock view's first render took the rows open-early.js read (renderer/data/earlyStock.ts). */
export const EARLY_STOCK_MARK = 'larder:early-stock';

/** Set when the Network screen's first render showed the view saved at the last start (renderer/data/networkPreview.ts). */
export const NETWORK_PREVIEW_MARK = 'larder:network-preview';

/** Set once the first screen's figures are painted (the stock rows, or the network view). */
export const FIRST_VIEW_MARK = 'larder:first-view';

/** Set when the Network screen's model starts reading its rows, and once they are read (renderer/data/networkModel.ts). */
export const NETWORK_READING_MARK = 'larder:network-reading';
export const NETWORK_READ_MARK = 'larder:network-read';

/** Set when the app starts opening its store (the device lock held), and once it is open (renderer/app/App.tsx). */
export const STORE_OPENING_MARK = 'larder:store-opening';
export const STORE_OPEN_MARK = 'larder:store-open';

/** Set when sync starts: the WebRTC provider made on the loaded doc (renderer/sync/webrtc.ts). */
export const SYNC_STARTED_MARK = 'larder:sync-started';
