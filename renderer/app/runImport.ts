import { idOf, type Count } from '../../shared/entries';
import type { Item } from '../../shared/catalog';
import { planImport, type ColumnMap, type ImportPlan, type ItemRef, type Sheet } from '../../shared/import';
import type { StoreHost } from '../storage/host';
import { toFormErrors } from './errors';
import { i18n } from '../i18n';

export interface ImportOutcome {
  plan: ImportPlan;
  created: Item[];
  levelsSet: number;
  /** The opening count's entries, one per item; empty when the sheet had no quantities. */
  count: Count[];
  /** Set when a step failed: what was done stays done, and the rest was not. */
  failed?: { step: 'items' | 'levels' | 'count'; message: string };
}

const MAX_NOTE_FILE_NAME = 200;
/**
 * New items saved this many at a time, each batch one change and one commit (`store.saveItems`): the progress
 * moves, and a failure leaves whole batches made (matched by name on the next try).
 */
export const ITEMS_A_SAVE = 500;

/**
 * Applies a sheet through the store's own commands, in the order that makes a retry safe: first the
 * missing items, a batch at a time (an item made before a failure is matched by name next time, never made
 * twice), then the levels, then the quantities as ONE count, which records what was counted and what this
 * device showed.
 * The plan is made again here from the catalog as it is now, so items that arrived by sync since the
 * preview are matched, not duplicated.
 */
export async function runImport(
  store: StoreHost,
  sheet: Sheet,
  columns: ColumnMap,
  fileName: string,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ImportOutcome> {
  const plan = planImport(sheet, columns, [...(await store.catalogForSave()).values()]);
  const outcome: ImportOutcome = { plan, created: [], levelsSet: 0, count: [] };
  const fail = (step: 'items' | 'levels' | 'count', e: unknown) => {
    outcome.failed = { step, message: toFormErrors(e).summary.join(' ') };
    return outcome;
  };
  try {
    for (let i = 0; i < plan.create.length; i += ITEMS_A_SAVE) {
      onProgress(i, plan.create.length);
      const forms = plan.create.slice(i, i + ITEMS_A_SAVE).map((c) => c.form);
      outcome.created.push(...(await store.saveItems(forms)));
    }
  } catch (e) {
    return fail('items', e);
  }
  const idOfRef = (ref: ItemRef) => ('existing' in ref ? ref.existing : outcome.created[ref.created]!.id);

  try {
    // One write per distinct pair of levels, not one per item.
    const byLevels = new Map<string, string[]>();
    for (const l of plan.levels) {
      const key = `${l.min}/${l.target}`;
      byLevels.set(key, [...(byLevels.get(key) ?? []), idOfRef(l.item)]);
    }
    for (const [key, ids] of byLevels) {
      const [min, target] = key.split('/');
      await store.setManyLevels(ids, { min: min!, target: target! });
      outcome.levelsSet += ids.length;
    }
  } catch (e) {
    return fail('levels', e);
  }

  if (plan.counts.length === 0) return outcome;
  try {
    outcome.count = await store.recordCount({
      lines: plan.counts.map((c) => ({ item: idOfRef(c.item), counted: String(c.counted) })),
      // In the words of the volunteer who imports (a note is stored as written, like any typed note).
      note: i18n.t('import.openingNote', { file: fileName.slice(0, MAX_NOTE_FILE_NAME) }),
    });
  } catch (e) {
    return fail('count', e);
  }
  return outcome;
}

/**
 * Undoes an import's count, all its lines in one commit (`store.undoMany`), as History would undo each; the
 * items it created stay in the catalog. An entry already undone elsewhere (History, another device) is left
 * as it is, and said so.
 */
export async function undoImportCount(
  store: StoreHost,
  count: readonly Count[],
): Promise<{ undone: number; failed: string[] }> {
  try {
    const { undone, failed } = await store.undoMany(count.map(idOf), i18n.t('import.undoNote'));
    return {
      undone: undone.length,
      failed: failed.map(({ error }) => toFormErrors(error).summary.join(' ')),
    };
  } catch (e) {
    // Not saved (the device's storage, say): none of the lines is undone, each for that reason.
    const reason = toFormErrors(e).summary.join(' ');
    return { undone: 0, failed: count.map(() => reason) };
  }
}
