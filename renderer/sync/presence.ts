import { z } from 'zod';
import { lazySchema } from '../../shared/lazy';
import { ID_PATTERN } from '../../shared/ids';

/**
 * Presence: what each connected device tells the others about itself over y-webrtc's awareness
 * protocol, shown on the sync screen. It comes from peers, so it is untrusted like everything else
 * they send: a peer whose device name is an object, a number or a megabyte of text must not reach
 * React (an object as a child throws and blanks the screen). Every state is parsed here first;
 * whatever does not fit is dropped, never shown.
 */

/** What this device tells its peers about itself: names for the sync screen, nothing else. */
export interface PeerInfo {
  device: string;
  deviceName: string;
  hub: string | null;
  /**
   * The device's id in the sync room (y-webrtc's peer id), so a peer is listed while its connection is
   * heard (heartbeat.ts) rather than until its presence expires, up to 30 s after it went away. Older
   * versions do not send it; they are listed by how fresh their presence is.
   */
  peer?: string;
}

/** As a device's name in the doc: 1 to 80 characters (shared/doc.ts deviceSchema). */
const NAME_MAX = 80;
// Control characters (and the bidi overrides that can disguise a name) have no place in a name.
// eslint-disable-next-line no-control-regex
const UNSHOWABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Made the first time a presence is read (shared/lazy.ts), not when the app starts. */
const awarenessStateSchema = lazySchema(() => {
  const peerInfoSchema = z.object({
    device: z.string().regex(ID_PATTERN),
    deviceName: z
      .string()
      .max(NAME_MAX * 4)
      .transform((name) => name.replace(UNSHOWABLE, '').replace(/\s+/g, ' ').trim().slice(0, NAME_MAX))
      .pipe(z.string().min(1)),
    hub: z.string().regex(ID_PATTERN).nullable(),
    // y-webrtc makes it with random.uuidv4().
    peer: z
      .string()
      .regex(/^[0-9a-f-]{1,64}$/)
      .optional(),
  });

  return z.object({ larder: peerInfoSchema });
});

/**
 * The presence a peer's awareness state holds, checked and cleaned: a plain object with the three
 * fields (and the room's peer id when it is sent) and nothing else, or null when the state does not hold a valid one.
 */
export function peerInfoOf(state: unknown): PeerInfo | null {
  const parsed = awarenessStateSchema.safeParse(state);
  if (!parsed.success) return null;
  const { device, deviceName, hub, peer } = parsed.data.larder;
  return peer === undefined ? { device, deviceName, hub } : { device, deviceName, hub, peer };
}
