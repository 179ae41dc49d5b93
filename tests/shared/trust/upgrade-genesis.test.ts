import { describe, expect, it } from 'vitest';
import { networkIdOf } from '../../../shared/trust/members';
import { firstGenesis } from '../../../shared/trust/upgrade';
import { genesis, request, signed, T0, testDevices } from './fixtures';

/**
 * Which genesis a device from before signing follows (upgrade.ts `firstGenesis`): operations that are signed
 * by the key they carry but are not a genesis of their own device, placed before the real one, must not become
 * the network's anchor (whoever wrote them would be its founder on that device).
 */
const NET = 'oldnet02';

describe('firstGenesis passes over self-signed operations that are not a founder’s genesis', () => {
  it('a device’s own join request, signed by the key it carries', async () => {
    const [admin, joiner] = await testDevices(41, 42);
    const ask = await request(NET, joiner);
    expect(await firstGenesis(NET, [ask])).toBeNull();
    expect(await firstGenesis(NET, [ask, await genesis(NET, admin)])).toEqual({
      anchor: networkIdOf(admin.key),
      device: admin.id,
    });
  });

  it('a genesis its signer filed for another device id, carrying the signer’s own key', async () => {
    const [admin, thief] = await testDevices(43, 44);
    const forOther = await signed(
      { t: 'genesis', net: NET, dev: admin.id, key: thief.key, name: 'Founder', hub: 'hub1', at: T0 },
      thief,
    );
    expect(forOther[1]).toBe(thief.id);
    expect(await firstGenesis(NET, [forOther])).toBeNull();
    expect(await firstGenesis(NET, [forOther, await genesis(NET, admin)])).toMatchObject({
      device: admin.id,
    });
  });
});
