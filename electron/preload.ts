/**
 * The bridge: exposes window.larder with named functions only. ipcRenderer itself never crosses
 * into the page, so page code can reach no channel but these. Runs sandboxed, built to
 * CommonJS (dist-electron/preload.cjs); keep it free of dependencies besides 'electron'.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type {
  LarderBridge,
  OpenedFile,
  OpenFileRequest,
  SaveFileRequest,
  SaveFileResult,
  SyncDiscoverRequest,
  SyncDiscoverResult,
  SyncHostStartRequest,
  SyncHostStatus,
  SyncServersRequest,
  SyncServersResult,
  SecretOpenRequest,
  SecretSealRequest,
} from './bridge-types';
import { IPC_CHANNELS } from './ipc-channels';

const api = {
  platform: 'electron',
  saveFile: (request: SaveFileRequest): Promise<SaveFileResult> =>
    ipcRenderer.invoke(IPC_CHANNELS.saveFile, request),
  openFile: (request: OpenFileRequest = {}): Promise<OpenedFile | null> =>
    ipcRenderer.invoke(IPC_CHANNELS.openFile, request),
  allowSyncServers: (request: SyncServersRequest): Promise<SyncServersResult> =>
    ipcRenderer.invoke(IPC_CHANNELS.syncServers, request),
  hostSync: {
    start: (request: SyncHostStartRequest = {}): Promise<SyncHostStatus> =>
      ipcRenderer.invoke(IPC_CHANNELS.syncHostStart, request),
    stop: (): Promise<SyncHostStatus> => ipcRenderer.invoke(IPC_CHANNELS.syncHostStop),
    status: (): Promise<SyncHostStatus> => ipcRenderer.invoke(IPC_CHANNELS.syncHostStatus),
    discover: (request: SyncDiscoverRequest = {}): Promise<SyncDiscoverResult> =>
      ipcRenderer.invoke(IPC_CHANNELS.syncDiscover, request),
  },
  secrets: {
    seal: (request: SecretSealRequest): Promise<string | null> =>
      ipcRenderer.invoke(IPC_CHANNELS.secretSeal, request),
    open: (request: SecretOpenRequest): Promise<string> =>
      ipcRenderer.invoke(IPC_CHANNELS.secretOpen, request),
  },
} satisfies LarderBridge;

contextBridge.exposeInMainWorld('larder', api);
