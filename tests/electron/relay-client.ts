/** A bare client of the relay's protocol for tests: speaks it frame by frame, and can break it on purpose. */
import { WebSocket } from 'ws';
import {
  blobHash,
  blobMessage,
  deriveRelayKeys,
  proveRead,
  RELAY_PROTOCOL,
  statementMessage,
  statementPayload,
  type RelayKeys,
  type ServerMessage,
  type Statement,
} from '../../shared/sync/relay';
import { generateDeviceKeys, sign, type DeviceKeys } from '../../shared/trust/crypto';
import { networkIdOf } from '../../shared/trust/members';

export const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

export interface TestNetwork {
  networkKey: Uint8Array;
  keys: RelayKeys;
  anchor: DeviceKeys;
  anchorId: string;
}

export async function testNetwork(): Promise<TestNetwork> {
  const networkKey = random(32);
  const anchor = await generateDeviceKeys(random);
  return {
    networkKey,
    keys: await deriveRelayKeys(networkKey),
    anchor,
    anchorId: networkIdOf(anchor.publicKey),
  };
}

export class RawClient {
  readonly messages: ServerMessage[] = [];
  private readonly waiters: (() => void)[] = [];
  private nextId = 1;
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString('utf8')) as ServerMessage);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
  }

  static async open(url: string): Promise<RawClient> {
    const socket = new WebSocket(url);
    // Listening from the start: the challenge can come in the same read as the handshake's answer.
    const client = new RawClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** Waits until a message matching `test` arrives (or the socket closes: then null). */
  async until<T extends ServerMessage>(
    test: (m: ServerMessage) => m is T,
    timeoutMs = 30_000,
  ): Promise<T | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(test);
      if (found) {
        this.messages.splice(this.messages.indexOf(found), 1);
        return found;
      }
      if (this.closed) return null;
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  async closedWith(timeoutMs = 30_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the relay did not close the connection');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return this.closed;
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  send(message: object): void {
    this.socket.send(JSON.stringify(message));
  }

  async challenge(): Promise<string> {
    const c = await this.until(
      (m): m is Extract<ServerMessage, { type: 'challenge' }> => m.type === 'challenge',
    );
    if (!c) throw new Error('no challenge');
    return c.nonce;
  }

  /** Proves the read key and opens (or creates) the network's mailbox. */
  async hello(net: TestNetwork, options: { anchorKey?: string | null; anchorId?: string } = {}) {
    const nonce = await this.challenge();
    const anchor = options.anchorId ?? net.anchorId;
    const anchorKey = options.anchorKey === undefined ? net.anchor.publicKey : options.anchorKey;
    this.send({
      type: 'hello',
      protocol: RELAY_PROTOCOL,
      read: net.keys.readKey,
      anchor,
      proof: proveRead(net.keys, nonce, anchor),
      ...(anchorKey ? { anchorKey } : {}),
    });
    return this.until((m): m is Extract<ServerMessage, { type: 'welcome' }> => m.type === 'welcome');
  }

  async request(message: object): Promise<ServerMessage | null> {
    const id = this.nextId++;
    this.send({ ...message, id });
    return this.until((m): m is ServerMessage => 'id' in m && m.id === id);
  }

  async upload(
    mailbox: string,
    device: DeviceKeys,
    seq: number,
    blob: Uint8Array,
    signer: DeviceKeys = device,
  ) {
    const sig = await sign(signer.privateKey, blobMessage(mailbox, device.publicKey, seq, blobHash(blob)));
    return this.request({
      type: 'upload',
      key: device.publicKey,
      seq,
      blob: Buffer.from(blob).toString('base64url'),
      sig,
    });
  }

  async state(mailbox: string, by: DeviceKeys, s: Omit<Statement, 't' | 'mailbox'>) {
    const p = statementPayload({ t: 'relay-member', mailbox, ...s });
    const signed = { p, by: by.publicKey, s: await sign(by.privateKey, statementMessage(p)) };
    return this.request({ type: 'members', statements: [signed] });
  }

  close(): void {
    this.socket.terminate();
  }
}
