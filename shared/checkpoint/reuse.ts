/**
 * How long a checkpoint a device made is used again, for a sync file or a new device over sync (and the
 * bundle made of it sent again over sync): making one reads every projection table (5.7 s at a million
 * entries). An older one is as good: the history that follows it brings what came since.
 */
export const CHECKPOINT_REUSE_MS = 10 * 60_000;
