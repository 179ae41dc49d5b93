import { LarderDB } from './db';
import { answerSeedRows, type SeedRows, type SeedRowsRequest } from './seedRows';

/**
 * Reads a checkpoint's rows and writes them into the device's IndexedDB a transaction at a time, as the page
 * asks (seedRows.ts): a million rows decoded, packed into ledger blocks and written, off the page's thread
 * and heap. Kept until the page has written the last of them, or ends it.
 */
const state: { rows: SeedRows | null } = { rows: null };
let db: LarderDB | null = null;

self.onmessage = async (event: MessageEvent<SeedRowsRequest>) => {
  const answer = await answerSeedRows(state, event.data, (name) => (db ??= new LarderDB(name)));
  self.postMessage(answer);
};
