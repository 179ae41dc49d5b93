/**
 * Shown under every free-text note field, before anything is typed, and tied to the field with
 * aria-describedby: a note is part of an entry, so it is copied to every hub of the network and can
 * never be removed. Larder stores no personal data about the people it serves.
 */
export const NOTE_PRIVACY =
  'Notes go to every hub in the network and can never be removed: write no names or personal details.';
