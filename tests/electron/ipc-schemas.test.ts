import { describe, expect, it } from 'vitest';
import {
  InvalidIpcPayloadError,
  MAX_FILE_BYTES,
  openFileRequestSchema,
  parseIpcPayload,
  saveFileRequestSchema,
} from '../../electron/ipc-schemas';

const bytes = new Uint8Array([1, 2, 3]);
const backupFilter = { name: 'Larder backup', extensions: ['larder', 'json'] };

/**
 * A Uint8Array that reports a huge byteLength without allocating it, so the size cap can be
 * tested without 200 MB of memory.
 */
function fakeLargeArray(byteLength: number): Uint8Array {
  const array = new Uint8Array(1);
  Object.defineProperty(array, 'byteLength', { value: byteLength });
  return array;
}

describe('saveFileRequestSchema', () => {
  it.each([
    ['a minimal request', { suggestedName: 'stock.json', data: bytes }],
    ['empty data', { suggestedName: 'empty.csv', data: new Uint8Array() }],
    ['filters', { suggestedName: 'north-hub.larder', data: bytes, filters: [backupFilter] }],
    [
      'an all-files filter',
      { suggestedName: 'x', data: bytes, filters: [{ name: 'All', extensions: ['*'] }] },
    ],
    ['a Buffer (a Uint8Array subclass)', { suggestedName: 'b.bin', data: Buffer.from('abc') }],
    ['spaces and unicode in the name', { suggestedName: 'Stock – Nord Küche 2025.csv', data: bytes }],
    ['exactly the size cap', { suggestedName: 'big.bin', data: fakeLargeArray(MAX_FILE_BYTES) }],
  ])('accepts %s', (_label, payload) => {
    expect(saveFileRequestSchema.safeParse(payload).success).toBe(true);
  });

  it.each([
    ['no payload', undefined],
    ['null', null],
    ['a string', 'stock.json'],
    ['no name', { data: bytes }],
    ['an empty name', { suggestedName: '', data: bytes }],
    ['a name with a folder', { suggestedName: 'exports/stock.json', data: bytes }],
    ['an absolute path', { suggestedName: '/etc/cron.d/evil', data: bytes }],
    ['a Windows path', { suggestedName: 'C:\\Users\\x\\stock.json', data: bytes }],
    ['a drive-relative name', { suggestedName: 'C:stock.json', data: bytes }],
    ['a parent-folder name', { suggestedName: '..', data: bytes }],
    ['a dot name', { suggestedName: '.', data: bytes }],
    ['a NUL in the name', { suggestedName: 'stock.json\u0000.exe', data: bytes }],
    ['a newline in the name', { suggestedName: 'stock\n.json', data: bytes }],
    ['a 256-character name', { suggestedName: `${'a'.repeat(252)}.csv`, data: bytes }],
    ['a number as name', { suggestedName: 42, data: bytes }],
    ['no data', { suggestedName: 'stock.json' }],
    ['string data', { suggestedName: 'stock.json', data: 'hello' }],
    ['a plain array', { suggestedName: 'stock.json', data: [1, 2, 3] }],
    ['an ArrayBuffer', { suggestedName: 'stock.json', data: new ArrayBuffer(3) }],
    ['an Int8Array', { suggestedName: 'stock.json', data: new Int8Array(3) }],
    ['a DataView', { suggestedName: 'stock.json', data: new DataView(new ArrayBuffer(3)) }],
    ['a look-alike object', { suggestedName: 'stock.json', data: { byteLength: 3, 0: 1, 1: 2, 2: 3 } }],
    ['data over the cap', { suggestedName: 'big.bin', data: fakeLargeArray(MAX_FILE_BYTES + 1) }],
    ['an unknown key', { suggestedName: 'stock.json', data: bytes, defaultPath: '/etc/passwd' }],
    ['filters that are not an array', { suggestedName: 'x', data: bytes, filters: backupFilter }],
    ['a filter without a name', { suggestedName: 'x', data: bytes, filters: [{ extensions: ['csv'] }] }],
    [
      'a filter with a blank name',
      { suggestedName: 'x', data: bytes, filters: [{ name: '  ', extensions: ['csv'] }] },
    ],
    [
      'a filter with no extensions',
      { suggestedName: 'x', data: bytes, filters: [{ name: 'CSV', extensions: [] }] },
    ],
    [
      'an extension with a dot',
      { suggestedName: 'x', data: bytes, filters: [{ name: 'CSV', extensions: ['.csv'] }] },
    ],
    [
      'an extension glob',
      { suggestedName: 'x', data: bytes, filters: [{ name: 'CSV', extensions: ['*.csv'] }] },
    ],
    [
      'an extension with a slash',
      { suggestedName: 'x', data: bytes, filters: [{ name: 'x', extensions: ['a/b'] }] },
    ],
    ['an extra filter key', { suggestedName: 'x', data: bytes, filters: [{ ...backupFilter, path: '/' }] }],
    [
      'eleven filters',
      { suggestedName: 'x', data: bytes, filters: Array.from({ length: 11 }, () => backupFilter) },
    ],
  ])('refuses %s', (_label, payload) => {
    expect(saveFileRequestSchema.safeParse(payload).success).toBe(false);
  });
});

describe('openFileRequestSchema', () => {
  it.each([
    ['an empty request', {}],
    ['filters', { filters: [backupFilter] }],
    ['no filters at all', { filters: [] }],
  ])('accepts %s', (_label, payload) => {
    expect(openFileRequestSchema.safeParse(payload).success).toBe(true);
  });

  it.each([
    ['no payload', undefined],
    ['an array', []],
    ['a path to read', { path: '/etc/passwd' }],
    ['dialog properties', { properties: ['openDirectory', 'multiSelections'] }],
    ['a bad filter', { filters: [{ name: 'x', extensions: ['..'] }] }],
  ])('refuses %s', (_label, payload) => {
    expect(openFileRequestSchema.safeParse(payload).success).toBe(false);
  });
});

describe('parseIpcPayload', () => {
  it('returns the parsed request', () => {
    const request = parseIpcPayload(saveFileRequestSchema, 'larder:save-file', {
      suggestedName: 'stock.json',
      data: bytes,
      filters: [{ name: '  Stock  ', extensions: ['json'] }],
    });
    expect(request.data).toBe(bytes);
    expect(request.filters?.[0]?.name).toBe('Stock');
  });

  it('throws a typed error that names the channel, the field and the rule', () => {
    const parse = () =>
      parseIpcPayload(saveFileRequestSchema, 'larder:save-file', { suggestedName: 'a/b', data: 'x' });
    expect(parse).toThrow(InvalidIpcPayloadError);
    expect(parse).toThrow(/Invalid larder:save-file request/);
    expect(parse).toThrow(/suggestedName/);
    expect(parse).toThrow(/must not contain \//);
    expect(parse).toThrow(/File data must be a Uint8Array/);
  });

  it('says how large a file may be', () => {
    const payload = { suggestedName: 'big.bin', data: fakeLargeArray(MAX_FILE_BYTES + 1) };
    expect(() => parseIpcPayload(saveFileRequestSchema, 'larder:save-file', payload)).toThrow(
      /limited to 200 MB/,
    );
  });
});
