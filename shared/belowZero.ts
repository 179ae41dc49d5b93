import { msg, type DomainMessage } from './messages';

/** A pickup would take items below zero: the UI shows this and asks before recording anyway. */
export class BelowZeroWarning extends Error {
  constructor(readonly shortfalls: { item: string; name: string; onHand: number; taking: number }[]) {
    // For logs only: the screen says it from `messages`, in the volunteer's language.
    super(shortfalls.map((s) => `${s.item}: taking ${s.taking}, ${s.onHand} on hand`).join('; '));
    this.name = 'BelowZeroWarning';
  }

  /**
   * One message per item that would go below zero. A record already below zero is said as how far below it
   * is ("only -13 on hand" read as nonsense to volunteers).
   */
  get messages(): DomainMessage[] {
    return this.shortfalls.map((s) =>
      s.onHand < 0
        ? msg('pickup.alreadyBelowZero', { item: s.name, taking: s.taking, below: -s.onHand })
        : msg('pickup.belowZero', { item: s.name, taking: s.taking, onHand: s.onHand }),
    );
  }
}
