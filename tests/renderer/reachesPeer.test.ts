import { describe, expect, it } from 'vitest';
import { reachesPeer, type ConnLike } from '../../renderer/sync/webrtc';

const conn = (connected: boolean, ice?: string, catchUpOnly = false): ConnLike => ({
  connected,
  catchUpOnly,
  peer: { _pc: ice === undefined ? null : { iceConnectionState: ice } },
  destroy: () => undefined,
});

/**
 * The status says "Offline" within seconds of the last device going away: a connection stops counting
 * when ICE says it hears nothing, not 15 s later when simple-peer gives up on it.
 */
describe('reachesPeer', () => {
  it('counts an open connection whose ICE is connected, checking or not yet known', () => {
    for (const ice of ['connected', 'completed', 'checking', 'new', undefined])
      expect(reachesPeer(conn(true, ice)), String(ice)).toBe(true);
  });

  it('does not count a connection ICE no longer hears, nor one that failed or closed', () => {
    for (const ice of ['disconnected', 'failed', 'closed'])
      expect(reachesPeer(conn(true, ice)), ice).toBe(false);
  });

  it('does not count a connection not open yet, nor a device offering catch-up only', () => {
    expect(reachesPeer(conn(false, 'connected'))).toBe(false);
    expect(reachesPeer(conn(true, 'connected', true))).toBe(false);
  });
});
