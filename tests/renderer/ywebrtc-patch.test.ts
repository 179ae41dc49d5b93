import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';

/**
 * y-webrtc 10.3.0 is patched at install (patches/y-webrtc+10.3.0.patch, applied by patch-package on
 * `npm install`/`npm ci`): no copy of the doc to other tabs, no echo of a peer's update back to it, and
 * an offer that loses the glare gives way, and a message larger than a data channel takes goes in frames. If the install skipped the patch, sync would still work but
 * slower and with twice the bytes: fail here instead.
 */
it('the installed y-webrtc carries Larder’s patch', () => {
  // The package's exports hide its package.json: read the installed copy where npm puts it.
  const dir = join(process.cwd(), 'node_modules', 'y-webrtc');
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string })
    .version;
  expect(version).toBe('10.3.0');
  const source = readFileSync(join(dir, 'src', 'y-webrtc.js'), 'utf8');
  expect(source).toContain('room.deliveringConn = peerConn');
  expect(source).toContain('if (conn === except) return');
  expect(source).toContain('room.rejectedSignals.add(');
  expect(source).toContain('const broadcastBcMessage = (room, m) => {}');
  // Messages over a data channel's limit go in frames (peerFrames.ts), not silently nowhere.
  expect(source).toContain('syncProtocol.sendFramed(webrtcConn, m)');
  expect(source).toContain('this.frames.push(data)');
  expect(source).toContain('this.frames.dispose()');
  // Nor what a peer sent and the device took later, in steps (guardedSync's PeerOrigin).
  expect(source).toContain('origin.larderRoom === this ? origin.larderConn : null');
  // And with no other peer to send it to, no message is built (deflated) at all.
  expect(source).toContain('if (!others) return');
  // Nor a signaling message over a connection that closed while it was encrypted.
  expect(source).toContain('if (conn.connected) conn.send(');
});
