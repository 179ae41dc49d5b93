import type { LarderWindow } from '../../electron/bridge-types';

/**
 * Saving a file, behind one interface with two variants: the native dialog through the preload bridge
 * in Electron, a download in a plain browser (Chromebooks, phones, the tests).
 */
export interface FileService {
  /** Resolves to a short description of where it went, or null if the person cancelled. */
  save(
    name: string,
    bytes: Uint8Array,
    filter: { name: string; extensions: string[] },
    /** For the browser download; the native dialog does not need it. */
    mime?: string,
  ): Promise<string | null>;
}

const electronFiles: FileService = {
  async save(name, bytes, filter) {
    const bridge = (window as LarderWindow).larder!;
    const result = await bridge.saveFile({ suggestedName: name, data: bytes, filters: [filter] });
    return result.saved ? (result.path ?? name) : null;
  },
};

const webFiles: FileService = {
  async save(name, bytes, _filter, mime = 'application/octet-stream') {
    const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mime }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    return `Downloads (${name})`;
  },
};

export function fileService(): FileService {
  return (window as LarderWindow).larder ? electronFiles : webFiles;
}

export async function readPickedFile(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}
