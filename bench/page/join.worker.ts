import type { JoinArgs, NewDeviceRun } from './api';
import { deviceClose, joinByFile } from './join';

/*
 * The new device of bench/join-file.ts `--worker`: its store in a dedicated Worker, as step 2 of
 * docs/worker.md would have it, joining from the coordinator's file exactly as on the page (`joinByFile`);
 * the page that started it only watches. Answers once joined, its store closed.
 */
self.onmessage = async (event: MessageEvent<JoinArgs>) => {
  let answer: { run: NewDeviceRun } | { failed: string };
  try {
    answer = { run: await joinByFile(event.data) };
    deviceClose();
  } catch (error) {
    answer = { failed: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  self.postMessage(answer);
};
