import { ingestIdle, ingestUpdate, type IngestResult } from '../../../shared/sync/ingest';
import { ingestInSteps, ingestPartsInSteps, takeInSteps } from '../largeUpdates';
import { msg } from '../../../shared/messages';
import { fromBase64Url } from '../../../shared/sync/encoding';
import { deriveSecrets, type CryptoKey } from '../../../shared/sync/keys';
import type { CatchUp } from '../../../shared/sync/syncfile';
import { keysToServe } from '../../../shared/trust/catchUp';
import type { StoreContext } from './context';
import { openSealedToDevice } from './keys';

/** What a sync file exported after a key rotation carries for a device that still holds an earlier key. */
export interface SyncFileKeys {
  keys: CatchUp;
  previousFileKey: CryptoKey;
  olderFileKeys: CryptoKey[];
}

/** What comes from other devices: their updates (from a peer or a sync file), and a sync file's keys. */
export class Remote {
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Applies an update that came from a peer or a sync file, and resolves once what it brought is
   * committed and projected (a very large one is projected in chunks, with this device's saves going
   * in between). A malformed update is refused without touching the doc.
   */
  async applyRemoteUpdate(update: Uint8Array, origin: string): Promise<IngestResult> {
    await this.ctx.ready;
    const doc = this.ctx.doc;
    let result: IngestResult;
    // A large one (a whole network's sync file, a relay's backlog), or one with many signed settings, is
    // taken in steps, off the page's back; a small one waits for any such to be in, then is taken at once.
    if (takeInSteps(update)) result = await ingestInSteps(doc, update, origin);
    else {
      await ingestIdle(doc);
      result = ingestUpdate(doc, update, origin);
    }
    // (Flushed also when it changed nothing: history a checkpoint's skeleton left out goes to disk without the
    // doc, and is written with the next batch: `historyIn`.)
    if (result.ok) await this.ctx.persistence.flush();
    if (result.ok && result.changed) await this.ctx.persistence.projected();
    return result;
  }

  /**
   * Applies the parts of a state too large for one update (a sync file in parts: shared/sync/docParts.ts),
   * in order and in one turn: nothing from elsewhere is taken between two of them, so a device that gets a
   * whole network this way weighs catching up by a rebuild once, on all of it. Resolves once they are
   * committed and projected. The first part refused stops the rest; if parts before it went in (each is
   * whole Yjs data, what a sync that broke off would leave), the result says so (`update.failedAfter`).
   */
  async applyRemoteParts(parts: readonly Uint8Array[], origin: string): Promise<IngestResult> {
    await this.ctx.ready;
    const results = await ingestPartsInSteps(this.ctx.doc, parts, origin);
    const changed = results.some((r) => r.ok && r.changed);
    await this.ctx.persistence.flush();
    if (changed) await this.ctx.persistence.projected();
    const last = results[results.length - 1];
    if (!last) return { ok: true, changed: false };
    if (last.ok) return { ok: true, changed, pending: results.some((r) => r.ok && r.pending) };
    if (!changed && !last.applied) return last;
    return {
      ok: false,
      applied: true,
      message: msg('update.failedAfter'),
      ...(last.detail ? { detail: last.detail } : {}),
    };
  }

  /**
   * For sync files this device exports after a key rotation: the rotation's sealed keys and the file key
   * before it, so a device that was away (and still holds the old key) can open the file.
   */
  async catchUpKeys(): Promise<SyncFileKeys | null> {
    const self = this.ctx.requireSelf();
    const rotation = (await this.ctx.currentMembers())?.rotation;
    const previous = self.previousKey ? fromBase64Url(self.previousKey) : null;
    if (!rotation || !previous || rotation.epoch !== self.epoch) return null;
    const { fileKey } = await deriveSecrets(previous);
    // Older keys too, for a device that missed more than one rotation (within the catch-up window).
    const olderFileKeys: CryptoKey[] = [];
    for (const past of keysToServe(self, this.ctx.deps.now())) {
      const raw = fromBase64Url(past.key);
      if (raw && past.key !== self.previousKey) olderFileKeys.push((await deriveSecrets(raw)).fileKey);
    }
    return {
      keys: { epoch: rotation.epoch, sealed: rotation.sealed },
      previousFileKey: fileKey,
      olderFileKeys,
    };
  }

  /**
   * The file key of a newer network key sealed to this device in a sync file's catch-up section, or null.
   * Nothing is kept: the device takes up the key only once the signed rotation it came with is imported.
   */
  async keyFromCatchUp(catchUp: CatchUp | null): Promise<CryptoKey | null> {
    const self = this.ctx.self;
    const identity = this.ctx.identity;
    if (!catchUp || !self?.chain || !identity || catchUp.epoch <= (self.epoch ?? 0)) return null;
    const sealed = catchUp.sealed[self.deviceId];
    if (!sealed) return null;
    const key = await openSealedToDevice(sealed, self, identity, catchUp.epoch);
    return key && key.length === 32 ? (await deriveSecrets(key)).fileKey : null;
  }
}
