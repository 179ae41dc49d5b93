/** Property settings for the network tests: a fixed seed so failures reproduce (override with FC_SEED / FC_RUNS). */
export const fcOptions = {
  seed: Number(process.env.FC_SEED ?? 42),
  numRuns: Number(process.env.FC_RUNS ?? 200),
};

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
