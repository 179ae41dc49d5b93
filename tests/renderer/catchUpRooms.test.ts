import { describe, expect, it } from 'vitest';
import { CATCH_UP_FIELD, offeredCatchUp } from '../../renderer/sync/catchUpRooms';
import { MAX_CATCH_UP_CHARS } from '../../shared/trust/catchUp';

/**
 * A peer's presence in an earlier key's room may offer catch-up material. It comes from anyone holding
 * that key (the revoked device too): taken as it came for walkToCurrentKey to check, and not looked at
 * past its bound or when it cannot even be written out.
 */
describe('catch-up material offered in a peer’s presence', () => {
  it('is taken as it came, with its text (each offer is tried once)', () => {
    const material = { v: 1, net: 'net00001', ops: [['{"t":"rotate"}', 'dev00001', 'x']] };
    expect(offeredCatchUp({ [CATCH_UP_FIELD]: material, larder: { device: 'dev00001' } })).toEqual({
      material,
      text: JSON.stringify(material),
    });
  });

  it('is ignored when absent, too long, or not JSON at all', () => {
    expect(offeredCatchUp({ larder: { device: 'dev00001' } })).toBeNull();
    expect(offeredCatchUp(null)).toBeNull();
    expect(offeredCatchUp('larderCatchUp')).toBeNull();
    expect(offeredCatchUp({ [CATCH_UP_FIELD]: 'x'.repeat(MAX_CATCH_UP_CHARS) })).toBeNull();
    expect(offeredCatchUp({ [CATCH_UP_FIELD]: { big: 10n } })).toBeNull();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(offeredCatchUp({ [CATCH_UP_FIELD]: cyclic })).toBeNull();
  });
});
