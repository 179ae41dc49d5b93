/** IPC channel names shared by preload.ts and ipc.ts; one place so they cannot drift apart. */
export const IPC_CHANNELS = {
  saveFile: 'larder:save-file',
  openFile: 'larder:open-file',
  syncHostStart: 'larder:sync-host-start',
  syncHostStop: 'larder:sync-host-stop',
  syncHostStatus: 'larder:sync-host-status',
  syncDiscover: 'larder:sync-discover',
  syncServers: 'larder:sync-servers',
  secretSeal: 'larder:secret-seal',
  secretOpen: 'larder:secret-open',
} as const;
