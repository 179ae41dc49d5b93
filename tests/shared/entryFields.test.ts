import { describe, expect, it } from 'vitest';
import { entryFromFields, type EntryFields } from '../../shared/entryFields';
import { fieldsOf } from '../../shared/wire';
import { SEC } from './entryEdges';

/**
 * `entryFromFields` with `stringsChecked` (the checkpoint's rows, whose strings are checked once in their
 * dictionaries): only the string tests are skipped; a field that is not there is still refused, and every
 * other field is checked as for the doc. The rest of its contract is tests/shared/wire.property.test.ts.
 */
const receipt: EntryFields = fieldsOf([1, 7, 'hub2', 'devb', 7, 'itma', SEC, 0, 4, 'devb.2', { f: 'hub1' }]);

describe('entryFromFields with strings checked elsewhere', () => {
  it('takes strings it would refuse, as they are', () => {
    const odd = { ...receipt, hub: 'HUB', device: 'D', item: '', ref: 'x', from: 'y' };
    expect(entryFromFields(odd)).toBe('hub');
    expect(entryFromFields(odd, true)).toMatchObject({ hub: 'HUB', device: 'D', transfer: 'x', from: 'y' });
  });

  it('still refuses a field that is not there, and checks the others', () => {
    expect(entryFromFields({ ...receipt, from: undefined }, true)).toBe('from');
    expect(entryFromFields({ ...receipt, a: -1 }, true)).toBe('qty');
    expect(entryFromFields({ ...receipt, seq: 0 }, true)).toBe('seq');
  });
});
