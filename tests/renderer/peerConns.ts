import { Reassembler } from '../../renderer/sync/guardedSync';

/**
 * A y-webrtc connection as far as guardedSync.ts sends over it (what it sent, whether it closed), and its
 * room while a message of it is read (`deliveringConn`).
 */
export const connection = () => {
  const sent: Uint8Array[] = [];
  const conn = {
    peer: { send: (m: Uint8Array) => sent.push(m), _channel: { bufferedAmount: 0 } },
    closed: false,
  };
  return { conn, sent, room: { deliveringConn: conn } };
};

/**
 * The messages `sent` carried, put together from their frames, each without y-webrtc's type (0); throws on
 * frames that do not fit together.
 */
export const received = (sent: Uint8Array[]): Uint8Array[] => {
  const frames = new Reassembler();
  return sent.flatMap((data) => {
    const got = frames.push(data);
    if ('refused' in got) throw new Error('frames that do not fit together');
    if (!('message' in got)) return [];
    if (got.message[0] !== 0) throw new Error(`a message of type ${got.message[0]}, not sync`);
    return [got.message.subarray(1)];
  });
};
