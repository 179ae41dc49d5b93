import { answerOpen, answerSeal, type OpenRequest, type SealRequest } from './syncFileWork';

/** Opens or seals one sync file off the page's thread (syncFileWork.ts), then is ended. */
self.onmessage = async (event: MessageEvent<OpenRequest | SealRequest>) => {
  const request = event.data;
  const { answer, transfer } =
    request.kind === 'open' ? await answerOpen(request) : await answerSeal(request);
  self.postMessage(answer, { transfer });
};
