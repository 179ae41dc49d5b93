import type { WebrtcProvider } from 'y-webrtc';
import * as Y from 'yjs';
import { z } from 'zod';
import { lazySchema } from '../../shared/lazy';
import { deriveSecrets } from '../../shared/sync/keys';
import { topicAuthAhead } from '../../shared/sync/roomAuth';
import { MAX_CATCH_UP_CHARS, type CatchUpMaterial } from '../../shared/trust/catchUp';
import { holdNoDoc } from './guardedSync';

/**
 * After a key rotation the remaining devices move to the new key's room; a device that was away still
 * holds the old key and would look for them in the old room forever. So, for a bounded time after each
 * rotation (CATCH_UP_WINDOW_MS, at most MAX_CATCH_UP_ROTATIONS earlier keys), each remaining device also
 * waits in the rooms of the keys it held before, offering there only the catch-up material
 * (shared/trust/catchUp.ts) in its presence, and never the doc:
 *
 * - its doc in that room is an empty one marked `holdNoDoc`: it sends no state vector (so no peer answers
 *   with its own doc), and reads nothing a peer sends, so the revoked device, which is in that room too,
 *   gets no entry and can push nothing;
 * - a device that was away finds the material in its peers' presence, walks to the current key with its
 *   own sealed copy (LarderStore.catchUpFrom) and moves to the new room; the revoked device finds nothing
 *   sealed to it;
 * - a connection to such a waiting device is marked catch-up only (guardedSync.ts), and is not counted as
 *   a connected device: the revoked device still shows Offline.
 *
 * Signaling connections are shared with the main room (y-webrtc keeps one per server), so waiting costs a
 * topic per earlier key on each server, and WebRTC connections only when someone else is in that room.
 */

/** WebRTC connections per earlier key's room: enough for a few devices that were away at once. */
const MAX_CONNS = 6;

/** The presence field the material travels in (beside `larder`, the device's own presence). */
export const CATCH_UP_FIELD = 'larderCatchUp';

export class CatchUpRooms {
  private readonly providers: WebrtcProvider[] = [];

  /** `peerOpts`: simple-peer's options besides the ICE servers (its `wrtc` in a Worker: rtcStandIn.ts). */
  constructor(private readonly peerOpts: Record<string, unknown> = {}) {}
  /** Advanced by each start and stop: a start overtaken by either (a quick second rotation) gives up. */
  private generation = 0;

  /** Joins the room of each earlier key, offering `material` there. */
  async start(
    rooms: readonly { epoch: number; key: Uint8Array }[],
    material: CatchUpMaterial | null,
    signaling: readonly string[],
  ): Promise<void> {
    const generation = ++this.generation;
    if (!material || rooms.length === 0) return;
    const { WebrtcProvider } = await import('y-webrtc');
    if (generation !== this.generation) return;
    for (const { key } of rooms) {
      const secrets = await deriveSecrets(key);
      const topicAuth = await topicAuthAhead(key);
      if (generation !== this.generation) return;
      const doc = new Y.Doc();
      holdNoDoc(doc);
      let provider: WebrtcProvider;
      try {
        provider = new WebrtcProvider(secrets.room, doc, {
          signaling: [...signaling],
          password: secrets.webrtcPassword,
          maxConns: MAX_CONNS,
          peerOpts: { ...this.peerOpts, config: { iceServers: [] } },
          topicAuth,
        });
      } catch (error) {
        // y-webrtc allows one provider per room name in a page: the room of a key still being left.
        console.warn('Larder: could not wait in an earlier key’s room', error);
        doc.destroy();
        continue;
      }
      provider.awareness.setLocalStateField(CATCH_UP_FIELD, material);
      this.providers.push(provider);
    }
  }

  /** A new day moves each room to its topics, as the main room (webrtc.ts). */
  refreshTopics(): void {
    for (const provider of this.providers) provider.refreshTopics();
  }

  stop(): void {
    this.generation += 1;
    for (const provider of this.providers) {
      provider.disconnect();
      provider.destroy();
      provider.doc.destroy();
    }
    this.providers.length = 0;
  }

  get size(): number {
    return this.providers.length;
  }
}

const offeredSchema = lazySchema(() => z.object({ [CATCH_UP_FIELD]: z.unknown() }));

/**
 * The catch-up material a peer's presence offers, as it came (walkToCurrentKey checks it), or null.
 * A presence of more than MAX_CATCH_UP_CHARS is not looked at.
 */
export function offeredCatchUp(state: unknown): { material: unknown; text: string } | null {
  const parsed = offeredSchema.safeParse(state);
  if (!parsed.success || parsed.data[CATCH_UP_FIELD] === undefined) return null;
  let text: string;
  try {
    text = JSON.stringify(parsed.data[CATCH_UP_FIELD]);
  } catch {
    return null;
  }
  if (typeof text !== 'string' || text.length > MAX_CATCH_UP_CHARS) return null;
  return { material: parsed.data[CATCH_UP_FIELD], text };
}
