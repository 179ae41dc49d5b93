/**
 * The forms an entry can take in its device's ledger array (shared/wire.ts), and which one a device writes.
 *
 * A device reads the forms of its own version and older ones; an entry in a newer form it sets aside,
 * visibly, under Problems, and counts only once updated. A network's devices update at different times (an
 * old laptop at one hub, a phone at another), so a device writes the newest form **every device of the
 * network reads**, as each says in its record in the doc (`devices[device].reads`, which only the device
 * itself or an admin may sign). A device that never said counts as reading the stored form only: every
 * Larder since the stored form came in (PROJECTION_VERSION 6) reads it.
 */

/** Tuples without the device (`storedEntry`): read by every Larder since PROJECTION_VERSION 6. */
export const STORED_FORM = 1;
/** One string per entry (`packedEntry`): read since PROJECTION_VERSION 7. */
export const PACKED_FORM = 2;
export type EntryForm = typeof STORED_FORM | typeof PACKED_FORM;

/** The newest form this code reads, which it says in its device's record. */
export const READS_FORM: EntryForm = PACKED_FORM;

/**
 * The form to write, given what each other device that counts says it reads (undefined: it never said).
 * The newest one they all read, and never newer than this code's.
 */
export function formToWrite(reads: Iterable<number | undefined>): EntryForm {
  let form: number = READS_FORM;
  for (const r of reads) form = Math.min(form, r ?? STORED_FORM);
  return form >= PACKED_FORM ? PACKED_FORM : STORED_FORM;
}
