/** IPC channel names shared by preload.ts and ipc.ts; one place so they cannot drift apart. */
export const IPC_CHANNELS = {
  saveFile: 'larder:save-file',
  openFile: 'larder:open-file',
} as const;
