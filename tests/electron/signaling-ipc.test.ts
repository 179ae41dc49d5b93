/** Payload schemas of the larder:sync-host-* and larder:sync-discover IPC channels. */
import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS } from '../../electron/ipc-channels';
import {
  emptyRequestSchema,
  InvalidIpcPayloadError,
  parseIpcPayload,
  syncDiscoverRequestSchema,
  syncHostStartRequestSchema,
} from '../../electron/ipc-schemas';

describe('sync host IPC', () => {
  it('names the channels', () => {
    expect(IPC_CHANNELS).toMatchObject({
      syncHostStart: 'larder:sync-host-start',
      syncHostStop: 'larder:sync-host-stop',
      syncHostStatus: 'larder:sync-host-status',
      syncDiscover: 'larder:sync-discover',
    });
  });

  it.each([
    {},
    { port: 4444 },
    { port: 1024 },
    { port: 65_535 },
    { advertise: true },
    { port: 5000, advertise: false },
  ])('accepts start request %j', (request) => {
    expect(parseIpcPayload(syncHostStartRequestSchema, 'start', request)).toEqual(request);
  });

  it.each([
    ['a privileged port', { port: 80 }],
    ['port 0', { port: 0 }],
    ['a port out of range', { port: 65_536 }],
    ['a fractional port', { port: 4444.5 }],
    ['a port as a string', { port: '4444' }],
    ['a host (the main process decides where to bind)', { host: '0.0.0.0' }],
    ['advertise as a string', { advertise: 'yes' }],
    ['null', null],
    ['an array', [4444]],
  ])('refuses a start request with %s', (_label, request) => {
    expect(() => parseIpcPayload(syncHostStartRequestSchema, 'start', request)).toThrow(
      InvalidIpcPayloadError,
    );
  });

  it('bounds the discovery time', () => {
    expect(parseIpcPayload(syncDiscoverRequestSchema, 'discover', { durationMs: 2000 })).toEqual({
      durationMs: 2000,
    });
    expect(parseIpcPayload(syncDiscoverRequestSchema, 'discover', {})).toEqual({});
    for (const durationMs of [0, 100, 5001, 60_000, 1.5, Number.NaN]) {
      expect(() => parseIpcPayload(syncDiscoverRequestSchema, 'discover', { durationMs })).toThrow(
        InvalidIpcPayloadError,
      );
    }
  });

  it('takes nothing for stop and status', () => {
    expect(parseIpcPayload(emptyRequestSchema, 'stop', {})).toEqual({});
    expect(() => parseIpcPayload(emptyRequestSchema, 'stop', { force: true })).toThrow(
      InvalidIpcPayloadError,
    );
  });
});
