import {
  recordCount,
  recordDiscard,
  recordDonation,
  recordPickup,
  undoEntry,
  type CommandContext,
  type CountForm,
  type DiscardForm,
  type DonationForm,
  type PickupForm,
} from '../../../shared/commands';
import { appendEntries, type SignedHead } from '../../../shared/doc';
import { formToWrite, STORED_FORM, type EntryForm } from '../../../shared/entryForms';
import { idOf, type Entry, type Reversal } from '../../../shared/entries';
import { ValidationError, issue } from '../../../shared/errors';
import { msg } from '../../../shared/messages';
import { stockKey } from '../../../shared/projection';
import { headHash, MAX_RESTARTS, nextHead, restartBase } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import type { SelfRow } from '../db';
import { EarlierSaveFailed } from '../persistence';
import { getLedgerRow, getLedgerRows } from '../ledgerRows';
import { refuse, type StoreContext } from './context';
import type { Settings } from './settings';

/**
 * This device's ledger entries: donations, pickups, counts, discards and undos turned into entries by the
 * pure commands, numbered and (on a signed network) chained and signed, committed with the device's row.
 */
export class Ledger {
  constructor(
    private readonly ctx: StoreContext,
    private readonly settings: Settings,
  ) {}

  /** Signatures of this device's heads are made one after another, in the order entries were claimed. */
  private signing: Promise<unknown> = Promise.resolve();

  /** Bumped when a save of entries fails: the numbers claimed before it are handed out again. */
  private saveGeneration = 0;
  /** Saves claimed that go into the doc and are not in its staging yet: later ones must not overtake them. */
  private waitingForDoc = 0;

  /**
   * Saves claimed that wait for the doc (the history's load or a rebuild's figures): a save taken while the
   * figures are worked out waits behind them too (`commit`).
   */
  get savesWaitingForDoc(): number {
    return this.waitingForDoc;
  }

  /**
   * Set by the load when entries of this device's own, up to this position, are missing here (a damaged
   * stored row was set aside, or rows wait behind one): its next save restarts its chain (`restartIfLost`).
   */
  private lostUpTo: number | null = null;

  /**
   * After the load, with no save in flight: whether this device's own signed history, as the doc here
   * holds it, stops short of what it signed. Its next save then restarts its chain (`restartIfLost`).
   */
  noteLostEntries(): void {
    const self = this.ctx.self;
    const trust = this.ctx.persistence.trust;
    if (!self?.chain || !trust || self.chain.seq === 0) return;
    if ((trust.chainOf(self.deviceId)?.seq ?? 0) < self.chain.seq) this.lostUpTo = self.chain.seq;
  }

  /**
   * A device that lost entries of its own cannot extend its chain in a way anyone can check without them,
   * so what it records next would wait for them, on every device, possibly forever (they may never have
   * left it). Instead it restarts its chain at its last position: the new head carries the restart
   * ([position, the head it signed there]), its next entries chain from there and count at once, and the
   * lost ones still verify against that head when a peer brings them back. Sequence numbers and entry ids
   * go on from where they were, so nothing it may have published is ever reused (docs/trust.md).
   */
  private restartIfLost(self: SelfRow): void {
    const lost = this.lostUpTo;
    if (lost === null || !self.chain) return;
    this.lostUpTo = null;
    // Back already (a sync before this save), or a device that restarted more often than any disk fails.
    if ((this.ctx.persistence.trust?.chainOf(self.deviceId)?.seq ?? 0) >= lost) return;
    if ((self.restarts?.length ?? 0) >= MAX_RESTARTS) return;
    const hash = headHash(self.chain);
    self.restarts = [...(self.restarts ?? []), [self.chain.seq, hash]];
    self.chain = restartBase(self.chain.seq, hash);
  }

  /**
   * The form this device writes its entries in: the newest every device of the network reads
   * (shared/entryForms.ts). Kept in memory, so that a save claims and appends without waiting: read when
   * the doc is loaded and again whenever the settings or the member list change. Until then, the form
   * every Larder reads.
   */
  private form: EntryForm = STORED_FORM;

  get entryForm(): EntryForm {
    return this.form;
  }

  /** Reads again what the network's devices read: its approved members' records (on a network from before
   * signing, every device's), this device's own left out (it reads what it writes). */
  async refreshForm(): Promise<void> {
    try {
      const own = this.ctx.self?.deviceId;
      const [devices, members] = await Promise.all([
        this.ctx.db.devices.toArray(),
        this.ctx.db.members.toArray(),
      ]);
      const counted =
        members.length > 0
          ? new Set(members.filter((m) => m.status === 'member').map((m) => m.device))
          : null;
      this.form = formToWrite(
        devices.filter((d) => d.id !== own && (!counted || counted.has(d.id))).map((d) => d.reads),
      );
    } catch {
      // The database closing under a store being closed: the form stays as it was.
    }
  }

  /**
   * What a command needs. While the doc loads, a save does not wait for it (DocPersistence `reserveEarly`):
   * the catalog is read from its projection then, as the screens show it (`Settings.catalogForSave`).
   */
  private async commandContext(): Promise<CommandContext> {
    const items = await this.settings.catalogForSave();
    const self = this.ctx.requireSelf();
    return {
      hub: this.ctx.requireHub(),
      device: self.deviceId,
      nextSeq: self.nextSeq,
      now: this.ctx.deps.now(),
      items,
    };
  }

  private async onHandAtThisHub(itemIds: readonly string[]): Promise<Map<string, number>> {
    const hub = this.ctx.requireHub();
    const rows = await this.ctx.db.shelf.bulkGet(itemIds.map((i) => stockKey(hub, i)));
    return new Map(itemIds.map((id, i) => [id, rows[i]?.onHand ?? 0]));
  }

  /**
   * Appends entries to the doc and waits for the Dexie commit. The sequence number is claimed
   * synchronously, before any await, so two quick saves never share one.
   */
  async commit<E extends Entry>(entries: E[], { whileRebuilding = false } = {}): Promise<E[]> {
    const self = this.ctx.requireSelf();
    if (entries.length === 0) return entries;
    if (entries[0]!.seq !== self.nextSeq) throw new Error('stale sequence number; try again');
    // A save that fails leaves no trace (persistence.ts): the claimed numbers and head go back, once, and
    // saves claimed on top of it fail too (their numbers and chain follow the failed one).
    const claimed = {
      generation: this.saveGeneration,
      nextSeq: self.nextSeq,
      chain: self.chain,
      restarts: self.restarts,
      lostUpTo: this.lostUpTo,
    };
    const rollback = () => {
      if (claimed.generation !== this.saveGeneration) return;
      this.saveGeneration++;
      const current = this.ctx.self!;
      current.nextSeq = claimed.nextSeq;
      if (claimed.chain) current.chain = claimed.chain;
      if (claimed.restarts) current.restarts = claimed.restarts;
      else delete current.restarts;
      this.lostUpTo = claimed.lostUpTo;
    };
    const stillClaimed = () => {
      if (claimed.generation !== this.saveGeneration) throw new EarlierSaveFailed();
    };
    self.nextSeq += entries.length;
    // While the doc loads, into the journal (DocPersistence `reserveEarly`), the place held now, in claim
    // order. A save that needs nothing the rebuild is about to write (`whileRebuilding`: a donation, pickup or
    // discard, a transfer, an undo) while a rebuild works out the figures, into the journal too
    // (`reserveWhileRebuilding`), unless a save claimed before it waits for the doc: it must come after
    // that one. Otherwise into the doc, once it holds the saves made while it loaded (`ready`) or rebuilt.
    const persistence = this.ctx.persistence;
    const early = persistence.takesEarlySaves
      ? persistence.reserveEarly()
      : whileRebuilding && persistence.takesSavesWhileRebuilding && this.waitingForDoc === 0
        ? persistence.reserveWhileRebuilding()
        : null;
    if (!early) this.waitingForDoc++;
    let waiting = !early;
    try {
      // Signed network: extend this device's chain and sign its new head, in claim order.
      let signing: Promise<SignedHead> | null = null;
      if (self.chain) {
        this.restartIfLost(self);
        const restarts = self.restarts ?? [];
        const { chain, hash, message } = nextHead(
          self.networkId,
          self.deviceId,
          self.chain,
          entries,
          restarts,
        );
        self.chain = chain;
        const identity = this.ctx.requireIdentity();
        const signature = this.signing.then(() => sign(identity.privateKey, message));
        this.signing = signature.catch(() => undefined);
        signing = signature.then((sig): SignedHead =>
          restarts.length > 0 ? [chain.seq, hash, sig, restarts] : [chain.seq, hash, sig],
        );
      }
      // The advanced sequence number commits with the entries: a crash can never hand out a used number.
      const saved: SelfRow = { ...self };
      let head: SignedHead | undefined;
      if (signing) {
        head = await signing.catch((error: unknown) => {
          rollback();
          throw error;
        });
        stillClaimed();
      }
      if (early) {
        const row = { device: self.deviceId, entries, ...(head ? { head } : {}) };
        // Checked in its transaction: a save before it that failed fails this one too (it chains on it).
        await early.save(
          row,
          () => {
            stillClaimed();
            return this.ctx.db.meta.put(saved);
          },
          rollback,
        );
        return entries;
      }
      if (!this.ctx.isReady) {
        await this.ctx.ready;
        stillClaimed();
      }
      if (persistence.hasRebuildSaves) {
        await persistence.rebuildSavesAdded();
        stillClaimed();
      }
      // A staging doc built in slices first, if one is due (after a peer's setting, say), rather than in
      // one task here; the saves awaiting it go on in the order they came.
      const pending = persistence.stagingPending();
      if (pending) {
        await pending;
        stillClaimed();
      }
      appendEntries(persistence.staging(), self.deviceId, entries, head, this.form);
      this.waitingForDoc--;
      waiting = false;
      await this.ctx.persistence.flush(() => this.ctx.db.meta.put(saved), rollback);
      return entries;
    } catch (error) {
      // A place held for an early save and not written (the save failed before it) is given back.
      early?.giveBack();
      throw error;
    } finally {
      if (waiting) this.waitingForDoc--;
    }
  }

  async recordDonation(form: DonationForm) {
    const ctx = await this.commandContext();
    return this.commit(recordDonation({ ...ctx, nextSeq: this.ctx.requireSelf().nextSeq }, form), {
      whileRebuilding: true,
    });
  }

  async recordPickup(form: PickupForm) {
    const ctx = await this.commandContext();
    const onHand = await this.onHandAtThisHub(form.lines.map((l) => l.item));
    return this.commit(recordPickup({ ...ctx, nextSeq: this.ctx.requireSelf().nextSeq }, form, onHand), {
      whileRebuilding: true,
    });
  }

  async recordCount(form: CountForm) {
    const ctx = await this.commandContext();
    // A count records what this device showed: while part of a large update is still being added to the
    // figures, what it shows is short of what it holds, and the count would be off by the difference.
    const left = this.ctx.persistence.unprojected;
    if (left > 0) throw new ValidationError([issue('', msg('store.countWaitsForHistory', { count: left }))]);
    // Nor in the figures are saves made while a rebuild works them out, until it has written them: the
    // count compares with the figures once they are in.
    if (this.ctx.persistence.hasRebuildSaves) await this.ctx.persistence.rebuildSavesAdded(true);
    const onHand = await this.onHandAtThisHub(form.lines.map((l) => l.item));
    return this.commit(recordCount({ ...ctx, nextSeq: this.ctx.requireSelf().nextSeq }, form, onHand));
  }

  async recordDiscard(form: DiscardForm) {
    const ctx = await this.commandContext();
    return this.commit(recordDiscard({ ...ctx, nextSeq: this.ctx.requireSelf().nextSeq }, form), {
      whileRebuilding: true,
    });
  }

  /** Undoes an entry of this device's hub, or one this device recorded for a hub (a coordinator's). */
  async undo(entryId: string, note?: string): Promise<Reversal> {
    const persistence = this.ctx.persistence;
    // While the doc loads, an undo is saved early too (the entry it undoes is in the projected history). While
    // a rebuild works out the figures, too (`whileRebuilding`), if the entry is found as `targetWhileRebuilding`
    // reads it; else it waits for the figures, as before.
    let target = persistence.takesEarlySaves
      ? await getLedgerRow(this.ctx.db, entryId)
      : persistence.takesSavesWhileRebuilding
        ? await this.targetWhileRebuilding(entryId)
        : undefined;
    const whileRebuilding = target !== undefined && !persistence.takesEarlySaves;
    if (!target) {
      await this.ctx.ready;
      target = await getLedgerRow(this.ctx.db, entryId);
    }
    const self = this.ctx.requireSelf();
    const [reversal] = await this.commit(
      [reversalOf(self, self.nextSeq, this.ctx.deps.now(), target, note)],
      { whileRebuilding },
    );
    return reversal!;
  }

  /**
   * Undoes many entries in one commit (an imported count's lines): each as `undo` would, the ones that cannot
   * be (unknown here, of another hub, an undo, already undone) left as they are and said why. One commit, not
   * one per entry: 300 lines undone one by one took 22 s in Chromium. Waits for the doc, as `undo` does when
   * it cannot be saved early; its commit then waits, as every save's, for saves made during a rebuild.
   */
  async undoMany(
    entryIds: readonly string[],
    note?: string,
  ): Promise<{ undone: Reversal[]; failed: { entryId: string; error: ValidationError }[] }> {
    await this.ctx.ready;
    const rows = await getLedgerRows(this.ctx.db, entryIds);
    const self = this.ctx.requireSelf();
    const now = this.ctx.deps.now();
    const undone: Reversal[] = [];
    const taken = new Set<string>();
    const failed: { entryId: string; error: ValidationError }[] = [];
    entryIds.forEach((entryId, i) => {
      const target = rows[i];
      try {
        if (taken.has(entryId)) throw new ValidationError([issue('', msg('undo.already'))]);
        undone.push(reversalOf(self, self.nextSeq + undone.length, now, target, note));
        taken.add(entryId);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        // The note is the same for every entry: too long for one, too long for all.
        if (error.issues.some((i) => i.field === 'note')) throw error;
        failed.push({ entryId, error });
      }
    });
    return { undone: await this.commit(undone), failed };
  }

  /**
   * The entry an undo is of, while a rebuild works out the figures: its ledger row as the rebuild found it
   * (the rows are written again only after the figures: what the History screen shows meanwhile), or, saved
   * since the rebuild began, its entry in the journal; undone if an undo of it waits there too. Undefined
   * when neither has it (the rows of a version too old to read, say): the undo then waits for the figures.
   */
  private async targetWhileRebuilding(
    entryId: string,
  ): Promise<(Entry & { reversedBy?: string }) | undefined> {
    const row = await getLedgerRow(this.ctx.db, entryId);
    const saved = this.ctx.persistence.savedWhileRebuilding;
    const target: (Entry & { reversedBy?: string }) | undefined =
      row ?? saved.find((e) => idOf(e) === entryId);
    if (!target || target.reversedBy) return target;
    const undo = saved.find((e) => e.kind === 'reversal' && e.target === entryId);
    return undo ? { ...target, reversedBy: idOf(undo) } : target;
  }
}

/**
 * The undo of `target` by this device, numbered `seq`: refused when the entry is unknown here, or neither of
 * this device's hub nor recorded by this device (a coordinator's for another hub), then as `undoEntry` refuses.
 */
function reversalOf(
  self: SelfRow,
  seq: number,
  now: number,
  target: (Entry & { reversedBy?: string }) | undefined,
  note?: string,
): Reversal {
  if (!target) throw refuse('store.entryUnknown');
  if (target.hub !== self.hubId && target.device !== self.deviceId) throw refuse('store.undoNotAllowed');
  return undoEntry({ device: self.deviceId, nextSeq: seq, now }, target, note);
}
