import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_LIMITS,
  decodeBundle,
  encodeBundle,
  type CheckpointBundle,
} from '../../../shared/checkpoint/bundle';
import { CheckpointFormatError } from '../../../shared/checkpoint/errors';
import { fcOptions } from '../arbitraries';

/**
 * A checkpoint bundle (what a sync file carries for a new device): its shape and bounds only. The head,
 * rows, signature and member log are checked by their own rules (verify.test.ts, members tests); what
 * starting from a bundle does is tests/renderer/syncfile-checkpoint.test.ts.
 */
const bundle = (): CheckpointBundle => ({
  checkpoint: {
    head: new TextEncoder().encode('[2,"net","maker"]'),
    rows: Uint8Array.of(2, 0, 0, 0, 1, 2, 3),
    by: 'maker0000000001',
    sig: 'c2lnbmF0dXJl',
  },
  members: [['{"t":"genesis"}', 'maker0000000001', 'sig']],
});

const refused = (bytes: Uint8Array) => {
  try {
    decodeBundle(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointFormatError);
    return (error as Error).message;
  }
  return null;
};

/** A bundle with its JSON part replaced by `json` (lengths rewritten). */
function withJson(json: string): Uint8Array {
  const good = encodeBundle(bundle());
  const jsonLength = new DataView(good.buffer).getUint32(1);
  const rest = good.subarray(5 + jsonLength);
  const text = new TextEncoder().encode(json);
  const out = new Uint8Array(5 + text.length + rest.length);
  out[0] = 1;
  new DataView(out.buffer).setUint32(1, text.length);
  out.set(text, 5);
  out.set(rest, 5 + text.length);
  return out;
}

describe('checkpoint bundles', () => {
  it('round-trip: the head and rows back byte for byte, the maker, signature and member log as sent', () => {
    const decoded = decodeBundle(encodeBundle(bundle()));
    expect(decoded).toEqual(bundle());
    // Empty rows (a network with no entries yet) are rows too.
    const empty = { ...bundle(), checkpoint: { ...bundle().checkpoint, rows: new Uint8Array(0) } };
    expect(decodeBundle(encodeBundle(empty)).checkpoint.rows).toEqual(new Uint8Array(0));
  });

  it('refuses, naming what is wrong, a bundle of another version, cut short, or with lengths past its bytes', () => {
    const good = encodeBundle(bundle());
    const other = good.slice();
    other[0] = 3;
    expect(refused(other)).toMatch(/version 3/);
    // Version 2 carries a skeleton, signed: one that signs none is refused, as is a version 1 that signs one.
    other[0] = 2;
    expect(refused(other)).toMatch(/its skeleton carries no signature/);
    expect(
      refused(withJson('{"by":"maker0000000001","sig":"c2ln","members":[1],"skeletonSig":"c2ln"}')),
    ).toMatch(/signs a skeleton it does not carry/);
    // Cut anywhere before the rows: cut short (the rows run to the end, so a cut inside them is found by
    // their digest, checked against the signed head).
    const headEnd = good.length - bundle().checkpoint.rows.length;
    for (let n = 0; n < headEnd; n++)
      expect(refused(good.subarray(0, n)), `cut at ${n}`).toMatch(/cut short|read/);
    const past = good.slice();
    new DataView(past.buffer).setUint32(1, BUNDLE_LIMITS.json + 1);
    expect(refused(past)).toMatch(/member log is over the limit/);
    const headPast = good.slice();
    const jsonLength = new DataView(good.buffer).getUint32(1);
    new DataView(headPast.buffer).setUint32(5 + jsonLength, BUNDLE_LIMITS.head + 1);
    expect(refused(headPast)).toMatch(/head is over the limit/);
  });

  it('refuses a JSON part that is not an object naming a maker, a signature and a member log', () => {
    const ok = { by: 'maker0000000001', sig: 'c2ln', members: [1] };
    expect(refused(withJson(JSON.stringify(ok)))).toBeNull();
    for (const [json, why] of [
      ['{', /does not read/],
      ['[]', /not an object/],
      ['null', /not an object/],
      [JSON.stringify({ ...ok, by: '' }), /no maker/],
      [JSON.stringify({ ...ok, by: 'x'.repeat(65) }), /no maker/],
      [JSON.stringify({ ...ok, sig: 7 }), /no signature/],
      [JSON.stringify({ ...ok, members: [] }), /no member log/],
      [JSON.stringify({ ...ok, members: {} }), /no member log/],
      [
        JSON.stringify({ ...ok, members: Array.from({ length: BUNDLE_LIMITS.members + 1 }, () => 0) }),
        /over the limit/,
      ],
    ] as const)
      expect(refused(withJson(json)), json.slice(0, 40)).toMatch(why);
    // Not UTF-8.
    const bytes = withJson('{"by":"ab"}');
    bytes[5 + 8] = 0xff;
    expect(refused(bytes)).toMatch(/does not read/);
  });

  it('any bytes: a bundle or a CheckpointFormatError, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (noise, at) => {
        const good = encodeBundle(bundle());
        const bytes = good.slice();
        for (const [i, b] of noise.entries()) bytes[(at + i) % bytes.length] = b;
        refused(bytes);
        refused(noise);
      }),
      fcOptions(),
    );
  });
});
