// First: zod's settings for the page, before anything here makes a schema.
import '../../zodConfig';
import type { IdentityRow, LarderDB } from '../db';
import type { KeySealer } from '../sealedKey';
import { KeyCatchUp } from './catchUp';
import { StoreContext } from './context';
import type { StoreDeps } from './deps';
import { Device } from './device';
import { NetworkKeys } from './keys';
import { Ledger } from './ledger';
import { Members } from './members';
import { Remote } from './remote';
import type { SelfCell } from './selfCell';
import { Settings } from './settings';
import { Transfers } from './transfers';
import { Upgrade } from './upgrade';

/**
 * The store's parts (one per concern, each documented in its file), made and wired together: what follows
 * a load of the doc, and what follows each commit. This module and what it imports (the doc, its
 * persistence, signatures, sealing, sync files) is the heavy half of the store: the app loads it after its
 * first screen is painted (store.ts, `LarderStore.loadParts`), as the first screen reads only the projections.
 */
export interface StoreParts {
  readonly ctx: StoreContext;
  readonly settings: Settings;
  readonly ledger: Ledger;
  readonly transfers: Transfers;
  readonly keys: NetworkKeys;
  readonly members: Members;
  readonly catchUp: KeyCatchUp;
  readonly remote: Remote;
  readonly device: Device;
  readonly upgrade: Upgrade;
}

export function makeParts(
  db: LarderDB,
  deps: StoreDeps,
  sealer: KeySealer,
  self: SelfCell,
  identity: IdentityRow | null,
): StoreParts {
  const ctx = new StoreContext(db, deps, sealer, self, identity);
  const settings = new Settings(ctx);
  const keys = new NetworkKeys(ctx);
  const members = new Members(ctx, keys);
  const catchUp = new KeyCatchUp(ctx, keys);
  const remote = new Remote(ctx);
  const device = new Device(ctx, members, settings);
  const ledger = new Ledger(ctx, settings);
  const transfers = new Transfers(ctx, settings, ledger);
  const upgrade = new Upgrade(ctx, keys, members, ledger);
  ctx.afterLoad = async () => {
    ledger.noteLostEntries();
    void catchUp.refreshCatchUpDays().catch(() => undefined);
    void ctx
      .keepOwnVersions()
      .then(() => device.sayWhatItReads())
      .catch(() => undefined);
    // Before `ready` resolves, so that the first save after it writes the form the network reads.
    await ledger.refreshForm();
  };
  ctx.persistence.onCommitted((commit) => {
    void catchUp.refreshCatchUpDays().catch(() => undefined);
    if (commit.settings.size > 0) {
      void ledger.refreshForm();
      void catchUp.noteCatchUpMaterial().catch(() => undefined);
      void keys
        .adoptRotation()
        .then(() => members.grantMissingKeys())
        .catch(() => undefined);
    }
    upgrade.followIfUpgraded();
  });
  return { ctx, settings, ledger, transfers, keys, members, catchUp, remote, device, upgrade };
}
