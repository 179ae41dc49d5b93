import { describe, expect, it } from 'vitest';
import { issue, IssueCollector, ValidationError } from '../../shared/errors';
import {
  MESSAGE_CODES,
  messageForLog,
  msg,
  QUANTITY_FIELDS,
  SETTING_WORDS,
  word,
  WORD_CODES,
} from '../../shared/messages';

/**
 * What the core says is a code and its parameters (shared/messages.ts); the words are the renderer's
 * (tests/renderer/i18n/domain.test.ts checks every code has them in every language). Here: the shape a
 * message has once stored or sent, the codes and words listed for that check, and the plain text that
 * goes to logs and thrown errors.
 */

describe('a message', () => {
  it('is its code alone when its sentence takes no parameters: no `params` key at all', () => {
    const m = msg('form.dateInvalid');
    expect(m).toStrictEqual({ code: 'form.dateInvalid' });
    expect(Object.keys(m)).toEqual(['code']);
  });

  it('is its code and its parameters, kept as given', () => {
    const params = { what: word('field.packs'), max: 1_000_000 };
    expect(msg('quantity.tooLarge', params)).toStrictEqual({
      code: 'quantity.tooLarge',
      params: { what: { word: 'field.packs' }, max: 1_000_000 },
    });
  });

  it('survives a trip through JSON unchanged (set-aside problems are stored)', () => {
    for (const m of [msg('undo.already'), msg('item.nameTaken', { name: 'Rice' })])
      expect(JSON.parse(JSON.stringify(m))).toStrictEqual(m);
  });
});

describe('the plain text for logs', () => {
  it('is the code alone, or the code and its parameters as JSON', () => {
    expect(messageForLog(msg('form.dateInvalid'))).toBe('form.dateInvalid');
    expect(messageForLog(msg('undo.noteTooLong', { max: 500 }))).toBe('undo.noteTooLong {"max":500}');
    expect(messageForLog(msg('quantity.empty', { what: word('field.counted') }))).toBe(
      'quantity.empty {"what":{"word":"field.counted"}}',
    );
  });

  it('is a validation error’s message: each issue, with its field when it has one, joined by "; "', () => {
    const error = new ValidationError([
      issue('lines.2.quantity', msg('quantity.zero', { what: word('field.quantity') })),
      issue('', msg('form.noLines', { kind: word('kind.donation') })),
    ]);
    expect(error.message).toBe(
      'lines.2.quantity: quantity.zero {"what":{"word":"field.quantity"}}; form.noLines {"kind":{"word":"kind.donation"}}',
    );
    expect(error.name).toBe('ValidationError');
    expect(error.issueFor('lines.2.quantity')?.code).toBe('quantity.zero');
    expect(error.issueFor('')?.code).toBe('form.noLines');
    expect(error.issueFor('lines.1.quantity')).toBeUndefined();
  });

  it('is thrown by a collector only once it holds an issue, with all of them', () => {
    const issues = new IssueCollector();
    expect(() => issues.throwIfAny()).not.toThrow();
    issues.add('note', msg('form.noteTooLong', { count: 501, max: 500 }));
    issues.add('date', msg('form.dateInFuture'));
    expect(issues.count).toBe(2);
    let thrown: unknown;
    try {
      issues.throwIfAny();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ValidationError);
    expect((thrown as ValidationError).issues.map((i) => [i.field, i.code])).toEqual([
      ['note', 'form.noteTooLong'],
      ['date', 'form.dateInFuture'],
    ]);
  });
});

describe('the lists of codes and words', () => {
  it('name every code once', () => {
    expect(new Set(MESSAGE_CODES).size).toBe(MESSAGE_CODES.length);
    for (const code of ['quantity.empty', 'form.dateInvalid', 'syncFile.partlyWaiting', 'transfer.toItself'])
      expect(MESSAGE_CODES).toContain(code);
  });

  it('name every word a message can carry: fields, kinds of entry, transfer states and settings', () => {
    expect(new Set(WORD_CODES).size).toBe(WORD_CODES.length);
    expect(WORD_CODES.length).toBe(QUANTITY_FIELDS.length + 9 + 6 + SETTING_WORDS.length);
    for (const w of [
      'field.packSize',
      'kind.transfer_resolve',
      'status.in transit',
      'setting.categoryLevels',
    ])
      expect(WORD_CODES).toContain(w);
    expect(word('status.settled')).toStrictEqual({ word: 'status.settled' });
  });
});
