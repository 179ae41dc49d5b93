import { answerOpen, type OpenRequest } from './syncFileOpener';

/** Opens one sync file off the page's thread (syncFileOpener.ts), then is ended. */
self.onmessage = async (event: MessageEvent<OpenRequest>) => {
  const { answer, transfer } = await answerOpen(event.data);
  self.postMessage(answer, { transfer });
};
