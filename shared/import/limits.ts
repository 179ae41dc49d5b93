/**
 * What one file may make Larder do. A sheet past these is refused as a whole, with a message that says
 * which bound it passed, so an import is never cut short without saying so.
 */
export const IMPORT_LIMITS = {
  /** Bytes of text: a hub's stock sheet is a few kilobytes; 5 MB is a whole history export of a busy hub. */
  maxBytes: 5_000_000,
  /** Data rows after the header (blank rows not included). */
  maxRows: 20_000,
  maxColumns: 50,
  /** Characters in one cell; longer cells make their row a problem. */
  maxCellLength: 1_000,
} as const;
