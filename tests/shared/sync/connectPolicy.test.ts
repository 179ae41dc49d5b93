import { describe, expect, it } from 'vitest';
import { connectSrcDirective, syncServerSource, syncServerSources } from '../../../shared/sync/connectPolicy';

describe('the sync servers the page may open a WebSocket to', () => {
  it('allows a configured server by scheme, host and port, on every path', () => {
    const table: [string, string][] = [
      ['ws://192.168.1.20:4444', 'ws://192.168.1.20:4444'],
      ['wss://sync.example.org', 'wss://sync.example.org'],
      ['wss://sync.example.org/some/room?x=1', 'wss://sync.example.org'],
      ['ws://hub-laptop.local:4444/', 'ws://hub-laptop.local:4444'],
      ['ws://[fe80::1]:4444', 'ws://[fe80::1]:4444'],
      ['WS://Sync.Example.org:443', 'ws://sync.example.org:443'],
    ];
    for (const [url, source] of table) expect(syncServerSource(url), url).toBe(source);
  });

  it('refuses anything that is not a plain ws:/wss: address', () => {
    const refused = [
      'https://sync.example.org', // not a WebSocket
      'http://127.0.0.1:4444',
      'javascript:alert(1)',
      'ws://user:secret@sync.example.org', // user info
      'ws://user@sync.example.org',
      'ws://:pw@sync.example.org',
      'not a url',
      '',
      `wss://${'a'.repeat(200)}.org`, // too long to be a typed address
      42 as unknown as string,
    ];
    for (const url of refused) expect(syncServerSource(url), String(url)).toBeNull();
    // An address of exactly 200 characters is still taken.
    const long = `wss://${'a'.repeat(190)}.org`;
    expect(long).toHaveLength(200);
    expect(syncServerSource(long)).toBe(long);
  });

  it('never lets a server address end the directive or add a source', () => {
    // URL parsing percent-encodes most of these; whatever survives into the host must not reach the policy.
    for (const url of [
      'ws://a.org;script-src *',
      "ws://a.org 'unsafe-eval'",
      'ws://a.org,b.org',
      'ws://a*.org',
    ]) {
      const source = syncServerSource(url);
      if (source !== null) expect(source).toMatch(/^wss?:\/\/[A-Za-z0-9.\-[\]:]+$/);
    }
    expect(syncServerSource('ws://a.org;script-src *')).toBeNull();
    // Hosts the URL parser lets through but a CSP source cannot hold safely.
    for (const host of ['a*.org', 'a_b.org', 'a!b.org', 'a&b.org'])
      expect(syncServerSource(`ws://${host}`)).toBeNull();
  });

  it('lists each valid server once, sorted, and drops the rest', () => {
    expect(
      syncServerSources([
        'wss://b.example.org/room',
        'ws://10.0.0.2:4444',
        'https://c.example.org',
        'wss://b.example.org',
        'ws://10.0.0.2:4444/other',
      ]),
    ).toEqual(['ws://10.0.0.2:4444', 'wss://b.example.org']);
    expect(syncServerSources([])).toEqual([]);
  });

  it('builds connect-src from the app itself and the valid servers only', () => {
    expect(connectSrcDirective([])).toBe("connect-src 'self'");
    expect(connectSrcDirective(['wss://b.org', 'ftp://x.org', 'ws://a.org:1'])).toBe(
      "connect-src 'self' ws://a.org:1 wss://b.org",
    );
  });
});
