import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, toHex } from '../../../shared/sync/encoding';
import { fcOptions } from '../arbitraries';

/** The text form of keys, signatures and invite codes a person may paste. */
describe('base64url', () => {
  it('round-trips any bytes, without padding or characters a URL or a paste would change', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        const text = toBase64Url(bytes);
        expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(text).toHaveLength(Math.ceil((bytes.length * 4) / 3));
        expect(fromBase64Url(text)).toEqual(bytes);
      }),
      fcOptions(),
    );
  });

  it('writes - and _ where base64 has + and /', () => {
    expect(toBase64Url(new Uint8Array([251, 255, 191]))).toBe('-_-_');
    expect(toBase64Url(new Uint8Array([1]))).toBe('AQ');
    expect(toBase64Url(new Uint8Array([1, 2]))).toBe('AQI');
    expect(fromBase64Url('-_-_')).toEqual(new Uint8Array([251, 255, 191]));
    expect(fromBase64Url('AQ')).toEqual(new Uint8Array([1]));
    expect(fromBase64Url('AQI')).toEqual(new Uint8Array([1, 2]));
    expect(fromBase64Url('')).toEqual(new Uint8Array(0));
  });

  it('refuses text that is not base64url, rather than guessing', () => {
    for (const text of ['+/+/', 'AQ==', 'AQ=', ' AQ', 'AQ ', 'A\nQ', 'é', 'AQI*', 'A']) {
      expect(fromBase64Url(text), JSON.stringify(text)).toBeNull();
    }
  });

  it('writes hex with two digits a byte', () => {
    expect(toHex(new Uint8Array([0, 15, 16, 255]))).toBe('000f10ff');
    expect(toHex(new Uint8Array(0))).toBe('');
  });
});
