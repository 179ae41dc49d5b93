import type { SecretBox } from './secrets';

/*
 * What only the page can do for the device's Worker (docs/worker.md): open and seal the network key with the
 * desktop app's keychain (the preload bridge is the page's), allow sync servers in the page's policy (the
 * desktop app's main process sets it from the list the page reports; the web build's page narrows its own),
 * and reload the page. The Worker asks over a port of its own; the page answers with its own functions.
 */

type Ask =
  | { ask: 'seal'; text: string }
  | { ask: 'open'; sealed: string }
  | { ask: 'allowServers'; urls: string[] }
  | { ask: 'reload' };

type ToPage = { duty: number } & Ask;
type FromPage = { duty: number; value: unknown } | { duty: number; error: string };

interface DutyPort {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  start?(): void;
}

/** What the page does for its Worker: its key box (none in a plain browser), its policy, its reload. */
export interface PageDuties {
  secrets: SecretBox | null;
  allowServers(urls: readonly string[]): Promise<'ok' | 'reload'>;
  reload(): void;
}

/** The page's side: answers what the Worker asks through `port` with `duties`. */
export function servePageDuties(port: DutyPort, duties: PageDuties): void {
  port.addEventListener('message', (event) => {
    const message = event.data as Partial<ToPage> | null;
    if (typeof message?.duty !== 'number') return;
    const { duty } = message;
    const answer = (run: () => Promise<unknown>) =>
      run().then(
        (value) => port.postMessage({ duty, value } satisfies FromPage),
        (error: unknown) =>
          port.postMessage({
            duty,
            error: error instanceof Error ? error.message : String(error),
          } satisfies FromPage),
      );
    switch (message.ask) {
      case 'seal':
        return void answer(async () => (duties.secrets ? duties.secrets.seal(String(message.text)) : null));
      case 'open':
        return void answer(async () => {
          if (!duties.secrets) throw new Error('This computer has no keychain to open the network key with');
          return duties.secrets.open(String(message.sealed));
        });
      case 'allowServers':
        return void answer(() =>
          duties.allowServers(Array.isArray(message.urls) ? message.urls.map(String) : []),
        );
      case 'reload':
        duties.reload();
        return;
      default:
        return void answer(() => Promise.reject(new Error(`No such duty: ${String(message.ask)}`)));
    }
  });
  port.start?.();
}

/**
 * The Worker's side: the page's duties, asked through `port`. `hasKeychain` is whether the page has a key
 * box at all (a plain browser has none: the store then keeps the key as it is, as on the page).
 */
export function pageDutiesOverPort(port: DutyPort, hasKeychain: boolean): PageDuties {
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  port.addEventListener('message', (event) => {
    const message = event.data as FromPage | null;
    if (typeof message?.duty !== 'number') return;
    const call = waiting.get(message.duty);
    waiting.delete(message.duty);
    if ('error' in message) call?.reject(new Error(message.error));
    else call?.resolve(message.value);
  });
  port.start?.();
  const ask = <T>(what: Ask): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const duty = ++next;
      waiting.set(duty, { resolve: resolve as (v: unknown) => void, reject });
      port.postMessage({ duty, ...what } satisfies ToPage);
    });
  return {
    secrets: hasKeychain
      ? {
          seal: (text) => ask<string | null>({ ask: 'seal', text }),
          open: (sealed) => ask<string>({ ask: 'open', sealed }),
        }
      : null,
    allowServers: (urls) => ask<'ok' | 'reload'>({ ask: 'allowServers', urls: [...urls] }),
    reload: () => port.postMessage({ duty: ++next, ask: 'reload' } satisfies ToPage),
  };
}
