import { describe, expect, it } from 'vitest';
import { appendAll } from '../../shared/arrays';
import { IssueCollector, ValidationError, issue } from '../../shared/errors';
import { msg, word } from '../../shared/messages';
import { ID_PATTERN, entryId, randomId } from '../../shared/ids';

describe('randomId', () => {
  it('maps each random byte to one letter or digit, 8 by default', () => {
    const fixed = [0, 1, 35, 36, 71, 255, 10, 200];
    const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => fixed[i % fixed.length]!);
    expect(randomId(bytes)).toBe('01z0z3ak');
    expect(randomId(bytes, 4)).toBe('01z0');
    expect(randomId(bytes, 16)).toMatch(ID_PATTERN);
  });

  it('names an entry by its device and sequence number', () => {
    expect(entryId('deva', 12)).toBe('deva.12');
  });
});

describe('appendAll', () => {
  it('appends in place, in order, past what a spread call could take', () => {
    const target = [1, 2];
    const source = Array.from({ length: 200_000 }, (_, i) => i);
    expect(appendAll(target, source)).toBe(target);
    expect(target).toHaveLength(200_002);
    expect(target.slice(0, 4)).toEqual([1, 2, 0, 1]);
    expect(target.at(-1)).toBe(199_999);
  });
});

describe('ValidationError and IssueCollector', () => {
  it('collects every issue and throws them at once, each findable by field', () => {
    const issues = new IssueCollector();
    expect(issues.count).toBe(0);
    expect(() => issues.throwIfAny()).not.toThrow();
    const zero = msg('quantity.zero', { what: word('field.quantity') });
    issues.add('lines.0.quantity', zero);
    issues.add('', msg('transfer.notSentYet'));
    expect(issues.count).toBe(2);
    let error: unknown;
    try {
      issues.throwIfAny();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.name).toBe('ValidationError');
    expect(v.issues).toEqual([issue('lines.0.quantity', zero), issue('', msg('transfer.notSentYet'))]);
    expect(v.issueFor('lines.0.quantity')).toEqual(issue('lines.0.quantity', zero));
    expect(v.issueFor('')?.code).toBe('transfer.notSentYet');
    expect(v.issueFor('note')).toBeUndefined();
    // The thrown message is for logs: codes and parameters, never a sentence.
    expect(v.message).toBe(
      'lines.0.quantity: quantity.zero {"what":{"word":"field.quantity"}}; transfer.notSentYet',
    );
  });
});
