import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { appendMemberOp } from '../../shared/doc';
import { TrustLayer } from '../../renderer/storage/trust';
import { approve, genesis, network, request } from '../shared/trust/fixtures';

/**
 * The trust layer of a device that started from a checkpoint: the member log the checkpoint came with is
 * replayed with the doc's while lent (`lend`), and the doc's alone once let go, judged again at the next
 * plan even when the doc's log did not change in it.
 */
describe('the trust layer with a lent member log', () => {
  it('judges the member list again when the log is lent and when it is let go', async () => {
    const { net, founder, a } = await network();
    const doc = new Y.Doc();
    appendMemberOp(doc, await request(net, a));
    const layer = new TrustLayer(net, doc);
    const unchanged = { members: false, heads: false };
    expect((await layer.plan([], unchanged)).members?.find((m) => m.device === a.id)?.status).toBe(
      'requested',
    );
    layer.lend([[...(await genesis(net, founder))], [...(await approve(net, founder, a))]]);
    const lent = await layer.plan([], unchanged);
    expect(lent.members?.find((m) => m.device === a.id)?.status).toBe('member');
    expect(layer.memberState?.members.get(a.id)?.role).toBe('hub');
    // Nothing moved: not judged again.
    expect((await layer.plan([], unchanged)).members).toBeNull();
    layer.lend(null);
    const own = await layer.plan([], unchanged);
    expect(own.members?.find((m) => m.device === a.id)?.status).toBe('requested');
    expect(layer.memberState?.members.has(a.id)).toBe(false);
  });
});
