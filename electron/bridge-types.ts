/**
 * The contract between preload.ts (window.larder) and the renderer. Types only, no runtime
 * imports, so the renderer can `import type { LarderBridge } from '../electron/bridge-types'`
 * without pulling Electron into its bundle. ipc-schemas.ts checks its zod schemas against these.
 */

/** A save/open dialog filter, e.g. `{ name: 'Larder backup', extensions: ['larder'] }`. */
export interface FileFilter {
  name: string;
  /** Without the dot; `'*'` for all files. */
  extensions: string[];
}

export interface SaveFileRequest {
  /** A plain file name (no folders); the dialog opens in the user's Documents folder. */
  suggestedName: string;
  data: Uint8Array;
  filters?: FileFilter[];
}

/** `saved: false` when the person cancelled the dialog. */
export interface SaveFileResult {
  saved: boolean;
  path?: string;
}

export interface OpenFileRequest {
  filters?: FileFilter[];
}

export interface OpenedFile {
  /** File name only, never the full path. */
  name: string;
  data: Uint8Array;
}

export interface LarderBridge {
  readonly platform: 'electron';
  saveFile(request: SaveFileRequest): Promise<SaveFileResult>;
  /** Resolves to null when the person cancelled the dialog. */
  openFile(request?: OpenFileRequest): Promise<OpenedFile | null>;
}

/** What the preload adds to `window`; absent in the plain web build. */
export interface LarderWindow {
  readonly larder?: LarderBridge;
}
