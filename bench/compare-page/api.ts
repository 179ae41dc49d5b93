/** What the compare page (bench/compare-page/main.ts) exposes as `window.larderCompare`, for bench/compare.ts. */
export type System = 'larder' | 'yjs' | 'pouchdb';

export interface SeedResult {
  entries: number;
  /** Generating the network in the page (same seed as every bench). */
  generateMs: number;
  /** Storing it the system's way (Larder: the update row, load and rebuild of every projection). */
  storeMs: number;
  /** PouchDB only: the first query of the view, which builds its persisted index. */
  indexMs: number;
  /** The item the pickups take (the self hub's best-stocked item). */
  pickupItem: string;
}

export interface FirstView {
  /** From the call to the self hub's stock, with item names, in memory. */
  ms: number;
  /** Where the time went: opening (and loading) the system, then reading the stock. */
  parts: Record<string, number>;
  /** On-hand per item at the self hub, as this system computed it (checked against the others). */
  stock: [string, number][];
}

export interface Pickups {
  /** Each timed pickup, from the action until committed with the stock figure current. */
  ms: number[];
  /** PouchDB only: the put alone (without the view query that reads the item's stock first). */
  putMs: number[];
}

export interface PouchSync {
  /** The first sync of the second hub's database (all N), which leaves checkpoints both ways. */
  firstSyncMs: number;
  /** Bytes of the JSON bodies to and from the remote side during the day's sync. */
  requestBytes: number;
  responseBytes: number;
  /** The same bodies, each deflated on its own (what a compressing transport would carry). */
  deflatedBytes: number;
  requests: Record<string, number>;
  docsWritten: number;
  converged: boolean;
}

export interface LarderCompare {
  seed(system: System, n: number): Promise<SeedResult>;
  usage(): Promise<number>;
  firstView(system: System): Promise<FirstView>;
  pickups(system: System, item: string, warm: number, runs: number): Promise<Pickups>;
  pouchSync(n: number, perHub: number): Promise<PouchSync>;
}

declare global {
  interface Window {
    larderCompare?: LarderCompare;
  }
}
