import type { Item } from '../../../shared/catalog';
import { isTransfer, transferOf } from '../../../shared/entries';
import { stockKey } from '../../../shared/projection';
import {
  receiveTransfer,
  requestTransfer,
  sendTransfer,
  settleTransfer,
  type TransferContext,
} from '../../../shared/transferCommands';
import { transferView, type TransferView } from '../../../shared/transfers';
import { refuse, type StoreContext } from './context';
import { transferLedgerRows } from '../ledgerRows';
import type { Ledger } from './ledger';
import type { Settings } from './settings';

/** Transfers between hubs (request, send, receive, settle): entries of this device's ledger, for a hub it acts for. */
export class Transfers {
  constructor(
    private readonly ctx: StoreContext,
    private readonly settings: Settings,
    private readonly ledger: Ledger,
  ) {}

  /**
   * What a transfer command is checked against (`Settings.forSave`: while the doc loads and saves are taken
   * before it, the projections, so a send or a receipt is not held by the load), with this device's next
   * number as it is now: read after every await, right before the entry is made and claimed.
   */
  private context(known: { items: Map<string, Item>; hubs: ReadonlySet<string> }): TransferContext {
    const self = this.ctx.requireSelf();
    return {
      device: self.deviceId,
      nextSeq: self.nextSeq,
      now: this.ctx.deps.now(),
      items: known.items,
      hubs: known.hubs,
    };
  }

  async transfer(id: string): Promise<TransferView | null> {
    return transferView(await transferLedgerRows(this.ctx.db, id));
  }

  private async requireTransfer(id: string): Promise<TransferView> {
    const view = await this.transfer(id);
    if (!view) throw refuse('store.transferUnknown');
    return view;
  }

  /**
   * Whether a command on transfer `id` (a send against its request, a receipt, a settlement) is saved while
   * a rebuild works out the figures (`Ledger.commit`'s `whileRebuilding`): it is checked against the
   * transfer's rows as the rebuild found them (written again only after the figures: what the Transfers
   * screen shows meanwhile), unless this device saved something of that transfer since the rebuild began
   * (in the journal, not in those rows): then it waits for the figures, as before.
   */
  private whileRebuilding(id: string): boolean {
    const persistence = this.ctx.persistence;
    if (!persistence.takesSavesWhileRebuilding || persistence.takesEarlySaves) return false;
    return !persistence.savedWhileRebuilding.some((e) => isTransfer(e) && transferOf(e) === id);
  }

  /**
   * Asks a hub to send stock to another (a coordinator turning a suggested move into a transfer). Like a
   * donation, not held by a rebuild working out the figures (`Ledger.commit`'s `whileRebuilding`): it reads
   * no ledger row, and the rebuild counts it after the history.
   */
  async requestTransfer(form: { item: string; from: string; to: string; quantity: string }) {
    const known = await this.settings.forSave();
    this.settings.actingFor(form.from === this.ctx.self?.hubId ? undefined : form.from, known.hubs);
    return (
      await this.ledger.commit([requestTransfer(this.context(known), form)], { whileRebuilding: true })
    )[0]!;
  }

  /**
   * "Sent N of X to hub B", optionally against a request. More than the sending hub has on hand is
   * refused with a BelowZeroWarning until `acknowledgeBelowZero`. Like a pickup, not held by a rebuild
   * working out the figures (against a request, see `whileRebuilding`).
   */
  async sendTransfer(form: {
    item: string;
    to: string;
    quantity: string;
    request?: string;
    from?: string;
    acknowledgeBelowZero?: boolean;
  }) {
    const known = await this.settings.forSave();
    const from = this.settings.actingFor(form.from, known.hubs);
    const request = form.request ? await this.requireTransfer(form.request) : undefined;
    const onHand = (await this.ctx.db.shelf.get(stockKey(from, form.item)))?.onHand ?? 0;
    return (
      await this.ledger.commit([sendTransfer(this.context(known), { ...form, from, request }, onHand)], {
        whileRebuilding: !request || this.whileRebuilding(request.id),
      })
    )[0]!;
  }

  /** "Received M" against a transfer, at the receiving hub. */
  async receiveTransfer(id: string, quantity: string) {
    const known = await this.settings.forSave();
    const transfer = await this.requireTransfer(id);
    this.settings.actingFor(transfer.to, known.hubs);
    const whileRebuilding = this.whileRebuilding(id);
    return (
      await this.ledger.commit([receiveTransfer(this.context(known), transfer, quantity)], {
        whileRebuilding,
      })
    )[0]!;
  }

  /** Settles the difference between sent and received with a note. */
  async settleTransfer(id: string, note: string) {
    const known = await this.settings.forSave();
    const transfer = await this.requireTransfer(id);
    const self = this.ctx.requireSelf();
    if (self.role !== 'coordinator' && self.hubId !== transfer.to && self.hubId !== transfer.from)
      throw refuse('store.settleNotAllowed');
    // Recorded for this device's hub when it is the sending one: the gate counts nothing else of a hub device.
    const side = self.hubId === transfer.from ? 'from' : 'to';
    const whileRebuilding = this.whileRebuilding(id);
    return (
      await this.ledger.commit([settleTransfer(this.context(known), transfer, note, side)], {
        whileRebuilding,
      })
    )[0]!;
  }
}
