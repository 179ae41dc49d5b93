import { writeFileSync } from 'node:fs';
import * as Y from 'yjs';
import { deriveSecrets } from '../../shared/sync/keys';
import { sealSyncFile } from '../../shared/sync/syncfile';

/**
 * Writes to `path` a whole-history sync file of `doc`, as the export of device `device` of a network made
 * before signing (its key in the invite) would hold it: for tests that bring another hub's history in.
 */
export async function writeSyncFile(
  path: string,
  doc: Y.Doc,
  network: { networkId: string; key: Uint8Array; device: string; createdAt: number },
): Promise<void> {
  const sealed = await sealSyncFile(
    {
      network: network.networkId,
      device: network.device,
      createdAt: network.createdAt,
      stateVector: Y.encodeStateVector(doc),
      since: false,
      forDevice: null,
      update: Y.encodeStateAsUpdate(doc),
    },
    (await deriveSecrets(network.key)).fileKey,
    (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
  );
  writeFileSync(path, sealed);
}
