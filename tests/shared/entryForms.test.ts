import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formToWrite, PACKED_FORM, READS_FORM, STORED_FORM } from '../../shared/entryForms';
import { fcOptions } from './arbitraries';

describe('the entry form a device writes', () => {
  it('is the newest this code reads when every other device reads it, or there is none', () => {
    expect(READS_FORM).toBe(PACKED_FORM);
    expect(formToWrite([])).toBe(PACKED_FORM);
    expect(formToWrite([PACKED_FORM, PACKED_FORM])).toBe(PACKED_FORM);
    // A device of a later version reads the packed form too.
    expect(formToWrite([PACKED_FORM, 7])).toBe(PACKED_FORM);
  });

  it('is the stored form while one device has not said it reads more (an older Larder), or reads less', () => {
    expect(formToWrite([PACKED_FORM, undefined])).toBe(STORED_FORM);
    expect(formToWrite([STORED_FORM, PACKED_FORM])).toBe(STORED_FORM);
    expect(formToWrite([0])).toBe(STORED_FORM);
  });

  it('is the least of what they read, and never newer than this code reads, in any order', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined })), (reads) => {
        const least = Math.min(READS_FORM, ...reads.map((r) => r ?? STORED_FORM));
        const form = formToWrite(reads);
        expect(form).toBe(least >= PACKED_FORM ? PACKED_FORM : STORED_FORM);
        expect(formToWrite([...reads].reverse())).toBe(form);
      }),
      fcOptions(),
    );
  });
});
