import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Projector, type LedgerRow, type StockRow, type UsageRow } from '../../shared/projection';
import { fcOptions, ledgerArb } from './arbitraries';

/**
 * A rebuild writes its rows in pieces while saves go on (renderer/storage/persistence.ts): its projector
 * holds everything, and after each batch of entries it hands over only the rows that batch changed
 * (`takeChanges`). Written over what the tables held, those pieces end as a rebuild from scratch would: no
 * row is left out, and none is overwritten by an older copy.
 */
describe('a projector that hands over its changes batch by batch', () => {
  it('leaves tables written piece by piece equal to its own rows, however the entries are cut', () => {
    fc.assert(
      fc.property(
        ledgerArb,
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
        (entries, cuts) => {
          const p = new Projector();
          const stock = new Map<string, StockRow>();
          const ledger = new Map<string, LedgerRow>();
          const usage = new Map<string, UsageRow>();
          const write = () => {
            const changed = p.takeChanges();
            for (const row of changed.stock) stock.set(row.key, structuredClone(row));
            for (const row of changed.ledger) ledger.set(row.id, structuredClone(row));
            for (const row of changed.usage) usage.set(row.key, structuredClone(row));
            // Taken once: nothing is handed over twice.
            expect(p.takeChanges()).toEqual({ stock: [], ledger: [], usage: [] });
          };
          let at = 0;
          for (const cut of [...cuts, entries.length]) {
            for (const e of entries.slice(at, at + cut)) p.apply(e);
            at = Math.min(entries.length, at + cut);
            write();
          }
          expect([...stock.values()]).toEqual(expect.arrayContaining(p.allStock()));
          expect(stock.size).toBe(p.allStock().length);
          expect([...ledger.values()]).toEqual(expect.arrayContaining(p.allLedger()));
          expect(ledger.size).toBe(p.allLedger().length);
          expect([...usage.values()]).toEqual(expect.arrayContaining(p.allUsage()));
          expect(usage.size).toBe(p.allUsage().length);
        },
      ),
      fcOptions(0.5),
    );
  });

  it('reads the ledger and usage rows it holds by id and key, leaving out what it does not hold', () => {
    fc.assert(
      fc.property(ledgerArb, (entries) => {
        const p = new Projector();
        for (const e of entries) p.apply(e);
        const ids = p.allLedger().map((r) => r.id);
        const keys = p.allUsage().map((r) => r.key);
        expect(p.ledgerRows([...ids, 'nobody.1'])).toEqual(p.allLedger());
        expect(p.usageRows([...keys, 'hub0|2000-01-01'])).toEqual(p.allUsage());
        for (const id of ids) expect(p.holdsLedger(id)).toBe(true);
        for (const key of keys) expect(p.holdsUsage(key)).toBe(true);
        expect(p.holdsLedger('nobody.1')).toBe(false);
        expect(p.holdsUsage('hub0|2000-01-01')).toBe(false);
      }),
      fcOptions(0.5),
    );
  });
});
