import { describe, expect, it } from 'vitest';
import { guardSockets } from '../../renderer/sync/socketGuard';

/** A scope whose WebSocket records the sockets opened (none is: this is the browser's part). */
function scope() {
  const opened: string[] = [];
  class Socket {
    constructor(url: string | URL) {
      opened.push(String(url));
    }
  }
  return { opened, scope: { WebSocket: Socket as unknown as typeof WebSocket } };
}

describe('the device Worker’s WebSockets (guardSockets)', () => {
  it('opens none before its page allowed a server, then only to the servers allowed, each by its origin', () => {
    const { opened, scope: worker } = scope();
    const sockets = guardSockets(worker);
    const open = (url: string) => new worker.WebSocket(url);
    expect(() => open('ws://192.168.1.20:4444')).toThrow(
      expect.objectContaining({
        name: 'SecurityError',
        message: expect.stringContaining('ws://192.168.1.20:4444'),
      }),
    );
    sockets.allow(['ws://192.168.1.20:4444', 'wss://relay.example.org/larder']);
    open('ws://192.168.1.20:4444');
    // A path on an allowed server is the server's: its room, a relay's endpoint.
    open('wss://relay.example.org/larder/room-1');
    expect(opened).toEqual(['ws://192.168.1.20:4444', 'wss://relay.example.org/larder/room-1']);
    // Another host, another port, another scheme, credentials in the address, or not an address at all.
    for (const refused of [
      'ws://192.168.1.21:4444',
      'ws://192.168.1.20:4445',
      'wss://192.168.1.20:4444',
      'ws://user:secret@192.168.1.20:4444',
      'https://relay.example.org/larder',
      'not a url',
    ])
      expect(() => open(refused), refused).toThrow(expect.objectContaining({ name: 'SecurityError' }));
    expect(opened).toHaveLength(2);
  });

  it('refuses a server once it is no longer allowed (the list is replaced, not added to)', () => {
    const { opened, scope: worker } = scope();
    const sockets = guardSockets(worker);
    sockets.allow(['ws://10.0.0.5:4444']);
    new worker.WebSocket('ws://10.0.0.5:4444');
    sockets.allow(['ws://10.0.0.6:4444']);
    expect(() => new worker.WebSocket('ws://10.0.0.5:4444')).toThrow(
      expect.objectContaining({ name: 'SecurityError' }),
    );
    expect(opened).toEqual(['ws://10.0.0.5:4444']);
  });
});
