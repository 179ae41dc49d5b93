/**
 * Stands in for lib0/broadcastchannel inside y-webrtc (see vite.config.ts). y-webrtc always connects a
 * BroadcastChannel to other tabs of the same browser and sends them the whole doc, encrypted, where it
 * is decrypted and applied again, seconds of work at a million entries. Larder lets one tab per device
 * hold the ledger (a Web Lock), so there is never another tab to talk to: these do nothing.
 */
export const subscribe = <T>(_room: string, f: (data: T, origin: unknown) => void): typeof f => f;

export const unsubscribe = <T>(_room: string, _f: (data: T, origin: unknown) => void): boolean => false;

export const publish = (_room: string, _data: unknown, _origin: unknown = null): void => undefined;
