/**
 * The sync servers the renderer is configured with, as the main process knows them: the CSP of every
 * app:// response allows WebSockets to these and nothing else (security.ts). The renderer reports its
 * list whenever sync starts; the list is kept in the profile folder so the next launch's first page
 * already allows them. A CSP cannot change under a loaded page, so when the renderer reports a server
 * its page was not served with, it is told to reload once.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { syncServerSources } from '../shared/sync/connectPolicy';

export class SyncServerAllowList {
  private urls: string[] = [];
  /** The sources the page last served (index.html) was allowed. */
  private served = new Set<string>();

  constructor(private readonly file: string | null) {
    if (!file) return;
    try {
      const stored: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (Array.isArray(stored)) this.urls = syncServerSources(stored.filter((u) => typeof u === 'string'));
    } catch {
      // None stored yet (or unreadable): no server allowed until the renderer reports its list.
    }
  }

  /** What to build a response's CSP from; a document response records what its page was allowed. */
  forResponse(isDocument: boolean): string[] {
    if (isDocument) this.served = new Set(syncServerSources(this.urls));
    return this.urls;
  }

  /** The renderer's list. True when the loaded page's policy does not allow one of them: reload. */
  async set(urls: readonly string[]): Promise<boolean> {
    const sources = syncServerSources(urls);
    const changed = sources.join(' ') !== syncServerSources(this.urls).join(' ');
    this.urls = sources;
    if (changed && this.file) await writeFile(this.file, JSON.stringify(sources)).catch(() => undefined);
    return sources.some((s) => !this.served.has(s));
  }
}
