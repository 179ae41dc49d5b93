import type { LedgerRow, StockRow, UsageRow } from '../../shared/projection';
import type { DeviceGate } from '../../shared/trust/gate';
import type { CategoryLevelsRow, DeviceRow, HubRow, ItemRow, LarderDB, LevelsRow, MemberRow } from './db';

/** The settings tables a projection writes row by row (put or delete). */
export type SettingTables = Pick<LarderDB, 'items' | 'hubs' | 'devices' | 'levels' | 'categoryLevels'>;

/** Every projection table's rows as a rebuild writes them (problems aside: they keep when they were seen). */
export interface DerivedTables {
  stock: StockRow[];
  ledger: LedgerRow[];
  usage: UsageRow[];
  items: ItemRow[];
  hubs: HubRow[];
  devices: DeviceRow[];
  levels: LevelsRow[];
  categoryLevels: CategoryLevelsRow[];
  gate: DeviceGate[];
  members: MemberRow[];
}
type TableName = keyof DerivedTables;

/** One table that differs from the rebuild, in words a volunteer reads. */
export interface TableDifference {
  table: TableName;
  /** "Stock figures: 1 wrong; 2 missing". */
  summary: string;
  missing: number;
  extra: number;
  wrong: number;
  /** A few of them, named: "Rice 2 lb at North: shows 94, the ledger says 52". */
  examples: string[];
}

export interface DataCheck {
  differences: TableDifference[];
  /** Rows compared, over every table. */
  rows: number;
  ms: number;
}

const TABLES: { table: TableName; key: string; title: string; one: string; many: string }[] = [
  { table: 'stock', key: 'key', title: 'Stock figures', one: 'stock figure', many: 'stock figures' },
  { table: 'ledger', key: 'id', title: 'History', one: 'history entry', many: 'history entries' },
  { table: 'usage', key: 'key', title: 'Daily use', one: 'day of use', many: 'days of use' },
  { table: 'items', key: 'id', title: 'Catalog', one: 'catalog item', many: 'catalog items' },
  { table: 'hubs', key: 'id', title: 'Hubs', one: 'hub', many: 'hubs' },
  { table: 'devices', key: 'id', title: 'Devices', one: 'device', many: 'devices' },
  { table: 'levels', key: 'key', title: 'Levels', one: 'minimum and target', many: 'minimums and targets' },
  {
    table: 'categoryLevels',
    key: 'key',
    title: 'Category levels',
    one: 'category level',
    many: 'category levels',
  },
  {
    table: 'gate',
    key: 'device',
    title: 'Signatures',
    one: 'device’s checked entries',
    many: 'devices’ checked entries',
  },
  { table: 'members', key: 'device', title: 'Members', one: 'member', many: 'members' },
];

const EXAMPLES = 5;

/** Compares each projection table with the rows a rebuild derived. */
export async function compareProjections(
  db: LarderDB,
  derived: DerivedTables,
  ms: number,
): Promise<DataCheck> {
  const started = performance.now();
  const differences: TableDifference[] = [];
  let rows = 0;
  const itemNames = new Map(derived.items.map((i) => [i.id, i.name]));
  const hubNames = new Map(derived.hubs.map((h) => [h.id, h.name]));
  for (const { table, key, title, one, many } of TABLES) {
    const expected = new Map<string, unknown>(
      (derived[table] as unknown as Record<string, unknown>[]).map((r) => [String(r[key]), r]),
    );
    const actual = (await db.table(table).toArray()) as Record<string, unknown>[];
    rows += Math.max(actual.length, expected.size);
    let missing = 0;
    let extra = 0;
    let wrong = 0;
    const examples: string[] = [];
    const name = (row: Record<string, unknown>) => describeRow(table, row, itemNames, hubNames);
    const seen = new Set<string>();
    for (const row of actual) {
      const id = String(row[key]);
      seen.add(id);
      const should = expected.get(id) as Record<string, unknown> | undefined;
      if (!should) {
        extra++;
        if (examples.length < EXAMPLES) examples.push(`${name(row)}: should not be there`);
      } else if (canonical(row) !== canonical(should)) {
        wrong++;
        if (examples.length < EXAMPLES)
          examples.push(
            table === 'stock'
              ? `${name(row)}: shows ${String(row.onHand)}, the ledger says ${String(should.onHand)}`
              : `${name(row)}: differs from the ledger`,
          );
      }
    }
    for (const [id, row] of expected) {
      if (seen.has(id)) continue;
      missing++;
      if (examples.length < EXAMPLES) examples.push(`${name(row as Record<string, unknown>)}: missing`);
    }
    if (missing + extra + wrong === 0) continue;
    const count = (n: number) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
    const parts = [
      wrong > 0 ? `${count(wrong)} wrong` : '',
      missing > 0 ? `${count(missing)} missing` : '',
      extra > 0 ? `${count(extra)} that should not be there` : '',
    ].filter(Boolean);
    differences.push({ table, summary: `${title}: ${parts.join('; ')}`, missing, extra, wrong, examples });
  }
  return { differences, rows, ms: ms + performance.now() - started };
}

function describeRow(
  table: TableName,
  row: Record<string, unknown>,
  items: Map<string, string>,
  hubs: Map<string, string>,
): string {
  const item = (id: unknown) => items.get(String(id)) ?? 'an item no longer in the catalog';
  const hub = (id: unknown) => hubs.get(String(id)) ?? 'a hub';
  switch (table) {
    case 'stock':
    case 'levels':
      return `${item(row.item)} at ${hub(row.hub)}`;
    case 'ledger':
      return `${String(row.kind)} of ${item(row.item)} at ${hub(row.hub)} on ${new Date(Number(row.at)).toLocaleDateString('en-US')}`;
    case 'usage':
      return `use of ${item(row.item)} at ${hub(row.hub)} on ${String(row.day)}`;
    case 'items':
    case 'hubs':
    case 'devices':
    case 'members':
      return String(row.name ?? row.id ?? row.device);
    case 'categoryLevels':
      return `${String(row.category)} at ${hub(row.hub)}`;
    case 'gate':
      return `device ${String(row.device)}`;
  }
}

/** A row as text with its keys sorted, leaving out undefined (IndexedDB and a rebuild may differ there). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/** Settings tables that keep rows in memory: a rebuild's settings, derived without writing them. */
export function settingTablesInMemory(): {
  tables: SettingTables;
  rows(): Pick<DerivedTables, 'items' | 'hubs' | 'devices' | 'levels' | 'categoryLevels'>;
} {
  const table = <T>(key: (row: T) => string) => {
    const rows = new Map<string, T>();
    return {
      rows,
      put: (row: T) => Promise.resolve(void rows.set(key(row), row)),
      delete: (id: string) => Promise.resolve(void rows.delete(id)),
    };
  };
  const items = table<ItemRow>((r) => r.id);
  const hubs = table<HubRow>((r) => r.id);
  const devices = table<DeviceRow>((r) => r.id);
  const levels = table<LevelsRow>((r) => r.key);
  const categoryLevels = table<CategoryLevelsRow>((r) => r.key);
  return {
    tables: { items, hubs, devices, levels, categoryLevels } as unknown as SettingTables,
    rows: () => ({
      items: [...items.rows.values()],
      hubs: [...hubs.rows.values()],
      devices: [...devices.rows.values()],
      levels: [...levels.rows.values()],
      categoryLevels: [...categoryLevels.rows.values()],
    }),
  };
}
