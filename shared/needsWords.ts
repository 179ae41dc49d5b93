/*
 * The needs list's codes that the renderer gives words for (urgencies, CSV columns). Apart from needs.ts
 * (which writes the CSV with papaparse) so that the app's error and domain texts do not load it.
 */

export const URGENCIES = ['out', 'low', 'below target'] as const;
export type Urgency = (typeof URGENCIES)[number];

/** The needs CSV's columns, as codes: the renderer gives their headers in the volunteer's language. */
export const NEEDS_CSV_COLUMNS = [
  'item',
  'category',
  'unit',
  'needed',
  'urgency',
  'hubs',
  'hub',
  'address',
] as const;
export type NeedsCsvColumn = (typeof NEEDS_CSV_COLUMNS)[number];

/** The words a needs CSV is written in: its headers and the urgencies (the list itself holds only data). */
export interface NeedsCsvWords {
  headers: Readonly<Record<NeedsCsvColumn, string>>;
  urgency: Readonly<Record<Urgency, string>>;
  /** A category as the reader says it (the suggested ones are stored in English); as stored if absent. */
  category?: (stored: string) => string;
}
