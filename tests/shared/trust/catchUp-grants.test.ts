import { describe, expect, it } from 'vitest';
import { catchUpMaterial, MAX_CATCH_UP_ROTATIONS } from '../../../shared/trust/catchUp';
import { approve, genesis, network, request, rotate, signed, T0, testDevices } from './fixtures';

/**
 * Which grants and approvals catch-up material carries (catchUp.ts): the grants of the rotations it keeps,
 * and the approvals of the devices those grants name, nothing more. The material is built inside each test
 * (Stryker switches a mutant on per test).
 */
describe('catch-up material with grants', () => {
  it('carries the grants of the rotations it keeps and the approvals of the devices they name, only', async () => {
    const { net, founder, a, b, c } = await network();
    const [d] = await testDevices(71);
    const g = await genesis(net, founder);
    const approveA = await approve(net, founder, a);
    const approveB = await approve(net, founder, b);
    const approveC = await approve(net, founder, c);
    const askD = await request(net, d);
    const approveD = await approve(net, founder, d);
    const rotations = [];
    for (let epoch = 1; epoch <= MAX_CATCH_UP_ROTATIONS + 1; epoch++)
      rotations.push(await rotate(net, founder, epoch));
    const newest = MAX_CATCH_UP_ROTATIONS + 1;
    const grantOf = (epoch: number, devices: string[]) =>
      signed(
        {
          t: 'grant',
          net,
          epoch,
          sealed: Object.fromEntries(devices.map((dev) => [dev, 'x'])),
          at: T0 + 9000,
        },
        founder,
      );
    // Epoch 1 falls out of the newest eight: its grant (to C) goes with it; B is granted nothing.
    const oldGrant = await grantOf(1, [c.id]);
    const newGrant = await grantOf(newest, [a.id, d.id]);
    // D's own request is not an approval: it stays out though D is granted the key.
    const log = [g, askD, approveA, approveB, approveC, approveD, ...rotations, oldGrant, newGrant];
    const material = catchUpMaterial(net, log);
    expect(material?.ops).toEqual([approveA, approveD, ...rotations.slice(1), newGrant]);
  });
});
