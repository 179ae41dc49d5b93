import type { SelfRow } from '../db';

/**
 * This device's own row (its settings), observable: every change goes through `row`'s setter, so whoever
 * shows it hears of it. Held by the store from its opening, before its parts are loaded (the first screen
 * reads it), and shared with them.
 */
export class SelfCell {
  private value: { readonly row: SelfRow | null };
  private readonly listeners = new Set<() => void>();

  constructor(row: SelfRow | null) {
    this.value = { row };
  }

  get row(): SelfRow | null {
    return this.value.row;
  }

  set row(row: SelfRow | null) {
    this.value = { row };
    for (const listener of [...this.listeners]) listener();
  }

  /** The row in a box that is new each time it changes (a `useSyncExternalStore` snapshot). */
  get snapshot(): { readonly row: SelfRow | null } {
    return this.value;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
