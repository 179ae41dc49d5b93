/**
 * IPC handlers behind window.larder. Each handler first checks who is asking (the app's own
 * top-level page, nothing else) and then parses the payload, so a compromised or foreign frame
 * gets an error instead of a file dialog.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, safeStorage } from 'electron';
import type { IpcMainInvokeEvent, OpenDialogOptions, SaveDialogOptions } from 'electron';
import type {
  OpenedFile,
  SaveFileResult,
  SyncDiscoverResult,
  SyncHostStatus,
  SyncServersResult,
} from './bridge-types';
import { IPC_CHANNELS } from './ipc-channels';
import {
  emptyRequestSchema,
  MAX_FILE_BYTES,
  openFileRequestSchema,
  parseIpcPayload,
  saveFileRequestSchema,
  secretOpenRequestSchema,
  secretSealRequestSchema,
  syncDiscoverRequestSchema,
  syncHostStartRequestSchema,
  syncServersRequestSchema,
} from './ipc-schemas';
import type { SyncHost } from './signaling/host';
import { openSecret, sealSecret } from './secrets';
import type { SyncServerAllowList } from './sync-servers';
import { isAppUrl } from './security';
import type { AppOrigin } from './security';

export function registerIpcHandlers(
  appOrigin: AppOrigin,
  syncHost: SyncHost,
  syncServers: SyncServerAllowList,
): void {
  ipcMain.handle(IPC_CHANNELS.saveFile, async (event, payload: unknown): Promise<SaveFileResult> => {
    assertTrustedSender(event, appOrigin);
    const request = parseIpcPayload(saveFileRequestSchema, IPC_CHANNELS.saveFile, payload);
    const options: SaveDialogOptions = {
      defaultPath: path.join(app.getPath('documents'), request.suggestedName),
      ...(request.filters ? { filters: request.filters } : {}),
    };
    const parent = BrowserWindow.fromWebContents(event.sender);
    const choice = parent
      ? await dialog.showSaveDialog(parent, options)
      : await dialog.showSaveDialog(options);
    if (choice.canceled || !choice.filePath) return { saved: false };
    await writeFile(choice.filePath, request.data);
    return { saved: true, path: choice.filePath };
  });

  ipcMain.handle(IPC_CHANNELS.openFile, async (event, payload: unknown): Promise<OpenedFile | null> => {
    assertTrustedSender(event, appOrigin);
    // The preload always sends an object; tolerate a bare call from older renderer code.
    const request = parseIpcPayload(openFileRequestSchema, IPC_CHANNELS.openFile, payload ?? {});
    const options: OpenDialogOptions = {
      properties: ['openFile'],
      ...(request.filters ? { filters: request.filters } : {}),
    };
    const parent = BrowserWindow.fromWebContents(event.sender);
    const choice = parent
      ? await dialog.showOpenDialog(parent, options)
      : await dialog.showOpenDialog(options);
    const filePath = choice.filePaths[0];
    if (choice.canceled || filePath === undefined) return null;

    const { size } = await stat(filePath);
    if (size > MAX_FILE_BYTES) {
      const megabytes = Math.ceil(size / (1024 * 1024));
      throw new Error(
        `${path.basename(filePath)} is ${megabytes} MB; Larder opens files up to ${MAX_FILE_BYTES / (1024 * 1024)} MB.`,
      );
    }
    const contents = await readFile(filePath);
    return { name: path.basename(filePath), data: ownBytes(contents) };
  });

  // "Host sync on this computer": a signaling server on every interface (the LAN), port 4444 by
  // default. It relays only y-webrtc's encrypted signaling; main.ts stops it on quit.
  ipcMain.handle(IPC_CHANNELS.syncHostStart, (event, payload: unknown): Promise<SyncHostStatus> => {
    assertTrustedSender(event, appOrigin);
    const request = parseIpcPayload(syncHostStartRequestSchema, IPC_CHANNELS.syncHostStart, payload ?? {});
    return syncHost.start(request);
  });

  ipcMain.handle(IPC_CHANNELS.syncHostStop, (event, payload: unknown): Promise<SyncHostStatus> => {
    assertTrustedSender(event, appOrigin);
    parseIpcPayload(emptyRequestSchema, IPC_CHANNELS.syncHostStop, payload ?? {});
    return syncHost.stop();
  });

  ipcMain.handle(IPC_CHANNELS.syncHostStatus, (event, payload: unknown): SyncHostStatus => {
    assertTrustedSender(event, appOrigin);
    parseIpcPayload(emptyRequestSchema, IPC_CHANNELS.syncHostStatus, payload ?? {});
    return syncHost.status();
  });

  ipcMain.handle(IPC_CHANNELS.syncDiscover, async (event, payload: unknown): Promise<SyncDiscoverResult> => {
    assertTrustedSender(event, appOrigin);
    const request = parseIpcPayload(syncDiscoverRequestSchema, IPC_CHANNELS.syncDiscover, payload ?? {});
    return { urls: await syncHost.discover(request) };
  });

  // The renderer's sync servers: the only WebSocket hosts the CSP of its next page allows.
  ipcMain.handle(IPC_CHANNELS.syncServers, async (event, payload: unknown): Promise<SyncServersResult> => {
    assertTrustedSender(event, appOrigin);
    const request = parseIpcPayload(syncServersRequestSchema, IPC_CHANNELS.syncServers, payload);
    return { reload: await syncServers.set(request.urls) };
  });

  // The network key at rest: sealed with the computer's keychain, so a copied profile does not carry it.
  ipcMain.handle(IPC_CHANNELS.secretSeal, (event, payload: unknown): string | null => {
    assertTrustedSender(event, appOrigin);
    const request = parseIpcPayload(secretSealRequestSchema, IPC_CHANNELS.secretSeal, payload);
    return sealSecret(safeStorage, process.platform, request.text);
  });

  ipcMain.handle(IPC_CHANNELS.secretOpen, (event, payload: unknown): string => {
    assertTrustedSender(event, appOrigin);
    const request = parseIpcPayload(secretOpenRequestSchema, IPC_CHANNELS.secretOpen, payload);
    return openSecret(safeStorage, process.platform, request.sealed);
  });
}

/**
 * Only the app's own top-level document may use the bridge. senderFrame is null when the frame
 * navigated or was destroyed after sending, and then we cannot tell who asked.
 */
function assertTrustedSender(event: IpcMainInvokeEvent, appOrigin: AppOrigin): void {
  const frame = event.senderFrame;
  if (!frame || frame.parent !== null || !isAppUrl(frame.url, appOrigin)) {
    throw new Error('Refused: this request did not come from the Larder window.');
  }
}

/**
 * IPC copies a typed array's whole underlying ArrayBuffer; if a Buffer is a slice of a larger
 * allocation, copy just its bytes so nothing else in that memory reaches the renderer.
 */
function ownBytes(buffer: Buffer): Uint8Array {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) {
    return new Uint8Array(buffer.buffer, 0, buffer.byteLength);
  }
  return new Uint8Array(buffer);
}
