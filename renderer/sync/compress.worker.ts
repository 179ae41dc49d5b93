import { answerPack, type PackRequest } from './compressWork';

/** Deflates or inflates one large sync message off the page's thread (compressWork.ts), then is ended. */
self.onmessage = (event: MessageEvent<PackRequest>) => {
  const { answer, transfer } = answerPack(event.data);
  self.postMessage(answer, { transfer });
};
