import { describe, expect, it } from 'vitest';
import { ValidationError, issue } from '../../shared/errors';
import { msg, word } from '../../shared/messages';
import { parseLevelsForm } from '../../shared/levels';

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error('expected a ValidationError');
}

describe('parseLevelsForm', () => {
  it('reads a minimum and a target, zero included', () => {
    expect(parseLevelsForm({ min: ' 10 ', target: '1,000' })).toStrictEqual({ min: 10, target: 1000 });
    expect(parseLevelsForm({ min: '0', target: '0' })).toStrictEqual({ min: 0, target: 0 });
    expect(parseLevelsForm({ min: '5', target: '5' })).toStrictEqual({ min: 5, target: 5 });
  });

  it('clears the levels when both boxes are left empty', () => {
    expect(parseLevelsForm({ min: '', target: '' })).toBeNull();
    expect(parseLevelsForm({ min: '  ', target: '\t' })).toBeNull();
  });

  it('needs both once one is filled in', () => {
    expect(issuesOf(() => parseLevelsForm({ min: '3', target: ' ' }))).toEqual([
      issue('target', msg('quantity.empty', { what: word('field.target') })),
    ]);
    expect(issuesOf(() => parseLevelsForm({ min: '', target: '8' }))).toEqual([
      issue('min', msg('quantity.empty', { what: word('field.minimum') })),
    ]);
  });

  it('names each bad box', () => {
    expect(issuesOf(() => parseLevelsForm({ min: '-1', target: '2.5' }))).toEqual([
      issue('min', msg('quantity.negative', { what: word('field.minimum') })),
      issue('target', msg('quantity.notWhole', { what: word('field.target') })),
    ]);
  });

  it('refuses a target below the minimum', () => {
    expect(issuesOf(() => parseLevelsForm({ min: '10', target: '9' }))).toEqual([
      issue('target', msg('levels.targetBelowMinimum', { minimum: 10 })),
    ]);
  });
});
