import { type Item, type ItemForm, validateItemForm } from '../../shared/catalog';
import {
  recordCount,
  recordDiscard,
  recordDonation,
  recordPickup,
  undoEntry,
  type CommandContext,
  type CountForm,
  type DiscardForm,
  type DonationForm,
  type PickupForm,
} from '../../shared/commands';
import { appendEntries, initNetwork, putItem, readItem, itemsOf, setLevels } from '../../shared/doc';
import type { Entry, Reversal } from '../../shared/entries';
import { ValidationError } from '../../shared/errors';
import { randomId, type RandomBytes } from '../../shared/ids';
import { stockKey } from '../../shared/projection';
import { parseLevelsForm, type LevelsForm } from '../../shared/levels';
import type { LarderDB, SelfRow } from './db';
import { DocPersistence } from './persistence';

export interface StoreDeps {
  now: () => number;
  randomBytes: RandomBytes;
}

export const browserDeps: StoreDeps = {
  now: () => Date.now(),
  randomBytes: (n) => crypto.getRandomValues(new Uint8Array(n)),
};

/**
 * The one way the app changes data: each method turns a form into doc changes through the pure commands,
 * and resolves only when they are committed in IndexedDB. Reads go straight to the Dexie tables.
 */
export class LarderStore {
  readonly persistence: DocPersistence;
  /** Resolves when the doc is loaded; writes wait for it, reads never do. */
  readonly ready: Promise<void>;
  private selfRow: SelfRow | null;

  private constructor(
    readonly db: LarderDB,
    private readonly deps: StoreDeps,
    self: SelfRow | null,
  ) {
    this.selfRow = self;
    this.persistence = new DocPersistence(db, deps.now);
    this.ready = this.persistence.load();
  }

  static async open(db: LarderDB, deps: StoreDeps = browserDeps): Promise<LarderStore> {
    const self = await db.meta.get('self');
    return new LarderStore(db, deps, self?.key === 'self' ? self : null);
  }

  get self(): SelfRow | null {
    return this.selfRow;
  }

  private get doc() {
    return this.persistence.doc;
  }

  private requireSelf(): SelfRow {
    if (!this.selfRow) throw new Error('This device has not been set up yet');
    return this.selfRow;
  }

  /** First start: a new network with this hub and this device in it, made locally. */
  async createNetwork(form: { hubName: string; deviceName: string }): Promise<SelfRow> {
    const hubName = form.hubName.replace(/\s+/g, ' ').trim();
    const deviceName = form.deviceName.replace(/\s+/g, ' ').trim();
    const issues = [];
    if (!hubName) issues.push({ field: 'hubName', message: 'Enter the name of this hub' });
    else if (hubName.length > 80)
      issues.push({ field: 'hubName', message: 'Hub name is too long: at most 80 characters' });
    if (!deviceName)
      issues.push({
        field: 'deviceName',
        message: 'Enter a name for this device, such as "Front desk laptop"',
      });
    else if (deviceName.length > 80)
      issues.push({ field: 'deviceName', message: 'Device name is too long: at most 80 characters' });
    if (issues.length > 0) throw new ValidationError(issues);
    if (this.selfRow)
      throw new ValidationError([{ field: '', message: 'This device already belongs to a network' }]);
    await this.ready;
    const self: SelfRow = {
      key: 'self',
      networkId: randomId(this.deps.randomBytes, 16),
      hubId: randomId(this.deps.randomBytes),
      deviceId: randomId(this.deps.randomBytes),
      nextSeq: 1,
    };
    initNetwork(this.doc, { ...self, hubName, deviceName, now: this.deps.now() });
    await this.persistence.flush(() => this.db.meta.put(self));
    this.selfRow = self;
    return self;
  }

  itemsInDoc(): Map<string, Item> {
    const items = new Map<string, Item>();
    itemsOf(this.doc).forEach((_, id) => {
      const r = readItem(this.doc, id);
      if (r.ok) items.set(id, r.item);
    });
    return items;
  }

  /** Creates an item, or edits it when `id` is given. */
  async saveItem(form: ItemForm, id?: string): Promise<Item> {
    await this.ready;
    const items = this.itemsInDoc();
    const fields = validateItemForm(form, [...items.values()], id);
    const now = this.deps.now();
    const previous = id ? items.get(id) : undefined;
    if (id && !previous) throw new ValidationError([{ field: '', message: 'This item no longer exists' }]);
    const item: Item = {
      id: id ?? randomId(this.deps.randomBytes),
      ...fields,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    };
    putItem(this.doc, item);
    await this.persistence.flush();
    return item;
  }

  /** Adds a barcode to an item (a scanner read a code nobody knew). */
  async attachBarcode(itemId: string, code: string): Promise<Item> {
    await this.ready;
    const item = this.itemsInDoc().get(itemId);
    if (!item) throw new ValidationError([{ field: 'item', message: 'Choose an item from the catalog' }]);
    return this.saveItem(
      {
        name: item.name,
        category: item.category,
        unit: item.unit,
        packSize: item.packSize ? String(item.packSize) : '',
        barcodes: [...item.barcodes, code].join(' '),
      },
      itemId,
    );
  }

  async setLevels(itemId: string, form: LevelsForm): Promise<void> {
    await this.ready;
    const self = this.requireSelf();
    const levels = parseLevelsForm(form);
    setLevels(this.doc, self.hubId, itemId, levels);
    await this.persistence.flush();
  }

  private async context(): Promise<CommandContext> {
    await this.ready;
    const self = this.requireSelf();
    return {
      hub: self.hubId,
      device: self.deviceId,
      nextSeq: self.nextSeq,
      now: this.deps.now(),
      items: this.itemsInDoc(),
    };
  }

  private async onHandAtThisHub(itemIds: readonly string[]): Promise<Map<string, number>> {
    const hub = this.requireSelf().hubId;
    const rows = await this.db.stock.bulkGet(itemIds.map((i) => stockKey(hub, i)));
    return new Map(itemIds.map((id, i) => [id, rows[i]?.onHand ?? 0]));
  }

  /**
   * Appends entries to the doc and waits for the Dexie commit. The sequence number is claimed
   * synchronously, before any await, so two quick saves never share one.
   */
  private async commit<E extends Entry>(entries: E[]): Promise<E[]> {
    const self = this.requireSelf();
    if (entries.length === 0) return entries;
    if (entries[0]!.seq !== self.nextSeq) throw new Error('stale sequence number; try again');
    self.nextSeq += entries.length;
    appendEntries(this.doc, self.deviceId, entries);
    const saved: SelfRow = { ...self };
    // The advanced sequence number commits with the entries: a crash can never hand out a used number.
    await this.persistence.flush(() => this.db.meta.put(saved));
    return entries;
  }

  async recordDonation(form: DonationForm) {
    const ctx = await this.context();
    return this.commit(recordDonation({ ...ctx, nextSeq: this.requireSelf().nextSeq }, form));
  }

  async recordPickup(form: PickupForm) {
    const ctx = await this.context();
    const onHand = await this.onHandAtThisHub(form.lines.map((l) => l.item));
    return this.commit(recordPickup({ ...ctx, nextSeq: this.requireSelf().nextSeq }, form, onHand));
  }

  async recordCount(form: CountForm) {
    const ctx = await this.context();
    const onHand = await this.onHandAtThisHub(form.lines.map((l) => l.item));
    return this.commit(recordCount({ ...ctx, nextSeq: this.requireSelf().nextSeq }, form, onHand));
  }

  async recordDiscard(form: DiscardForm) {
    const ctx = await this.context();
    return this.commit(recordDiscard({ ...ctx, nextSeq: this.requireSelf().nextSeq }, form));
  }

  async undo(entryId: string, note?: string): Promise<Reversal> {
    const ctx = await this.context();
    const target = await this.db.ledger.get(entryId);
    if (!target)
      throw new ValidationError([{ field: '', message: 'That entry is not in this device’s ledger' }]);
    const [reversal] = await this.commit([
      undoEntry({ ...ctx, nextSeq: this.requireSelf().nextSeq }, target, note),
    ]);
    return reversal!;
  }

  async rebuildProjections() {
    await this.ready;
    return this.persistence.rebuild();
  }

  close(): void {
    this.persistence.destroy();
    this.db.close();
  }
}
