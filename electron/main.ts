/**
 * Electron entry: wires the scheme, the hardening and the IPC handlers, then opens one window.
 * Policy lives in security.ts, the hooks in harden.ts, the handlers in ipc.ts.
 */
import path from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import { registerAppScheme, serveAppProtocol } from './app-protocol';
import { hardenSession, hardenWebContents } from './harden';
import { registerIpcHandlers } from './ipc';
import { APP_ENTRY_URL, devServerOrigin, PACKAGED_APP_ORIGIN } from './security';
import { SyncHost } from './signaling/host';
import { SyncServerAllowList } from './sync-servers';

// Set by vite-plugin-electron in `vite serve`. Ignored in packaged builds, so an environment
// variable can never point the installed app at another page.
const devServerUrl = app.isPackaged ? undefined : process.env.VITE_DEV_SERVER_URL;
const devOrigin = devServerUrl ? devServerOrigin(devServerUrl) : null;
if (devServerUrl && !devOrigin) {
  throw new Error(`VITE_DEV_SERVER_URL must be http on localhost or 127.0.0.1, got ${devServerUrl}`);
}
const appOrigin = devOrigin ?? PACKAGED_APP_ORIGIN;

// The LAN signaling server behind "Host sync on this computer"; its log has counts only.
const syncHost = new SyncHost({ log: (line) => console.log(`[sync host] ${line}`) });

// Before 'ready': scheme privileges and the renderer sandbox can only be set this early.
registerAppScheme();
app.enableSandbox();

// One instance per profile: two would fight over the same IndexedDB ledger.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    const [window] = BrowserWindow.getAllWindows();
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, appOrigin));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  // Close the signaling server (and send mDNS goodbyes) before exiting, so the port is freed
  // and other hubs stop trying it at once. Bounded: quitting never waits more than 3 s.
  let syncHostStopped = false;
  app.on('will-quit', (event) => {
    if (syncHostStopped || !syncHost.status().running) return;
    event.preventDefault();
    syncHostStopped = true;
    const timeout = new Promise((resolve) => setTimeout(resolve, 3000));
    void Promise.race([syncHost.stop(), timeout])
      .catch(() => undefined)
      .finally(() => app.quit());
  });
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
  void app.whenReady().then(async () => {
    // The sync servers the CSP allows, kept in the profile folder from one launch to the next.
    const syncServers = new SyncServerAllowList(path.join(app.getPath('userData'), 'sync-servers.json'));
    hardenSession(session.defaultSession, appOrigin, devOrigin !== null, syncServers);
    serveAppProtocol(path.join(app.getAppPath(), 'dist'), syncServers);
    registerIpcHandlers(appOrigin, syncHost, syncServers);
    await createWindow();
  });
}

async function createWindow(): Promise<void> {
  const window = new BrowserWindow({
    width: 1200,
    height: 800,
    minWidth: 480,
    minHeight: 400,
    title: 'Larder',
    show: false,
    webPreferences: {
      // app.getAppPath() is the folder (or app.asar) holding package.json, in dev and packaged.
      preload: path.join(app.getAppPath(), 'dist-electron', 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      // There is no `enableRemoteModule`: @electron/remote was removed from Electron in v14.
    },
  });
  window.once('ready-to-show', () => window.show());
  await window.loadURL(devServerUrl ?? APP_ENTRY_URL);
}
