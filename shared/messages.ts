import { ENTRY_KINDS, type EntryKind } from './entryKinds';
import type { TransferStatus } from './transfers';
import type { SettingMap } from './trust/settings';

/**
 * What the core has to say to a person, as a code and its parameters: never words. The renderer turns a
 * message into the volunteer's language (catalog namespace `domain`, key = the code). The core stays
 * free of English, messages can be stored (set-aside problems) and shown later in whatever language the
 * device then uses, and tests assert codes, which do not change when a sentence is reworded.
 *
 * `MessageParams` maps every code to the parameters its sentence needs, so a code cannot be given the
 * wrong ones. Parameters are numbers (formatted by the renderer for the language), names a person
 * typed (an item, a hub), internal ids, or a `Word`: a term of the domain the renderer translates
 * before putting it into the sentence (a field's name, a kind of entry, a transfer's state).
 */

/** Names of fields a quantity can be typed into; a quantity message says which one is wrong. */
export const QUANTITY_FIELDS = [
  'quantity',
  'packs',
  'counted',
  'received',
  'households',
  'minimum',
  'target',
  'packSize',
] as const;
export type QuantityField = (typeof QUANTITY_FIELDS)[number];

/** A list holding every member of the union T, checked by the compiler (a missing one is an error). */
export const allOf =
  <T>() =>
  <const A extends readonly T[]>(list: A & ([T] extends [A[number]] ? unknown : 'a member is missing')) =>
    list;

/** Kinds of signed settings a problem can name (the doc's setting maps). */
export const SETTING_WORDS = allOf<SettingMap>()([
  'items',
  'hubs',
  'devices',
  'levels',
  'categoryLevels',
  'network',
]);
const TRANSFER_STATUSES = allOf<TransferStatus>()([
  'requested',
  'in transit',
  'received',
  'discrepancy',
  'settled',
  'cancelled',
]);

/** A term the renderer translates before it goes into a sentence: `{ word: 'field.quantity' }`. */
export type WordCode =
  `field.${QuantityField}` | `kind.${EntryKind}` | `status.${TransferStatus}` | `setting.${SettingMap}`;
export interface Word {
  readonly word: WordCode;
}
export const word = (code: WordCode): Word => ({ word: code });

type None = Record<never, never>;
type Named = { name: string };
type Device = { device: string };
type Max = { max: number };

/** Every code and the parameters its sentence takes. Add a code here, then its words in every catalog. */
export interface MessageParams {
  // What a person typed into a quantity box (`what` names the box).
  'quantity.empty': { what: Word };
  'quantity.notNumber': { what: Word };
  'quantity.negative': { what: Word };
  'quantity.notWhole': { what: Word };
  'quantity.zero': { what: Word };
  'quantity.tooLarge': { what: Word; max: number };

  // Forms that record entries.
  'form.noteTooLong': { count: number; max: number };
  'form.dateInvalid': None;
  'form.dateInFuture': None;
  'form.dateTooEarly': { year: number };
  'form.noLines': { kind: Word };
  'form.tooManyLines': { kind: Word; max: number };
  'form.itemUnknown': None;
  'form.noPackSize': { item: string; unit: string };
  'form.packsTooLarge': { packs: number; packSize: number; units: number; max: number };
  'form.expiryInvalid': None;
  'form.sourceMissing': None;
  'form.discardReasonMissing': None;
  'form.householdsTooMany': Max;
  'form.countNoLines': None;
  'form.countedTwice': { item: string };
  'pickup.belowZero': { item: string; taking: number; onHand: number };
  'pickup.alreadyBelowZero': { item: string; taking: number; below: number };

  // Undo.
  'undo.ofUndo': None;
  'undo.ofSettlement': None;
  'undo.already': None;
  'undo.noteTooLong': Max;

  // The item form.
  'item.nameMissing': None;
  'item.nameTooLong': { count: number; max: number };
  'item.nameTaken': Named;
  'item.categoryMissing': None;
  'item.categoryTooLong': Max;
  'item.unitMissing': None;
  'item.unitTooLong': Max;
  'item.packSizeTooSmall': None;
  'item.packSizeTooLarge': Max;
  'item.barcodeInvalid': { value: string };
  'item.barcodeTaken': { barcode: string; item: string };
  'item.tooManyBarcodes': Max;

  // A hub's levels for an item.
  'levels.targetBelowMinimum': { minimum: number };

  // Transfers between hubs.
  'transfer.senderMissing': None;
  'transfer.receiverMissing': None;
  'transfer.toItself': None;
  'transfer.notSendable': { status: Word };
  'transfer.requestMismatch': None;
  'transfer.notSentYet': None;
  'transfer.alreadyDone': { status: Word };
  'transfer.noDifference': None;
  'transfer.settleNoteMissing': None;
  'transfer.noteTooLong': Max;

  // What the renderer's store refuses (it checks rights and state the pure commands cannot see).
  'store.hubNameMissing': None;
  'store.newHubNameMissing': None;
  'store.hubNameTooLong': Max;
  'store.catchUpDaysInvalid': Max;
  'store.deviceNameMissing': None;
  'store.deviceNameTooLong': Max;
  'store.chooseHubFirst': None;
  'store.alreadyInNetwork': None;
  'store.alreadyHasHub': None;
  'store.hubUnknown': None;
  'store.settingChangedMeanwhile': None;
  'store.addressTooLong': Max;
  'store.addressMissing': None;
  'store.adminOnly': None;
  'store.deviceNotAsking': None;
  'store.revokedCannotBeApproved': None;
  'store.cannotRevokeSelf': None;
  'store.alreadySigned': None;
  'store.itemGone': None;
  'store.coordinatorOnlyOtherHub': None;
  'store.noItemsChosen': None;
  'store.transferUnknown': None;
  'store.settleNotAllowed': None;
  'store.countWaitsForHistory': { count: number };
  'store.entryUnknown': None;
  'store.undoNotAllowed': None;

  // An entry read from the doc (any peer may have written it).
  'entry.notList': None;
  'entry.unknownVersion': { value: string };
  'entry.wrongFieldCount': None;
  'entry.packedUnreadable': { at: number };
  'entry.unknownKind': { value: string };
  'entry.timeNotWhole': None;
  'entry.extrasMalformed': None;
  'entry.resolveMovesStock': None;
  'entry.fieldInvalid': { kind: Word; field: string };
  'entry.wrongLedger': { device: string; ledger: string };
  'entry.duplicate': { id: string };
  'entry.undoesUndo': { id: string };
  'entry.undoesOther': { id: string; target: string };
  'ledger.notList': None;
  'item.invalid': { id: string; field: string };
  'item.idMismatch': { id: string; other: string };

  // Settings the doc holds that do not count.
  'settings.hubInvalid': None;
  'settings.deviceInvalid': None;
  'settings.levelsInvalid': None;

  // The trust gate: entries that never count.
  'gate.positionTaken': { seq: number; device: string };
  'gate.tooManyUnsigned': None;
  'gate.forked': Device;
  'gate.notSigned': { device: string; seq: number };
  'gate.tooManyCopies': Device;
  'gate.otherHub': { device: string; hub: string };
  'gate.countTooLarge': Max;
  'gate.unsignedAfterUpgrade': Device;
  'gate.afterRevocation': Device;
  'head.malformed': Device;
  'head.badSignature': Device;

  // The member list.
  'member.malformed': None;
  'member.otherNetwork': None;
  'member.listTooLong': None;
  'member.badSignature': None;
  'member.falseFounder': None;
  'member.preApprovalInvalid': None;
  'member.preApprovalUsed': None;
  'member.preApprovalExpired': None;
  'member.approveNotAdmin': None;
  'member.approveWrongKey': None;
  'member.approveRevoked': None;
  'member.revokeNotAdmin': None;
  'member.adoptNotAdmin': None;
  'member.rotateNotAdmin': None;
  'member.grantNotAdmin': None;
  'member.upgradeFailed': None;
  'member.rotationUnreadable': None;
  'member.afterRevocation': None;

  // Signed settings.
  'setting.unsigned': { setting: Word; key: string };
  'setting.unknownSigner': { setting: Word; key: string };
  'setting.badSignature': { setting: Word; key: string };
  'setting.notApproved': { setting: Word; key: string };
  'setting.revoked': { setting: Word; key: string };
  'setting.notAllowed': { setting: Word; key: string; device: string };
  'setting.ownHub': Device;

  // Updates from peers and sync files.
  'update.malformed': None;
  'update.subdocument': None;
  'update.deletesLedger': None;
  'update.badSetting': { key: string };
  'update.badHead': Device;
  'update.contradicts': None;
  'update.replacesLedger': Device;
  'update.failedAfter': None;
  'update.failed': None;
  'update.tooLarge': { bytes: number; megabytes: number };
  'update.wrongLength': None;
  /** A message a peer sent in frames that do not fit together (shared/sync/fragments.ts): thrown away. */
  'update.badFrames': None;
  'update.partStuck': None;
  'update.queueFull': None;
  'update.unknownMessage': { type: number };
  'update.truncated': None;
  /** A peer's checkpoint (guardedSync.ts) that did not verify here: the history is taken instead. */
  'update.checkpointRefused': None;

  // Invites.
  'invite.empty': None;
  'invite.notInvite': { prefix: string };
  'invite.badCharacters': None;
  'invite.incomplete': None;
  'invite.badAddress': None;
  'invite.damaged': None;
  'invite.keyIncomplete': None;

  // Sync files.
  'syncFile.notSyncFile': None;
  'syncFile.newer': None;
  'syncFile.otherNetwork': None;
  'syncFile.damaged': None;
  'syncFile.badHeader': None;
  'syncFile.older': None;
  'syncFile.tooLarge': { megabytes: number };
  'syncFile.unusable': None;
  'syncFile.networkTooLarge': { megabytes: number };
  'syncFile.setUpFirst': None;
  'syncFile.ownExport': None;
  'syncFile.notSaved': None;
  'syncFile.failedAfter': None;
  'syncFile.waiting': { from: string };
  'syncFile.nothingNew': None;
  'syncFile.imported': { count: number; from: string };
  'syncFile.importedChanges': { from: string };
  'syncFile.setAside': { count: number };
  'syncFile.partlyWaiting': None;
  'syncFile.fromCheckpoint': { from: string };
  'syncFile.checkpointRefused': None;
}

export type MessageCode = keyof MessageParams;
/** The codes whose sentence takes no parameters. */
export type PlainCode = {
  [C in MessageCode]: keyof MessageParams[C] extends never ? C : never;
}[MessageCode];
export type MessageParam = string | number | Word;

/** A message as the core gives it: the code and, when its sentence needs them, the parameters. */
export type DomainMessage = {
  [C in MessageCode]: keyof MessageParams[C] extends never
    ? { readonly code: C; readonly params?: undefined }
    : { readonly code: C; readonly params: Readonly<MessageParams[C]> };
}[MessageCode];

type ArgsOf<C extends MessageCode> = keyof MessageParams[C] extends never ? [] : [params: MessageParams[C]];

/** `msg('quantity.tooLarge', { what: word('field.quantity'), max: 1_000_000 })`: the compiler checks the parameters. */
export function msg<C extends MessageCode>(code: C, ...args: ArgsOf<C>): DomainMessage {
  const params = args[0];
  return (params === undefined ? { code } : { code, params }) as DomainMessage;
}

const CODES: Record<MessageCode, true> = {
  'quantity.empty': true,
  'quantity.notNumber': true,
  'quantity.negative': true,
  'quantity.notWhole': true,
  'quantity.zero': true,
  'quantity.tooLarge': true,
  'form.noteTooLong': true,
  'form.dateInvalid': true,
  'form.dateInFuture': true,
  'form.dateTooEarly': true,
  'form.noLines': true,
  'form.tooManyLines': true,
  'form.itemUnknown': true,
  'form.noPackSize': true,
  'form.packsTooLarge': true,
  'form.expiryInvalid': true,
  'form.sourceMissing': true,
  'form.discardReasonMissing': true,
  'form.householdsTooMany': true,
  'form.countNoLines': true,
  'form.countedTwice': true,
  'pickup.belowZero': true,
  'pickup.alreadyBelowZero': true,
  'undo.ofUndo': true,
  'undo.ofSettlement': true,
  'undo.already': true,
  'undo.noteTooLong': true,
  'item.nameMissing': true,
  'item.nameTooLong': true,
  'item.nameTaken': true,
  'item.categoryMissing': true,
  'item.categoryTooLong': true,
  'item.unitMissing': true,
  'item.unitTooLong': true,
  'item.packSizeTooSmall': true,
  'item.packSizeTooLarge': true,
  'item.barcodeInvalid': true,
  'item.barcodeTaken': true,
  'item.tooManyBarcodes': true,
  'levels.targetBelowMinimum': true,
  'transfer.senderMissing': true,
  'transfer.receiverMissing': true,
  'transfer.toItself': true,
  'transfer.notSendable': true,
  'transfer.requestMismatch': true,
  'transfer.notSentYet': true,
  'transfer.alreadyDone': true,
  'transfer.noDifference': true,
  'transfer.settleNoteMissing': true,
  'transfer.noteTooLong': true,
  'store.hubNameMissing': true,
  'store.newHubNameMissing': true,
  'store.hubNameTooLong': true,
  'store.catchUpDaysInvalid': true,
  'store.deviceNameMissing': true,
  'store.deviceNameTooLong': true,
  'store.chooseHubFirst': true,
  'store.alreadyInNetwork': true,
  'store.alreadyHasHub': true,
  'store.hubUnknown': true,
  'store.settingChangedMeanwhile': true,
  'store.addressTooLong': true,
  'store.addressMissing': true,
  'store.adminOnly': true,
  'store.deviceNotAsking': true,
  'store.revokedCannotBeApproved': true,
  'store.cannotRevokeSelf': true,
  'store.alreadySigned': true,
  'store.itemGone': true,
  'store.coordinatorOnlyOtherHub': true,
  'store.noItemsChosen': true,
  'store.transferUnknown': true,
  'store.settleNotAllowed': true,
  'store.countWaitsForHistory': true,
  'store.entryUnknown': true,
  'store.undoNotAllowed': true,
  'entry.notList': true,
  'entry.unknownVersion': true,
  'entry.wrongFieldCount': true,
  'entry.packedUnreadable': true,
  'entry.unknownKind': true,
  'entry.timeNotWhole': true,
  'entry.extrasMalformed': true,
  'entry.resolveMovesStock': true,
  'entry.fieldInvalid': true,
  'entry.wrongLedger': true,
  'entry.duplicate': true,
  'entry.undoesUndo': true,
  'entry.undoesOther': true,
  'ledger.notList': true,
  'item.invalid': true,
  'item.idMismatch': true,
  'settings.hubInvalid': true,
  'settings.deviceInvalid': true,
  'settings.levelsInvalid': true,
  'gate.positionTaken': true,
  'gate.tooManyUnsigned': true,
  'gate.forked': true,
  'gate.notSigned': true,
  'gate.tooManyCopies': true,
  'gate.otherHub': true,
  'gate.countTooLarge': true,
  'gate.unsignedAfterUpgrade': true,
  'gate.afterRevocation': true,
  'head.malformed': true,
  'head.badSignature': true,
  'member.malformed': true,
  'member.otherNetwork': true,
  'member.listTooLong': true,
  'member.badSignature': true,
  'member.falseFounder': true,
  'member.preApprovalInvalid': true,
  'member.preApprovalUsed': true,
  'member.preApprovalExpired': true,
  'member.approveNotAdmin': true,
  'member.approveWrongKey': true,
  'member.approveRevoked': true,
  'member.revokeNotAdmin': true,
  'member.adoptNotAdmin': true,
  'member.rotateNotAdmin': true,
  'member.grantNotAdmin': true,
  'member.upgradeFailed': true,
  'member.rotationUnreadable': true,
  'member.afterRevocation': true,
  'setting.unsigned': true,
  'setting.unknownSigner': true,
  'setting.badSignature': true,
  'setting.notApproved': true,
  'setting.revoked': true,
  'setting.notAllowed': true,
  'setting.ownHub': true,
  'update.malformed': true,
  'update.subdocument': true,
  'update.deletesLedger': true,
  'update.badSetting': true,
  'update.badHead': true,
  'update.contradicts': true,
  'update.replacesLedger': true,
  'update.failedAfter': true,
  'update.failed': true,
  'update.tooLarge': true,
  'update.wrongLength': true,
  'update.badFrames': true,
  'update.partStuck': true,
  'update.queueFull': true,
  'update.unknownMessage': true,
  'update.truncated': true,
  'update.checkpointRefused': true,
  'invite.empty': true,
  'invite.notInvite': true,
  'invite.badCharacters': true,
  'invite.incomplete': true,
  'invite.badAddress': true,
  'invite.damaged': true,
  'invite.keyIncomplete': true,
  'syncFile.notSyncFile': true,
  'syncFile.newer': true,
  'syncFile.otherNetwork': true,
  'syncFile.damaged': true,
  'syncFile.badHeader': true,
  'syncFile.older': true,
  'syncFile.tooLarge': true,
  'syncFile.unusable': true,
  'syncFile.networkTooLarge': true,
  'syncFile.setUpFirst': true,
  'syncFile.ownExport': true,
  'syncFile.notSaved': true,
  'syncFile.failedAfter': true,
  'syncFile.waiting': true,
  'syncFile.nothingNew': true,
  'syncFile.imported': true,
  'syncFile.importedChanges': true,
  'syncFile.setAside': true,
  'syncFile.partlyWaiting': true,
  'syncFile.fromCheckpoint': true,
  'syncFile.checkpointRefused': true,
};

/** Every code, for the test that each has words in every language (the Record above keeps it complete). */
export const MESSAGE_CODES = Object.keys(CODES) as MessageCode[];

/** Every word a message can carry, likewise. */
export const WORD_CODES: readonly WordCode[] = [
  ...QUANTITY_FIELDS.map((f) => `field.${f}` as const),
  ...ENTRY_KINDS.map((k) => `kind.${k}` as const),
  ...TRANSFER_STATUSES.map((s) => `status.${s}` as const),
  ...SETTING_WORDS.map((s) => `setting.${s}` as const),
];

/** Plain text of a message for logs and thrown errors' `message` (developers only; never shown). */
export function messageForLog(m: DomainMessage): string {
  return m.params ? `${m.code} ${JSON.stringify(m.params)}` : m.code;
}
