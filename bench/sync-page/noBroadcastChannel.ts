/**
 * Experiment `no-bc` of bench/sync.ts (off by default): stands in for lib0/broadcastchannel in y-webrtc
 * only, so y-webrtc talks to no other tab. Larder lets one tab hold a device's database (a Web Lock), so
 * there is never another tab to talk to; what this removes is the cost of talking to itself (see
 * docs/benchmarks-sync.md).
 */
export const subscribe = <F>(_room: string, f: F): F => f;
export const unsubscribe = (_room: string, _f: unknown): boolean => true;
export const publish = (_room: string, _data: unknown, _origin: unknown = null): void => undefined;
