import { newestAtHub } from '../storage/ledgerIndex';
import type { HubRow, LarderDB } from '../storage/db';

/* Plain queries (no React): the network model and the hooks both use them. */

export interface HubWithFreshness extends HubRow {
  /** The newest entry from this hub seen on this device; null when none has arrived. */
  newestEntryAt: number | null;
}

/** The time of the newest entry from a hub that this device holds, or null. */
export async function newestEntryAt(db: LarderDB, hub: string): Promise<number | null> {
  return newestAtHub(db, hub);
}

/** Every hub with the time of its newest entry seen here (how fresh its figures are on this device). */
export async function hubsWithNewest(db: LarderDB, hubs?: readonly HubRow[]): Promise<HubWithFreshness[]> {
  const rows = hubs ?? (await db.hubs.toArray());
  return Promise.all(rows.map(async (h) => ({ ...h, newestEntryAt: await newestEntryAt(db, h.id) })));
}
