import { LarderDB } from './db';
import { answerRequest, type CheckpointRequest } from './checkpointTables';

/**
 * Encodes a checkpoint from the device's tables off the page's thread (checkpointEncoder.ts): a million rows
 * are seconds of work and hundreds of megabytes the page would otherwise collect. Answers once, its bytes
 * transferred, not copied; started for one checkpoint and ended after it, so its heap goes with it.
 */
self.onmessage = async (event: MessageEvent<CheckpointRequest>) => {
  const { answer, transfer } = await answerRequest(event.data, (name) => new LarderDB(name));
  self.postMessage(answer, { transfer });
};
