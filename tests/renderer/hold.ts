import { vi } from 'vitest';
import { DocPersistence } from '../../renderer/storage/persistence';

/**
 * Holds every rebuild's fold of the history from now on (`derive`: its saves window open), or every load of
 * the doc (`loadDoc`: from its first read), until `release`; `restore` puts the step back as it was (before
 * holding again: a step held twice would wait for itself).
 */
export function holdRebuilds(step: 'derive' | 'loadDoc' = 'derive') {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const proto = DocPersistence.prototype as unknown as Record<
    typeof step,
    (...args: unknown[]) => Promise<unknown>
  >;
  const original = proto[step];
  const spy = vi.spyOn(proto, step).mockImplementation(async function (
    this: DocPersistence,
    ...args: unknown[]
  ) {
    await held;
    return original.apply(this, args);
  });
  return { release, restore: () => spy.mockRestore() };
}
