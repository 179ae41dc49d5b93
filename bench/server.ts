import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * A static server on 127.0.0.1 (a random free port unless one is given) with one origin for the built app (`/` -> dist/) and the
 * bench page (`/bench/` -> its bundle), so both see the same IndexedDB.
 *
 * `cache`: 'none' (the default) answers every file with `no-store`: the browser keeps nothing, so each start
 * compiles all the code again, as on a device's very first start. 'revalidate' answers as `vite preview`
 * (what `npm run web:lan` serves the hub's Chromebooks with) does: `no-cache` with an ETag, and 304 when the
 * browser's copy is current, so the browser keeps its copies and V8 its compiled code between starts, as the
 * desktop app's own scheme lets it (electron/app-protocol.ts, `codeCache`).
 */
export async function serve(
  mounts: { prefix: string; dir: string }[],
  port = 0,
  cache: 'none' | 'revalidate' = 'none',
): Promise<{ url: string; close(): Promise<void> }> {
  // Longest prefix first, so `/bench/` wins over `/`.
  const sorted = [...mounts].sort((a, b) => b.prefix.length - a.prefix.length);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const mount = sorted.find((m) => path.startsWith(m.prefix));
      if (!mount || (req.method !== 'GET' && req.method !== 'HEAD')) {
        res.writeHead(404).end();
        return;
      }
      let rel = path.slice(mount.prefix.length);
      if (rel === '' || rel.endsWith('/')) rel += 'index.html';
      const file = normalize(join(mount.dir, rel));
      if (!file.startsWith(normalize(mount.dir) + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a file');
        const etag = `W/"${info.size}-${info.mtime.getTime()}"`;
        if (cache === 'revalidate' && req.headers['if-none-match'] === etag) {
          res.writeHead(304, { etag, 'cache-control': 'no-cache' }).end();
          return;
        }
        res.writeHead(200, {
          'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
          'content-length': info.size,
          ...(cache === 'revalidate'
            ? { etag, 'cache-control': 'no-cache' }
            : { 'cache-control': 'no-store' }),
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
