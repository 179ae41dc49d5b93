/**
 * A raw `ws` client of the signaling server for tests (electron/signaling/server.ts): it keeps the
 * server's challenge apart and queues every other message, so a test can await one or assert that
 * nothing came. Topics are named by a label; each label stands for a network key of its own
 * (SHA-256 of the label), so `subscribe('room')` proves today's topic of that network.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { WebSocket } from 'ws';
import { proveTopic, topicKeyFor, utcDay, type TopicKey } from '../../shared/sync/roomAuth';

export type Message = Record<string, unknown>;

/** The network key a test label stands for. */
export const networkKeyOf = (label: string): Uint8Array => sha256(new TextEncoder().encode(label));

/** The topic key of a label's network for a day (today, UTC, by default). */
export const keyOf = (label: string, day = utcDay(Date.now())): TopicKey =>
  topicKeyFor(networkKeyOf(label), day);

/** The topic of a label's network for a day (today by default). */
export const topicOf = (label: string, day?: string): string => keyOf(label, day).topic;

export class Client {
  readonly received: Message[] = [];
  /** The server's challenge for this connection, once it came. */
  nonce: string | null = null;
  private waiters: Array<() => void> = [];
  closeCode: number | null = null;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as Message;
      if (message.type === 'challenge' && this.nonce === null && typeof message.nonce === 'string') {
        this.nonce = message.nonce;
      } else {
        this.received.push(message);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('close', (code) => {
      this.closeCode = code;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Opens a connection and waits for the server's challenge. */
  static async connect(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<Client> {
    const socket = new WebSocket(url, options);
    const client = new Client(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await client.until(() => client.nonce !== null, 10_000, 'no challenge from the server');
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Subscribes to the topics of these labels (or keys), each with its proof for this connection. */
  subscribe(...topics: Array<string | TopicKey>): void {
    const keys = topics.map((topic) => (typeof topic === 'string' ? keyOf(topic) : topic));
    this.send({
      type: 'subscribe',
      topics: keys.map((key) => key.topic),
      proofs: keys.map((key) => proveTopic(key, this.nonce ?? '')),
    });
  }

  /** Waits until a message matching `match` arrives and removes it from the queue. */
  async next(match: (message: Message) => boolean = () => true, timeoutMs = 10_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.received.findIndex(match);
      if (index >= 0) return this.received.splice(index, 1)[0] as Message;
      if (this.closeCode !== null) throw new Error(`connection closed (${this.closeCode})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching message within ${timeoutMs} ms`);
      await this.wait(left);
    }
  }

  /**
   * The server handles one connection's messages in order, so once the pong for a ping sent now is
   * back, everything sent before it has been processed (and relayed).
   */
  async sync(): Promise<void> {
    this.send({ type: 'ping' });
    await this.next((message) => message.type === 'pong');
  }

  async closed(timeoutMs = 15_000): Promise<number> {
    await this.until(() => this.closeCode !== null, timeoutMs, 'connection still open');
    return this.closeCode ?? -1;
  }

  close(): void {
    this.socket.terminate();
  }

  private async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.closeCode !== null) {
        if (condition()) return;
        throw new Error(`${what} within ${timeoutMs} ms`);
      }
      await this.wait(Math.min(left, 50));
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
