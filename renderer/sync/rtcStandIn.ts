import type { FromLender, RtcMethod, RtcState, ToLender } from './rtcLender';

/**
 * WebRTC in a Worker, lent by the page (rtcLender.ts; docs/worker.md, step 3): a stand-in for
 * `RTCPeerConnection` that asks the page for each offer, answer, description and candidate, keeps the state
 * the page sends with each, and calls its `on…` handlers as the page tells of events. What simple-peer (y-webrtc's
 * transport) needs of a connection, given as its `wrtc` option: `rtcOverPort(port)`.
 *
 * A data channel the Worker makes is made on the page and handed over a moment later; until then the stand-in
 * returned (`LentChannel`) is "connecting" and keeps what is set on it. A channel the peer makes arrives handed
 * over already: the real `RTCDataChannel`, used as it is.
 */

type Handler = ((event: unknown) => void) | null;

const CLOSED_STATE: RtcState = {
  signalingState: 'closed',
  iceConnectionState: 'closed',
  iceGatheringState: 'complete',
  connectionState: 'closed',
  localDescription: null,
  remoteDescription: null,
};

const INITIAL_STATE: RtcState = {
  signalingState: 'stable',
  iceConnectionState: 'new',
  iceGatheringState: 'new',
  connectionState: 'new',
  localDescription: null,
  remoteDescription: null,
};

/** A description as simple-peer makes one (`new wrtc.RTCSessionDescription(data)`): its fields, copied. */
class SessionDescription {
  readonly type: RTCSdpType;
  readonly sdp: string;
  constructor(init: RTCSessionDescriptionInit) {
    this.type = init.type;
    this.sdp = init.sdp ?? '';
  }
}

/** A candidate as simple-peer makes one (`new wrtc.RTCIceCandidate(candidate)`): its fields, copied. */
class IceCandidate {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
  readonly usernameFragment: string | null;
  constructor(init: RTCIceCandidateInit) {
    this.candidate = init.candidate ?? '';
    this.sdpMid = init.sdpMid ?? null;
    this.sdpMLineIndex = init.sdpMLineIndex ?? null;
    this.usernameFragment = init.usernameFragment ?? null;
  }
}

/** A data channel made by the Worker: on the page until it is handed over, then that channel. */
export class LentChannel {
  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;
  onbufferedamountlow: Handler = null;
  private real: RTCDataChannel | null = null;
  private closed = false;
  private settings: { binaryType: BinaryType; bufferedAmountLowThreshold: number } = {
    binaryType: 'arraybuffer',
    bufferedAmountLowThreshold: 0,
  };

  constructor(readonly label: string) {}

  get readyState(): RTCDataChannelState {
    if (this.real) return this.real.readyState;
    return this.closed ? 'closed' : 'connecting';
  }

  get bufferedAmount(): number {
    return this.real?.bufferedAmount ?? 0;
  }

  get binaryType(): BinaryType {
    return this.real?.binaryType ?? this.settings.binaryType;
  }

  set binaryType(value: BinaryType) {
    this.settings.binaryType = value;
    if (this.real) this.real.binaryType = value;
  }

  get bufferedAmountLowThreshold(): number {
    return this.real?.bufferedAmountLowThreshold ?? this.settings.bufferedAmountLowThreshold;
  }

  set bufferedAmountLowThreshold(value: number) {
    this.settings.bufferedAmountLowThreshold = value;
    if (this.real) this.real.bufferedAmountLowThreshold = value;
  }

  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void {
    if (!this.real) throw new DOMException('The data channel is not open yet', 'InvalidStateError');
    this.real.send(data as ArrayBuffer);
  }

  close(): void {
    this.closed = true;
    this.real?.close();
  }

  /** The page's channel, handed over: from now on this is that channel. */
  bind(real: RTCDataChannel): void {
    this.real = real;
    real.binaryType = this.settings.binaryType;
    real.bufferedAmountLowThreshold = this.settings.bufferedAmountLowThreshold;
    real.onopen = (e) => this.onopen?.(e);
    real.onmessage = (e) => this.onmessage?.(e);
    real.onclose = (e) => this.onclose?.(e);
    real.onerror = (e) => this.onerror?.(e);
    real.onbufferedamountlow = (e) => this.onbufferedamountlow?.(e);
    if (this.closed) real.close();
  }
}

/** What `rtcOverPort` gives: the classes simple-peer takes as its `wrtc` option. */
export interface LentRtc {
  RTCPeerConnection: new (config?: RTCConfiguration) => LentPeerConnection;
  RTCSessionDescription: typeof SessionDescription;
  RTCIceCandidate: typeof IceCandidate;
}

/** The connections of one port, by number, and the calls waiting for the page. */
class Lending {
  private next = 0;
  private nextCall = 0;
  readonly connections = new Map<number, LentPeerConnection>();
  readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly port: MessagePort) {
    port.addEventListener('message', (e) => this.heard(e.data as FromLender));
    port.start();
  }

  id(): number {
    return ++this.next;
  }

  send(message: ToLender): void {
    this.port.postMessage(message);
  }

  call(pc: number, method: RtcMethod, args: unknown[]): Promise<unknown> {
    const call = ++this.nextCall;
    return new Promise((resolve, reject) => {
      this.calls.set(call, { resolve, reject });
      this.send({ op: 'call', pc, call, method, args });
    });
  }

  private heard(m: FromLender): void {
    const pc = this.connections.get(m.pc);
    if ('answer' in m) {
      if (pc && m.state) pc.takeState(m.state);
      const waiting = this.calls.get(m.answer);
      this.calls.delete(m.answer);
      if ('error' in m) {
        const error = new Error(m.error.message);
        error.name = m.error.name;
        waiting?.reject(error);
      } else waiting?.resolve(m.value);
      return;
    }
    if (!pc) return;
    pc.heard(m);
  }
}

/** A stand-in for `RTCPeerConnection` in a Worker: the page's connection, asked and told over the port. */
export class LentPeerConnection {
  onicecandidate: Handler = null;
  onsignalingstatechange: Handler = null;
  oniceconnectionstatechange: Handler = null;
  onicegatheringstatechange: Handler = null;
  onconnectionstatechange: Handler = null;
  ondatachannel: Handler = null;
  ontrack: Handler = null;
  private state: RtcState = INITIAL_STATE;
  private readonly id: number;
  private readonly channels = new Map<number, LentChannel>();

  constructor(
    private readonly lending: Lending,
    config: RTCConfiguration = {},
  ) {
    this.id = lending.id();
    lending.connections.set(this.id, this);
    lending.send({ op: 'open', pc: this.id, config });
  }

  get signalingState(): RTCSignalingState {
    return this.state.signalingState;
  }
  get iceConnectionState(): RTCIceConnectionState {
    return this.state.iceConnectionState;
  }
  get iceGatheringState(): RTCIceGatheringState {
    return this.state.iceGatheringState;
  }
  get connectionState(): RTCPeerConnectionState {
    return this.state.connectionState;
  }
  get localDescription(): RTCSessionDescriptionInit | null {
    return this.state.localDescription;
  }
  get remoteDescription(): RTCSessionDescriptionInit | null {
    return this.state.remoteDescription;
  }

  createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    return this.lending.call(
      this.id,
      'createOffer',
      options ? [options] : [],
    ) as Promise<RTCSessionDescriptionInit>;
  }
  createAnswer(options?: RTCAnswerOptions): Promise<RTCSessionDescriptionInit> {
    return this.lending.call(
      this.id,
      'createAnswer',
      options ? [options] : [],
    ) as Promise<RTCSessionDescriptionInit>;
  }
  async setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    await this.lending.call(this.id, 'setLocalDescription', description ? [{ ...description }] : []);
  }
  async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    await this.lending.call(this.id, 'setRemoteDescription', [
      { type: description.type, sdp: description.sdp },
    ]);
  }
  async addIceCandidate(candidate?: RTCIceCandidateInit): Promise<void> {
    await this.lending.call(this.id, 'addIceCandidate', candidate ? [{ ...candidate }] : []);
  }
  /** The page's report, as a map of its stats by id (as `RTCStatsReport` is). No arguments: the standard form. */
  async getStats(): Promise<Map<string, RTCStats>> {
    const values = (await this.lending.call(this.id, 'getStats', [])) as RTCStats[];
    return new Map(values.map((s) => [s.id, s]));
  }

  createDataChannel(label: string, init: RTCDataChannelInit = {}): LentChannel {
    const channel = new LentChannel(label);
    const id = this.lending.id();
    this.channels.set(id, channel);
    this.lending.send({ op: 'channel', pc: this.id, channel: id, label, init });
    return channel;
  }

  close(): void {
    if (this.state.signalingState === 'closed') return;
    this.state = CLOSED_STATE;
    for (const channel of this.channels.values()) channel.close();
    this.lending.send({ op: 'close', pc: this.id });
    this.lending.connections.delete(this.id);
  }

  /** The state the page sent, and the handlers of what changed in it. */
  takeState(next: RtcState): void {
    if (this.state.signalingState === 'closed') return;
    const before = this.state;
    this.state = next;
    if (next.signalingState !== before.signalingState)
      this.onsignalingstatechange?.({ type: 'signalingstatechange' });
    if (next.iceGatheringState !== before.iceGatheringState)
      this.onicegatheringstatechange?.({ type: 'icegatheringstatechange' });
    if (next.iceConnectionState !== before.iceConnectionState)
      this.oniceconnectionstatechange?.({ type: 'iceconnectionstatechange' });
    if (next.connectionState !== before.connectionState)
      this.onconnectionstatechange?.({ type: 'connectionstatechange' });
  }

  heard(m: Exclude<FromLender, { answer: number }>): void {
    switch (m.event) {
      case 'icecandidate':
        this.takeState(m.state);
        return this.onicecandidate?.({
          type: 'icecandidate',
          candidate: m.candidate && new IceCandidate(m.candidate),
        });
      case 'statechange':
        return this.takeState(m.state);
      case 'datachannel':
        this.takeState(m.state);
        return this.ondatachannel?.({ type: 'datachannel', channel: m.channel });
      case 'channel': {
        const channel = this.channels.get(m.id);
        if (channel) channel.bind(m.channel);
        else m.channel.close();
      }
    }
  }
}

/** The `wrtc` option for simple-peer in a Worker: connections lent by the page at the other end of `port`. */
export function rtcOverPort(port: MessagePort): LentRtc {
  const lending = new Lending(port);
  return {
    RTCPeerConnection: class extends LentPeerConnection {
      constructor(config?: RTCConfiguration) {
        super(lending, config);
      }
    },
    RTCSessionDescription: SessionDescription,
    RTCIceCandidate: IceCandidate,
  };
}
