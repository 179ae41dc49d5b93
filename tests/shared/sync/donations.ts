import type { Donation } from '../../../shared/entries';

/** The ingest tests' entries: donations of one item at one hub, at one time, `seq` units each. */
export const T = Date.UTC(2025, 0, 1);

export const donation = (device: string, seq: number): Donation => ({
  kind: 'donation',
  hub: 'hub1',
  device,
  seq,
  item: 'itma',
  at: T,
  recordedAt: T,
  qty: seq,
  source: 'other',
});

/** `n` donations of `device`, numbered from `from`. */
export const donations = (device: string, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => donation(device, from + i));
