import { expect, test, type Page } from '@playwright/test';
import { newProfileDir, openHub, removeProfileDir } from './browser';
import { goTo, setUpHub } from './steps';

/** Items in the hub's sheet: several slices of rows (renderer/app/slices.ts), more than a window holds. */
const ITEMS = 240;

interface AXNode {
  nodeId: string;
  ignored: boolean;
  role?: { value: string };
  name?: { value: string };
  childIds?: string[];
}

/**
 * The long tables lay out each row as a table of its own (renderer/styles.css, `table.long`: a table's layout
 * is the whole table's, and each slice of rows added laid out all of them again). What that must not cost: the
 * rows are still a table's rows in Chromium's accessibility tree, as a screen reader reads it (every one, also
 * those out of view: `content-visibility` on groups of rows took those out), and each cell sits under its
 * column's header.
 */
test('the long tables: every row in Chromium’s accessibility tree, each cell under its column', async ({
  baseURL,
}) => {
  test.setTimeout(180_000);
  const profile = newProfileDir('long-tables');
  const { context, page } = await openHub(profile, baseURL!);
  try {
    await setUpHub(page, 'Eastside Pantry', 'Front desk laptop');
    const sheet = [
      'Item,Quantity,Reorder level',
      ...Array.from({ length: ITEMS }, (_, i) => `Item ${String(i).padStart(4, '0')},${(i % 40) + 1},5`),
    ].join('\n');
    await goTo(page, 'Spreadsheet');
    await page
      .getByLabel('CSV file')
      .setInputFiles({ name: 'stock.csv', mimeType: 'text/csv', buffer: Buffer.from(sheet) });
    await page.getByRole('button', { name: `Import ${ITEMS} items` }).click();
    await expect(page.getByRole('status', { name: 'Import result' })).toContainText(
      `created ${ITEMS} new items`,
      { timeout: 60_000 },
    );

    for (const { screen, table, columns } of [
      { screen: 'Stock', table: 'Stock', columns: 7 },
      { screen: 'Items', table: 'Items', columns: 5 },
      { screen: 'Levels', table: 'Item levels', columns: 4 },
    ]) {
      await goTo(page, screen);
      const rows = page.getByRole('table', { name: table }).getByRole('row');
      await expect(rows).toHaveCount(ITEMS + 1, { timeout: 60_000 });

      // Chromium's own tree: the table, its header row and one row per item, each with its cells.
      const tree = await axTable(page, table);
      expect(tree.roles.row, `${table}: rows in Chromium's accessibility tree`).toBe(ITEMS + 1);
      expect(tree.roles.columnheader, `${table}: column headers`).toBe(columns);
      expect(tree.roles.rowheader, `${table}: row headers (the item's name)`).toBe(ITEMS);
      expect(tree.roles.cell, `${table}: cells`).toBe(ITEMS * (columns - 1));
      const last = `Item ${String(ITEMS - 1).padStart(4, '0')}`;
      expect(
        tree.rowNames.filter((n) => n.startsWith(last)),
        `${table}: ${last}'s row`,
      ).toHaveLength(1);

      // Each cell of the first and the last row starts and ends where its column's header does.
      const headers = await cellBoxes(rows.first());
      expect(headers).toHaveLength(columns);
      for (const which of [rows.nth(1), rows.last()]) {
        await which.scrollIntoViewIfNeeded();
        const cells = await cellBoxes(which);
        expect(cells).toHaveLength(columns);
        cells.forEach((cell, i) => {
          expect(Math.abs(cell.x - headers[i]!.x), `${table}: column ${i + 1}'s start`).toBeLessThan(1);
          expect(Math.abs(cell.width - headers[i]!.width), `${table}: column ${i + 1}'s width`).toBeLessThan(
            1,
          );
        });
      }
    }
  } finally {
    await context.close();
    removeProfileDir(profile);
  }
});

/** The roles under the table named `name` in Chromium's accessibility tree (ignored nodes left out). */
async function axTable(page: Page, name: string) {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as unknown as { nodes: AXNode[] };
    const byId = new Map(nodes.map((n) => [n.nodeId, n]));
    const tables = nodes.filter((n) => n.role?.value === 'table' && n.name?.value === name);
    expect(tables, `one table named ${name}`).toHaveLength(1);
    const roles: Record<string, number> = { row: 0, columnheader: 0, rowheader: 0, cell: 0 };
    const rowNames: string[] = [];
    const walk = (node: AXNode) => {
      const role = node.role?.value ?? '';
      if (!node.ignored && role in roles) roles[role]!++;
      if (!node.ignored && role === 'rowheader' && node.name) rowNames.push(node.name.value);
      for (const id of node.childIds ?? []) {
        const child = byId.get(id);
        if (child) walk(child);
      }
    };
    walk(tables[0]!);
    return { roles, rowNames };
  } finally {
    await cdp.detach();
  }
}

/** Where each cell of a row is across the page. */
function cellBoxes(row: ReturnType<Page['locator']>) {
  return row.evaluate((tr) =>
    [...tr.children].map((cell) => {
      const box = cell.getBoundingClientRect();
      return { x: box.x, width: box.width };
    }),
  );
}
