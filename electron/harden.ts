/**
 * Electron's security checklist, applied to every web contents and to the session. The rules
 * themselves live in security.ts (pure, table-tested); this file only plugs them into Electron.
 */
import { shell } from 'electron';
import type { Session, WebContents } from 'electron';
import { devContentSecurityPolicy, isAppUrl, permissionAllowed, safeExternalUrl } from './security';
import type { AppOrigin } from './security';
import type { SyncServerAllowList } from './sync-servers';

/** For app.on('web-contents-created'): covers the main window and anything created later. */
export function hardenWebContents(contents: WebContents, appOrigin: AppOrigin): void {
  // The app is a single page: any navigation away from it is either a bug or an attack.
  const blockForeign = (event: { url: string; preventDefault(): void }) => {
    if (!isAppUrl(event.url, appOrigin)) event.preventDefault();
  };
  contents.on('will-navigate', blockForeign);
  contents.on('will-frame-navigate', blockForeign);
  contents.on('will-redirect', blockForeign);

  // No new Electron windows ever. An https link (help page, project site) opens in the system
  // browser instead; everything else is dropped.
  contents.setWindowOpenHandler(({ url }) => {
    const external = safeExternalUrl(url);
    if (external) void shell.openExternal(external);
    return { action: 'deny' };
  });

  // webviewTag is off in webPreferences; this also stops one created by other means.
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

export function hardenSession(
  session: Session,
  appOrigin: AppOrigin,
  devMode: boolean,
  syncServers: SyncServerAllowList,
): void {
  session.setPermissionRequestHandler((_contents, permission, callback, details) => {
    const mediaTypes = 'mediaTypes' in details ? (details.mediaTypes ?? []) : [];
    callback(permissionAllowed(permission, { ...details, mediaTypes }, appOrigin));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin, details) =>
    permissionAllowed(
      permission,
      {
        requestingUrl: details.requestingUrl ?? requestingOrigin,
        isMainFrame: details.isMainFrame,
        mediaTypes: details.mediaType ? [details.mediaType] : [],
      },
      appOrigin,
    ),
  );

  // Packaged builds get the CSP from the app:// handler. The Vite dev server sends none, so
  // add the dev variant to its documents here.
  if (devMode) {
    session.webRequest.onHeadersReceived((details, callback) => {
      if (!isAppUrl(details.url, appOrigin)) return callback({});
      callback({
        responseHeaders: {
          ...details.responseHeaders,
          'Content-Security-Policy': [
            devContentSecurityPolicy(syncServers.forResponse(details.resourceType === 'mainFrame')),
          ],
        },
      });
    });
  }
}
