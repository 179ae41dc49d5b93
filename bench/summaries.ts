import { writeFileSync } from 'node:fs';
import type { JoinFromFileRun } from './page/api';

/**
 * What the benches that `npm run bench` runs after its own (bench/others.ts) hand back to it: each writes
 * one of these as JSON to the file its `--json=FILE` option names, beside its own report.
 */

/** `bench/join-file.ts`: a new device joining from a full sync file and over sync messages, per size and run. */
export interface JoinSummary {
  n: number;
  run: number;
  /** The coordinator's device recording the N entries, saves of 200 lines. */
  recordMs: number;
  joins: (JoinFromFileRun & { heapMB: number })[];
  /**
   * `--worker`: the same files taken by a new device whose store is in a Worker, as the app runs it
   * (docs/worker.md): the page's longest task and its longest wait for a 10 ms timer meanwhile.
   */
  inWorker?: { checkpoint: boolean; longestTaskMs: number; pageLongestWaitMs: number }[];
}

/** `bench/network.ts`: the coordinator's Network screen over its own network (50 hubs × 2,000 items). */
export interface NetworkSummary {
  entries: number;
  hubs: number;
  items: number;
  /** NetworkModel: subscribe → first snapshot, in a browser just started. */
  firstSnapshotMs: number;
  /** New remote entry → updated view: right after the screen opened, and after the page sat idle. */
  afterOpen: RemoteSeries;
  afterQuiet: RemoteSeries;
  quietS: number;
  /** Entries whose item's figure moved by their effect, of all timed. */
  changed: number;
  timed: number;
}
export interface RemoteSeries {
  count: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

/** `bench/compare.ts`: Larder beside Yjs + y-indexeddb and PouchDB, one table per size, as its report has it. */
export interface CompareSummary {
  n: number;
  /** The markdown table (Metric, one column per system, the ratios). */
  table: string;
  /** Whether the three systems' stock of the hub agrees ("yes: …" or what differs). */
  agrees: string;
}

/** Writes `summary` as JSON to `file` (the script's `--json` option), when one was given. */
export function writeSummary(file: string | undefined, summary: unknown): void {
  if (file) writeFileSync(file, JSON.stringify(summary));
}
