import { vi } from 'vitest';
import { DocPersistence } from '../../renderer/storage/persistence';

/**
 * Holds every rebuild's fold of the history from now on (`derive`: its saves window open), or every load of
 * the doc (`loadDoc`: from its first read), or every write of a rebuild's figures (`writeRebuiltFigures`:
 * after its fold, the window still open), until `release`; `restore` puts the step back as it was (before
 * holding again: a step held twice would wait for itself).
 */
export function holdRebuilds(step: 'derive' | 'loadDoc' | 'writeRebuiltFigures' = 'derive') {
  let release!: () => void;
  let reach!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  /** Resolves once the step is first called (and held). */
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const proto = DocPersistence.prototype as unknown as Record<
    typeof step,
    (...args: unknown[]) => Promise<unknown>
  >;
  const original = proto[step];
  const spy = vi.spyOn(proto, step).mockImplementation(async function (
    this: DocPersistence,
    ...args: unknown[]
  ) {
    reach();
    await held;
    return original.apply(this, args);
  });
  /** How many times the step was called since (on `of` only, if given). */
  const calls = (of?: DocPersistence) =>
    of ? spy.mock.contexts.filter((context) => context === of).length : spy.mock.calls.length;
  return { release, reached, calls, restore: () => spy.mockRestore() };
}
