import { type Item, type ItemForm, validateItemForm, validateNewItemForms } from '../../../shared/catalog';
import { hubSchema, hubsOf, itemsOf, levelsKey, parseItem, type HubInfo } from '../../../shared/doc';
import { settingValue } from '../../../shared/trust/settings';
import { IssueCollector } from '../../../shared/errors';
import { randomId } from '../../../shared/ids';
import { parseLevelsForm, type LevelsForm } from '../../../shared/levels';
import { msg } from '../../../shared/messages';
import type { Levels } from '../../../shared/status';
import { checkName, refuse, type StoreContext } from './context';

const levelsValue = (levels: Levels | null) => (levels ? { min: levels.min, target: levels.target } : null);

/** The network's settings this device edits: the catalog of items, hubs (names, addresses) and levels. */
export class Settings {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Each item value of the doc as last checked, by the value itself: the doc hands back the same object
   * until the item changes, and checking every item of a 500-item catalog with its schema again was a third
   * of each pickup's time (about 6 ms of 20, at 1M entries on a 2-core machine). Read-only, as every caller
   * uses the catalog.
   */
  private readonly checkedItems = new WeakMap<object, { id: string; item: Item | null }>();

  itemsInDoc(): Map<string, Item> {
    const items = new Map<string, Item>();
    itemsOf(this.ctx.doc).forEach((raw, id) => {
      const key = typeof raw === 'object' && raw !== null ? raw : null;
      let checked = key ? this.checkedItems.get(key) : undefined;
      if (checked?.id !== id) {
        const r = parseItem(id, settingValue(raw));
        checked = { id, item: r.ok ? r.item : null };
        if (key) this.checkedItems.set(key, checked);
      }
      if (checked.item) items.set(id, checked.item);
    });
    return items;
  }

  /**
   * Waits for the doc unless a save is taken before it now (DocPersistence `takesEarlySaves`, while the doc
   * loads), or the doc does not hold the settings yet (a device started from a checkpoint): then what a save
   * is checked against is read from the projections, as the screens show it (what counts of the doc's
   * settings). True if so.
   */
  private async early(): Promise<boolean> {
    if (this.ctx.persistence.takesEarlySaves) return true;
    // A rebuild works out the figures (after an update, at the load's end) and takes donations, pickups and
    // discards meanwhile, from the load's start: until the doc is loaded, what they are checked against is
    // read from the projections, then from the doc; neither waits.
    if (this.ctx.persistence.takesSavesWhileRebuilding) return !this.ctx.persistence.isLoaded;
    await this.ctx.ready;
    // A device started from a checkpoint: its projections hold the catalog and the hubs the checkpoint
    // carried (verified) from its first seconds, its doc only once the history behind them arrives.
    return this.ctx.persistence.behindCheckpoint;
  }

  /** The catalog a save is checked against (see `early`). */
  async catalogForSave(): Promise<Map<string, Item>> {
    if (!(await this.early())) return this.itemsInDoc();
    const items = await this.ctx.db.items.toArray();
    return new Map(items.map(({ nameKey: _, ...item }) => [item.id, item]));
  }

  /** The hubs a transfer is checked against (see `early`). */
  async hubsForSave(): Promise<ReadonlySet<string>> {
    if (await this.early()) return new Set(await this.ctx.db.hubs.toCollection().primaryKeys());
    const hubs = new Set<string>();
    hubsOf(this.ctx.doc).forEach((raw, id) => {
      if (settingValue(raw) !== undefined) hubs.add(id);
    });
    return hubs;
  }

  /** Both (a transfer's). */
  async forSave(): Promise<{ items: Map<string, Item>; hubs: ReadonlySet<string> }> {
    const [items, hubs] = await Promise.all([this.catalogForSave(), this.hubsForSave()]);
    return { items, hubs };
  }

  /** Creates an item, or edits it when `id` is given. */
  async saveItem(form: ItemForm, id?: string): Promise<Item> {
    await this.ctx.ready;
    // Behind a checkpoint, its catalog: a name already taken, or the item edited, may be in it alone.
    const items = await this.catalogForSave();
    const fields = validateItemForm(form, [...items.values()], id);
    const now = this.ctx.deps.now();
    const previous = id ? items.get(id) : undefined;
    if (id && !previous) throw refuse('store.itemGone');
    const item: Item = {
      id: id ?? randomId(this.ctx.deps.randomBytes),
      ...fields,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    };
    await this.ctx.putSettings([['items', item.id, item]]);
    await this.ctx.persistence.flush();
    return item;
  }

  /**
   * Creates many items in one change and one commit (a sheet's import), all or none: each form is checked
   * as `saveItem` checks one, against the catalog and the forms before it. One item at a time, each its own
   * signature round, commit and check against the whole catalog, took 100 ms an item in Chromium (a sheet
   * of 2,000 new items: 202 s).
   */
  async saveItems(forms: readonly ItemForm[]): Promise<Item[]> {
    await this.ctx.ready;
    if (forms.length === 0) return [];
    const items = await this.catalogForSave();
    const now = this.ctx.deps.now();
    const made = validateNewItemForms(forms, items.values(), (fields) => ({
      id: randomId(this.ctx.deps.randomBytes),
      ...fields,
      createdAt: now,
      updatedAt: now,
    }));
    await this.ctx.putSettings(made.map((item) => ['items', item.id, item]));
    await this.ctx.persistence.flush();
    return made;
  }

  /** Adds a barcode to an item (a scanner read a code nobody knew). */
  async attachBarcode(itemId: string, code: string): Promise<Item> {
    await this.ctx.ready;
    const item = (await this.catalogForSave()).get(itemId);
    if (!item) throw refuse('form.itemUnknown', 'item');
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

  /**
   * The hub whose settings or transfers a change is for: this device's hub, or, on a coordinator's
   * device, the hub it acts for.
   */
  actingFor(hub?: string, known?: ReadonlySet<string>): string {
    const self = this.ctx.requireSelf();
    if (hub && hub !== self.hubId) {
      if (self.role !== 'coordinator') throw refuse('store.coordinatorOnlyOtherHub');
      const exists = known ? known.has(hub) : this.ctx.setting('hubs', hub) !== undefined;
      if (!exists) throw refuse('store.hubUnknown', 'hub');
      return hub;
    }
    return this.ctx.requireHub();
  }

  async setLevels(itemId: string, form: LevelsForm, hub?: string): Promise<void> {
    await this.ctx.ready;
    const levels = parseLevelsForm(form);
    await this.ctx.putSettings([['levels', levelsKey(this.actingFor(hub), itemId), levelsValue(levels)]]);
    await this.ctx.persistence.flush();
  }

  /** The same minimum and target for many items at once (bulk editing). */
  async setManyLevels(itemIds: readonly string[], form: LevelsForm, hub?: string): Promise<void> {
    await this.ctx.ready;
    if (itemIds.length === 0) throw refuse('store.noItemsChosen', 'items');
    const levels = parseLevelsForm(form);
    const at = this.actingFor(hub);
    await this.ctx.putSettings(itemIds.map((item) => ['levels', levelsKey(at, item), levelsValue(levels)]));
    await this.ctx.persistence.flush();
  }

  /** The levels an item of this category gets at a hub when it has none of its own. */
  async setCategoryLevels(category: string, form: LevelsForm, hub?: string): Promise<void> {
    await this.ctx.ready;
    const levels = parseLevelsForm(form);
    await this.ctx.putSettings([
      ['categoryLevels', levelsKey(this.actingFor(hub), category), levelsValue(levels)],
    ]);
    await this.ctx.persistence.flush();
  }

  /** Renames a hub or sets its address; the address is published on needs lists only if asked. */
  async updateHub(
    form: { name: string; address: string; publishAddress: boolean },
    hub?: string,
  ): Promise<void> {
    await this.ctx.ready;
    const id = this.actingFor(hub);
    const issues = new IssueCollector();
    const name = checkName(form.name, 'name', 'store.hubNameMissing', 'store.hubNameTooLong', issues);
    const address = form.address.replace(/\s+/g, ' ').trim();
    if (address.length > 200) issues.add('address', msg('store.addressTooLong', { max: 200 }));
    if (form.publishAddress && !address) issues.add('address', msg('store.addressMissing'));
    issues.throwIfAny();
    // The hub's details as they count (a value set aside never does), else as the doc holds them.
    const counted = await this.ctx.db.hubs.get(id);
    const current = hubSchema.safeParse(counted ?? this.ctx.setting('hubs', id));
    await this.ctx.putSettings([
      [
        'hubs',
        id,
        {
          name,
          createdAt: current.success ? current.data.createdAt : this.ctx.deps.now(),
          ...(address ? { address } : {}),
          publishAddress: form.publishAddress && !!address,
        } satisfies HubInfo,
      ],
    ]);
    await this.ctx.persistence.flush();
  }

  /**
   * The name of this device's hub as the doc holds it, before it counts: a device waiting for approval
   * started a hub whose details count only once it is approved, and should still show its own hub's name.
   */
  ownHubName(): string | null {
    const hub = this.ctx.self?.hubId;
    const parsed = hub ? hubSchema.safeParse(this.ctx.setting('hubs', hub)) : null;
    return parsed?.success ? parsed.data.name : null;
  }
}
