import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';

/**
 * lib0 is patched at install (patches/lib0+*.patch, applied by patch-package on `npm install`/`npm ci`):
 * Yjs reads every string of the doc with lib0's `readVarString`, which uses `TextDecoder`. In a browser each
 * string TextDecoder returns is made by Blink, an external string whose characters live outside the V8
 * heap, at 170-260 bytes a string in Chromium, and at about 2 us a call (docs/benchmarks.md, stop 29): one
 * per ledger entry. Outside Node the patch makes a short ASCII string on the JavaScript heap instead (a packed
 * entry is one, shared/wire.ts); Node's TextDecoder makes ordinary strings and is faster, so Node keeps it.
 * Without the patch everything still works, with several times the memory and load time: fail here instead.
 * The browser's path runs here by name; the e2e tests run it in Chromium, where every string takes it.
 */
const shortAscii = (decoding as unknown as { _readVarStringShortAscii: typeof decoding.readVarString })
  ._readVarStringShortAscii;
const written = (s: string) => {
  const e = encoding.createEncoder();
  encoding.writeVarString(e, s);
  return encoding.toUint8Array(e);
};
const readers = { shortAscii, readVarString: decoding.readVarString };

describe('lib0’s readVarString, as Larder patches it', () => {
  it('is the patched one', () => {
    const source = readFileSync(join(process.cwd(), 'node_modules', 'lib0', 'decoding.js'), 'utf8');
    expect(source).toContain('String.fromCharCode.apply(null');
    expect(typeof shortAscii).toBe('function');
    // Node keeps TextDecoder; a browser (no `process`) takes the short path.
    expect(decoding.readVarString).toBe(decoding._readVarStringNative);
    expect(source).toContain('(inNode() ? _readVarStringNative : _readVarStringShortAscii)');
  });

  it('reads back every string as written: short and long, ASCII or not, at the edges of the short path', () => {
    const strings = [
      '',
      'a',
      '\u0000',
      String.fromCharCode(...Array.from({ length: 64 }, (_, i) => i * 2)),
      String.fromCharCode(...Array.from({ length: 128 }, (_, i) => i)),
      'x'.repeat(63) + '\u007f',
      'x'.repeat(63) + 'é',
      'x'.repeat(64),
      'x'.repeat(65),
      'é',
      'Ñame 🍎 arroz',
      '\u{1F34E}'.repeat(20),
    ];
    for (const [name, read] of Object.entries(readers))
      for (const s of strings)
        expect(read(decoding.createDecoder(written(s))), `${name} ${JSON.stringify(s)}`).toBe(s);
  });

  it('still refuses bytes that are not UTF-8, short or long', () => {
    for (const bytes of [[0xff], [0x61, 0xc3], [...Array<number>(70).fill(0x61), 0xff]]) {
      const e = encoding.createEncoder();
      encoding.writeVarUint8Array(e, Uint8Array.from(bytes));
      for (const read of Object.values(readers))
        expect(() => read(decoding.createDecoder(encoding.toUint8Array(e)))).toThrow();
    }
  });

  it('reads a string made only of what follows it in the buffer, and leaves the decoder after it', () => {
    const e = encoding.createEncoder();
    encoding.writeVarString(e, 'abc');
    encoding.writeVarString(e, 'déf');
    encoding.writeVarUint(e, 7);
    const d = decoding.createDecoder(encoding.toUint8Array(e));
    expect(shortAscii(d)).toBe('abc');
    expect(shortAscii(d)).toBe('déf');
    expect(decoding.readVarUint(d)).toBe(7);
  });

  it('gives a Y.Doc the same values through an update', () => {
    const a = new Y.Doc();
    const values = ['abc', 'x'.repeat(64), 'ünï', '', '\u0001\u007f'];
    a.getArray<string>('l').push(values);
    a.getMap<string>('m').set('k'.repeat(70), 'v');
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(b.getArray<string>('l').toArray()).toEqual(values);
    expect(b.getMap<string>('m').get('k'.repeat(70))).toBe('v');
  });
});
