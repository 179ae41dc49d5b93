import { describe, expect, it } from 'vitest';
import { headKey, headMessage, type Restart } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { verifyHeads } from '../../../shared/trust/heads';
import { msg } from '../../../shared/messages';
import { network } from './fixtures';

/**
 * Which of a device's signed heads the gate is given (heads.ts): the one with the most restarts, with the
 * earlier ones, whatever order the doc's map lists them in; and which heads are set aside as malformed
 * before any signature is checked.
 */
async function setup() {
  const { net, founder } = await network();
  const keys = new Map([[founder.id, founder.key]]);
  const head = async (seq: number, hash: string, restarts: Restart[] = []) => {
    const sig = await sign(founder.keys.privateKey, headMessage(net, founder.id, seq, hash, restarts));
    return restarts.length > 0 ? [seq, hash, sig, restarts] : [seq, hash, sig];
  };
  return { net, founder, keys, head };
}

describe('a device’s heads across restarts', () => {
  it('the newest is the one with the most restarts, the others earlier, in whatever order the map lists them', async () => {
    const { net, founder, keys, head } = await setup();
    const one: Restart[] = [[5, 'H5']];
    const two: Restart[] = [
      [5, 'H5'],
      [9, 'H9'],
    ];
    const entries: [string, unknown][] = [
      [headKey(founder.id, 2), await head(12, 'H12', two)],
      [founder.id, await head(3, 'H3')],
      [headKey(founder.id, 1), await head(8, 'H8', one)],
    ];
    for (const order of [entries, [...entries].reverse(), [entries[1]!, entries[0]!, entries[2]!]]) {
      const read = await verifyHeads(net, order, keys);
      expect(read.problems).toEqual([]);
      expect(read.heads.get(founder.id)).toEqual({
        seq: 12,
        hash: 'H12',
        restarts: two,
        earlier: [
          { seq: 3, hash: 'H3' },
          { seq: 8, hash: 'H8', restarts: one },
        ],
      });
    }
  });

  it('a head whose restarts are not all before its own position, or not as many as its key says, is malformed', async () => {
    const { net, founder, keys, head } = await setup();
    const where = (key: string) => [
      { where: `heads/${key}`, reason: msg('head.malformed', { device: founder.id }) },
    ];
    const at1 = headKey(founder.id, 1);
    const at2 = headKey(founder.id, 2);
    // A restart at the head's own position, or one of two restarts past it.
    expect((await verifyHeads(net, [[at1, await head(8, 'H8', [[8, 'H8']])]], keys)).problems).toEqual(
      where(at1),
    );
    const past: Restart[] = [
      [3, 'H3'],
      [9, 'H9'],
    ];
    expect((await verifyHeads(net, [[at2, await head(8, 'H8', past)]], keys)).problems).toEqual(where(at2));
    // Filed as after two restarts but carrying one (signed with it).
    expect((await verifyHeads(net, [[at2, await head(8, 'H8', [[5, 'H5']])]], keys)).problems).toEqual(
      where(at2),
    );
    // Filed as after a restart but carrying no restarts at all (signed without them).
    const plain = await head(8, 'H8');
    const read = await verifyHeads(net, [[at1, plain]], keys);
    expect(read.problems).toEqual(where(at1));
    expect(read.heads.size).toBe(0);
  });

  it('a head with more than its four parts, or filed under a key that names no device, is malformed', async () => {
    const { net, founder, keys, head } = await setup();
    const long = [...(await head(3, 'H3')), [], 'more'];
    expect((await verifyHeads(net, [[founder.id, long]], keys)).problems).toEqual([
      { where: `heads/${founder.id}`, reason: msg('head.malformed', { device: founder.id }) },
    ]);
    expect((await verifyHeads(net, [['/1', await head(3, 'H3')]], keys)).problems).toEqual([
      { where: 'heads//1', reason: msg('head.malformed', { device: '/1' }) },
    ]);
  });
});
