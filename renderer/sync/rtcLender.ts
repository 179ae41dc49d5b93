/**
 * The page's side of WebRTC for a Worker (docs/worker.md, step 3): a Worker has no `RTCPeerConnection`, so
 * the page makes the connections a Worker asks for over a port, runs their offers, answers and candidates as
 * it is asked, tells it of their events, and hands it each data channel in the task that made or received it
 * (Chromium lets a data channel move to a Worker then, and only then). From there the channel's messages go
 * between the Worker and the peer: the page is not in their path. The Worker's side is rtcStandIn.ts.
 *
 * The Worker is the app's own code, but a port's messages are still checked: an unknown connection or call is
 * answered with an error, never thrown on the page, and a Worker may hold at most MAX_CONNECTIONS.
 */

/** What a Worker may hold at once (a hub's peers are a few; a network's coordinator sees tens). */
export const MAX_CONNECTIONS = 256;

/** The state of a connection, sent with every answer and event. */
export interface RtcState {
  signalingState: RTCSignalingState;
  iceConnectionState: RTCIceConnectionState;
  iceGatheringState: RTCIceGatheringState;
  connectionState: RTCPeerConnectionState;
  localDescription: RTCSessionDescriptionInit | null;
  remoteDescription: RTCSessionDescriptionInit | null;
}

/** From the Worker. */
export type ToLender =
  | { op: 'open'; pc: number; config: RTCConfiguration }
  | { op: 'call'; pc: number; call: number; method: RtcMethod; args: unknown[] }
  | { op: 'channel'; pc: number; channel: number; label: string; init: RTCDataChannelInit }
  | { op: 'close'; pc: number };

/** The calls a Worker may make on a connection. */
export const RTC_METHODS = [
  'createOffer',
  'createAnswer',
  'setLocalDescription',
  'setRemoteDescription',
  'addIceCandidate',
  'getStats',
] as const;
export type RtcMethod = (typeof RTC_METHODS)[number];

/** To the Worker. */
export type FromLender =
  | { pc: number; answer: number; value: unknown; state: RtcState }
  | { pc: number; answer: number; error: { name: string; message: string }; state: RtcState | null }
  | { pc: number; event: 'icecandidate'; candidate: RTCIceCandidateInit | null; state: RtcState }
  | { pc: number; event: 'statechange'; state: RtcState }
  | { pc: number; event: 'datachannel'; channel: RTCDataChannel; state: RtcState }
  | { pc: number; event: 'channel'; id: number; channel: RTCDataChannel };

function stateOf(pc: RTCPeerConnection): RtcState {
  return {
    signalingState: pc.signalingState,
    iceConnectionState: pc.iceConnectionState,
    iceGatheringState: pc.iceGatheringState,
    connectionState: pc.connectionState,
    localDescription: pc.localDescription?.toJSON() ?? null,
    remoteDescription: pc.remoteDescription?.toJSON() ?? null,
  };
}

/** Lends WebRTC to the Worker at the other end of `port`; returns how to stop (its connections closed). */
export function lendRtc(port: MessagePort): () => void {
  const connections = new Map<number, RTCPeerConnection>();
  const send = (message: FromLender, transfer: Transferable[] = []) => port.postMessage(message, transfer);
  const refuse = (pc: number, answer: number, message: string) =>
    send({ pc, answer, error: { name: 'InvalidAccessError', message }, state: null });

  const open = (id: number, config: RTCConfiguration) => {
    if (connections.has(id) || connections.size >= MAX_CONNECTIONS) return;
    const pc = new RTCPeerConnection(config);
    connections.set(id, pc);
    pc.onicecandidate = (e) =>
      send({ pc: id, event: 'icecandidate', candidate: e.candidate?.toJSON() ?? null, state: stateOf(pc) });
    const changed = () => send({ pc: id, event: 'statechange', state: stateOf(pc) });
    pc.onsignalingstatechange = changed;
    pc.oniceconnectionstatechange = changed;
    pc.onicegatheringstatechange = changed;
    pc.onconnectionstatechange = changed;
    pc.ondatachannel = (e) =>
      send({ pc: id, event: 'datachannel', channel: e.channel, state: stateOf(pc) }, [
        e.channel as unknown as Transferable,
      ]);
  };

  const call = async (id: number, answer: number, method: RtcMethod, args: unknown[]) => {
    const pc = connections.get(id);
    if (!pc) return refuse(id, answer, `No connection ${id}`);
    try {
      const value = await (pc[method] as (...a: unknown[]) => Promise<unknown>).apply(pc, args);
      // A stats report is a map of plain objects: sent as its values, which structured clone can copy.
      const sent = method === 'getStats' ? [...(value as RTCStatsReport).values()] : value;
      send({ pc: id, answer, value: sent ?? null, state: stateOf(pc) });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
      send({ pc: id, answer, error: { name, message }, state: stateOf(pc) });
    }
  };

  const onMessage = (event: MessageEvent) => {
    const m = event.data as (Partial<ToLender> & { call?: unknown; method?: unknown }) | null;
    if (!m || typeof m.pc !== 'number') return;
    switch (m.op) {
      case 'open':
        return open(m.pc, (m.config ?? {}) as RTCConfiguration);
      case 'call':
        if (typeof m.call !== 'number') return;
        if (!RTC_METHODS.includes(m.method as RtcMethod))
          return refuse(m.pc, m.call, `No such call: ${String(m.method)}`);
        return void call(m.pc, m.call, m.method as RtcMethod, Array.isArray(m.args) ? m.args : []);
      case 'channel': {
        const pc = connections.get(m.pc);
        if (!pc || typeof m.channel !== 'number') return;
        const channel = pc.createDataChannel(String(m.label ?? ''), m.init ?? {});
        // Now, in the task that made it: Chromium refuses to move a channel later.
        return send({ pc: m.pc, event: 'channel', id: m.channel, channel }, [
          channel as unknown as Transferable,
        ]);
      }
      case 'close':
        connections.get(m.pc)?.close();
        connections.delete(m.pc);
    }
  };
  port.addEventListener('message', onMessage);
  port.start();
  return () => {
    port.removeEventListener('message', onMessage);
    for (const pc of connections.values()) pc.close();
    connections.clear();
  };
}
