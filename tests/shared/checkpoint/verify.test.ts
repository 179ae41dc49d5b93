import { beforeAll, describe, expect, it } from 'vitest';
import type { SignedHead } from '../../../shared/doc';
import type { Entry } from '../../../shared/entries';
import { Projector } from '../../../shared/projection';
import { headHash, headMessage } from '../../../shared/trust/chain';
import { sign } from '../../../shared/trust/crypto';
import { Gate, type VerifiedHead } from '../../../shared/trust/gate';
import type { Member, MemberState, Role } from '../../../shared/trust/members';
import { signSetting } from '../../../shared/trust/settings';
import { decodeBody, encodeBody, type CheckpointBody } from '../../../shared/checkpoint/format';
import {
  CheckpointError,
  coversFromGate,
  makeCheckpoint,
  signCheckpoint,
  type SignedCheckpoint,
} from '../../../shared/checkpoint/make';
import {
  checkpointRows,
  chooseCheckpoint,
  verifyCheckpoint,
  type VerifiedCheckpoint,
} from '../../../shared/checkpoint/verify';
import { gateStates, seedProjector } from '../../../shared/checkpoint/seed';
import { chainOf, stateOf, T0, testDevices, type TestDevice } from '../trust/fixtures';

/**
 * Checkpoints between real devices: Ed25519 keys, signed chain heads, the gate's verdicts. What a receiver
 * accepts, what it refuses and why (as codes), and that it continues each device's chain from the
 * checkpoint as if it had the whole history.
 */
const NET = 'net0ckpt';
let admin: TestDevice, coord: TestDevice, a: TestDevice, b: TestDevice;

beforeAll(async () => {
  [admin, coord, a, b] = await testDevices(11, 12, 13, 14);
});

const asMember = (d: TestDevice, role: Role, hub: string | null, revoked?: Member['revoked']): Member => ({
  device: d.id,
  key: d.key,
  name: d.id,
  hub,
  role,
  approvedBy: admin.id,
  approvedAt: T0,
  ...(revoked ? { revoked } : {}),
});

function members(overrides: Partial<Record<'admin' | 'coord' | 'a' | 'b', Member>> = {}): MemberState {
  return stateOf(NET, [
    overrides.admin ?? asMember(admin, 'admin', 'hub1'),
    overrides.coord ?? asMember(coord, 'coordinator', null),
    overrides.a ?? asMember(a, 'hub', 'hub1'),
    overrides.b ?? asMember(b, 'hub', 'hub2'),
  ]);
}

/** Hub 1's device: donations, a pickup, a count, and an undo of its 3rd entry at 70 (past a full block). */
function entriesOfA(n: number): Entry[] {
  return Array.from({ length: n }, (_, i): Entry => {
    const seq = i + 1;
    const base = {
      hub: 'hub1',
      device: a.id,
      seq,
      item: 'rice',
      at: T0 + seq * 60_000,
      recordedAt: T0 + seq * 60_000,
    };
    if (seq === 70)
      return {
        ...base,
        kind: 'reversal',
        target: `${a.id}.3`,
        targetKind: 'donation',
        effect: -3,
        targetAt: T0 + 180_000,
      };
    if (seq % 10 === 0) return { ...base, kind: 'pickup', qty: 2 };
    if (seq === 66) return { ...base, kind: 'count', counted: 100, seen: 90 };
    return { ...base, kind: 'donation', qty: seq, source: 'individual' };
  });
}
const entriesOfB = (n: number): Entry[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: 'donation' as const,
    hub: 'hub2',
    device: b.id,
    seq: i + 1,
    item: 'beans',
    at: T0 + i * 1000,
    recordedAt: T0 + i * 1000,
    qty: 5,
    source: 'business' as const,
  }));

async function signedHead(d: TestDevice, entries: readonly Entry[]): Promise<SignedHead> {
  const hash = headHash(chainOf(NET, d.id, entries));
  return [entries.length, hash, await sign(d.keys.privateKey, headMessage(NET, d.id, entries.length, hash))];
}
const verifiedHeads = (raw: ReadonlyMap<string, SignedHead>) =>
  new Map([...raw].map(([d, h]): [string, VerifiedHead] => [d, { seq: h[0], hash: h[1] }]));

/** A device that received these entries and heads, its gate and projection after them. */
function replica(entries: readonly Entry[], raw: ReadonlyMap<string, SignedHead>, state = members()) {
  const gate = new Gate(NET);
  const result = gate.step({ entries, heads: verifiedHeads(raw), members: state, membersChanged: true });
  gate.adopt(result);
  const projector = new Projector();
  for (const e of result.release) projector.apply(e);
  return { gate, projector, released: result.release };
}

async function checkpointFrom(
  r: ReturnType<typeof replica>,
  raw: ReadonlyMap<string, SignedHead>,
  maker: TestDevice,
  state = members(),
  extra: Partial<CheckpointBody> = {},
): Promise<SignedCheckpoint & { digest: string }> {
  const { covers, waiting } = coversFromGate(r.gate.devices.values(), raw, state);
  expect(waiting).toEqual([]);
  return makeCheckpoint(
    {
      network: NET,
      by: maker.id,
      at: T0 + 86_400_000,
      covers,
      stock: r.projector.allStock(),
      usage: r.projector.allUsage(),
      ledger: r.projector.allLedger(),
      settings: [],
      ...extra,
    },
    maker.keys.privateKey,
  );
}

async function world(nA = 70, nB = 5) {
  const entries = [...entriesOfA(nA), ...entriesOfB(nB)];
  const raw = new Map([
    [a.id, await signedHead(a, entriesOfA(nA))],
    [b.id, await signedHead(b, entriesOfB(nB))],
  ]);
  return { entries, raw, r: replica(entries, raw) };
}

/** Both phases, as a device starting from a checkpoint runs them: the signed head, then the rows. */
const refusal = async (cp: SignedCheckpoint, state = members(), known?: Map<string, VerifiedHead>) => {
  const v = await verifyCheckpoint(cp, NET, state, known);
  if (!v.ok) return v.refusal.code;
  const rows = checkpointRows(v.checkpoint, cp.rows);
  return rows.ok ? 'accepted' : rows.refusal.code;
};

describe('a checkpoint a receiver accepts', () => {
  it('is made by a coordinator from its gate and projection, and covers every counted entry', async () => {
    const { r, raw } = await world();
    const cp = await checkpointFrom(r, raw, coord);
    const v = await verifyCheckpoint(cp, NET, members());
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.checkpoint.covered).toBe(75);
    expect(v.checkpoint.digest).toBe(cp.digest);
    expect(v.checkpoint.head.covers.map((c) => [c.device, c.seq, c.partial.length])).toEqual(
      [
        [a.id, 70, 6],
        [b.id, 5, 5],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
  });

  it('lets the receiver go on from it: later entries pass the gate and the figures are the whole history', async () => {
    const { r, raw } = await world();
    const cp = await checkpointFrom(r, raw, admin);
    const v = await verifyCheckpoint(cp, NET, members());
    if (!v.ok) throw new Error(v.refusal.code);

    // Device a goes on: an undo of its 5th entry (before the checkpoint) and two more donations.
    const later = entriesOfA(73);
    later[70] = {
      ...later[70]!,
      kind: 'reversal',
      target: `${a.id}.5`,
      targetKind: 'donation',
      effect: -5,
      targetAt: T0 + 300_000,
    } as Entry;
    const head = await signedHead(a, later);
    const gate = new Gate(NET);
    gate.load(gateStates(v.checkpoint.head.covers));
    const step = gate.step({
      entries: later.slice(70),
      heads: verifiedHeads(new Map([[a.id, head]])),
      members: members(),
      membersChanged: true,
    });
    expect(step.problems).toEqual([]);
    expect(step.release.map((e) => e.seq)).toEqual([71, 72, 73]);

    const rows = checkpointRows(v.checkpoint, cp.rows);
    if (!rows.ok) throw new Error(rows.refusal.code);
    const { projector } = seedProjector(v.checkpoint.head, rows.rows);
    for (const e of step.release) projector.apply(e);
    const whole = replica(
      [...later, ...entriesOfB(5)],
      new Map([
        [a.id, head],
        [b.id, raw.get(b.id)!],
      ]),
    ).projector;
    const onHand = (p: Projector) => Object.fromEntries(p.allStock().map((s) => [s.key, s.onHand]));
    expect(onHand(projector)).toEqual(onHand(whole));
    expect(projector.allStock().find((s) => s.item === 'rice')?.onHand).toBe(onHand(whole)['hub1|rice']);
  });

  it('covers a revoked device by its revocation cut when its head never came', async () => {
    const entries = entriesOfA(70);
    const cutHash = headHash(chainOf(NET, a.id, entries.slice(0, 40)));
    const state = members({
      a: asMember(a, 'hub', 'hub1', { cut: 40, hash: cutHash, by: admin.id, at: T0 }),
    });
    const r = replica(entries, new Map(), state);
    const cp = await checkpointFrom(r, new Map(), coord, state);
    const body = decodeBody(cp);
    expect(body.covers).toMatchObject([{ device: a.id, seq: 40, proof: { kind: 'cut' } }]);
    expect(Math.max(...body.rows.map((row) => row.seq))).toBe(40);
    expect(await refusal(cp, state)).toBe('accepted');
  });

  it('refuses a cut the receiver’s member list does not hold at that position with that hash', async () => {
    const entries = entriesOfA(70);
    const cutHash = headHash(chainOf(NET, a.id, entries.slice(0, 40)));
    const revokedAt = (cut: number, hash: string) =>
      members({ a: asMember(a, 'hub', 'hub1', { cut, hash, by: admin.id, at: T0 }) });
    const r = replica(entries, new Map(), revokedAt(40, cutHash));
    const cp = await checkpointFrom(r, new Map(), coord, revokedAt(40, cutHash));
    expect(await refusal(cp, revokedAt(40, cutHash))).toBe('accepted');
    expect(await refusal(cp, revokedAt(41, cutHash))).toBe('checkpoint.coverNoCut');
    expect(await refusal(cp, revokedAt(40, headHash(chainOf(NET, a.id, entries.slice(0, 39)))))).toBe(
      'checkpoint.coverNoCut',
    );
  });

  it('covers a revoked device up to its signed head, counting nothing after the cut', async () => {
    const entries = entriesOfA(70);
    const cutHash = headHash(chainOf(NET, a.id, entries.slice(0, 40)));
    const state = members({
      a: asMember(a, 'hub', 'hub1', { cut: 40, hash: cutHash, by: admin.id, at: T0 }),
    });
    const raw = new Map([[a.id, await signedHead(a, entries)]]);
    const r = replica(entries, raw, state);
    const cp = await checkpointFrom(r, raw, coord, state);
    const body = decodeBody(cp);
    expect(body.covers).toMatchObject([{ device: a.id, seq: 70, proof: { kind: 'head' } }]);
    expect(Math.max(...body.rows.map((row) => row.seq))).toBe(40);
    expect(await refusal(cp, state)).toBe('accepted');
  });

  it('keeps settings whose writers had the right and leaves out, with the reason, those that did not', async () => {
    const { r, raw } = await world();
    const item = {
      id: 'rice',
      name: 'Rice',
      category: 'Food',
      unit: 'bag',
      barcodes: [],
      createdAt: T0,
      updatedAt: T0,
    };
    const settings = [
      {
        map: 'items' as const,
        key: 'rice',
        env: await signSetting(NET, 'items', 'rice', item, a.id, T0, a.keys.privateKey),
      },
      // A hub 1 device may not set hub 2's levels.
      {
        map: 'levels' as const,
        key: 'hub2|beans',
        env: await signSetting(
          NET,
          'levels',
          'hub2|beans',
          { min: 1, target: 2 },
          a.id,
          T0,
          a.keys.privateKey,
        ),
      },
    ];
    const cp = await checkpointFrom(r, raw, coord, members(), { settings });
    const v = await verifyCheckpoint(cp, NET, members());
    if (!v.ok) throw new Error(v.refusal.code);
    expect(v.checkpoint.head.settings.map((s) => s.key)).toEqual(['rice']);
    expect(v.checkpoint.rejectedSettings.map((s) => `${s.map}/${s.key}`)).toEqual(['levels/hub2|beans']);
  });
});

describe('a checkpoint a receiver refuses', () => {
  it('when a hub device made it: it may state only its own hub', async () => {
    const { r, raw } = await world();
    expect(await refusal(await checkpointFrom(r, raw, a))).toBe('checkpoint.makerRole');
  });

  it('when its maker is not a member, or was revoked', async () => {
    const { r, raw } = await world();
    const cp = await checkpointFrom(r, raw, coord);
    const withoutCoord = stateOf(
      NET,
      [...members().members.values()].filter((m) => m.device !== coord.id),
    );
    expect(await refusal(cp, withoutCoord)).toBe('checkpoint.makerNotMember');
    const revoked = members({
      coord: asMember(coord, 'coordinator', null, { cut: 0, hash: null, by: admin.id, at: T0 }),
    });
    expect(await refusal(cp, revoked)).toBe('checkpoint.makerRevoked');
  });

  it('when one byte of the body changed, or another key signed it', async () => {
    const { r, raw } = await world();
    const cp = await checkpointFrom(r, raw, coord);
    const text = new TextDecoder().decode(cp.head);
    const changed = text.replace(`,${T0 + 86_400_000},`, `,${T0 + 86_400_001},`);
    expect(changed).not.toBe(text);
    expect(await refusal({ ...cp, head: new TextEncoder().encode(changed) })).toBe('checkpoint.badSignature');
    const byAdminsKey = await signCheckpoint(decodeBody(cp), admin.keys.privateKey);
    expect(await refusal(byAdminsKey)).toBe('checkpoint.badSignature');
    // Its rows encoded in steps (rows.property.test.ts counts them): the very same bytes and signature.
    const paced = await signCheckpoint(decodeBody(cp), coord.keys.privateKey, async () => undefined);
    expect(paced).toEqual({ ...cp, digest: expect.any(String) });
    expect(await refusal({ ...cp, by: admin.id })).toBe('checkpoint.makerMismatch');
  });

  it('when it is for another network', async () => {
    const { r, raw } = await world();
    const cp = await checkpointFrom(r, raw, coord);
    expect((await verifyCheckpoint(cp, 'othernet', members())).ok).toBe(false);
    expect(await verifyCheckpoint(cp, 'othernet', members())).toMatchObject({
      refusal: { code: 'checkpoint.otherNetwork' },
    });
  });

  it('when a covered position is not what its device signed', async () => {
    const { r, raw } = await world();
    const body = decodeBody(await checkpointFrom(r, raw, coord));
    const [first, second] = body.covers;
    // Device a's proof under device b's position.
    const swapped = { ...body, covers: [{ ...first!, proof: second!.proof }, second!] };
    expect(await refusal(await signCheckpoint(swapped, coord.keys.privateKey))).toBe(
      'checkpoint.coverNotSigned',
    );
    const cutWithoutRevocation = {
      ...body,
      covers: [{ ...first!, proof: { kind: 'cut' as const } }, second!],
    };
    expect(await refusal(await signCheckpoint(cutWithoutRevocation, coord.keys.privateKey))).toBe(
      'checkpoint.coverNoCut',
    );
  });

  it('when it counts a device past its revocation, or judged it with another role or hub', async () => {
    const { r, raw } = await world();
    const cp = await checkpointFrom(r, raw, coord);
    const revokedEarlier = members({
      b: asMember(b, 'hub', 'hub2', { cut: 3, hash: null, by: admin.id, at: T0 }),
    });
    expect(await refusal(cp, revokedEarlier)).toBe('checkpoint.coverPastRevocation');
    const movedHub = members({ b: asMember(b, 'hub', 'hub3') });
    expect(await refusal(cp, movedHub)).toBe('checkpoint.coverJudgedOtherwise');
    const gone = stateOf(
      NET,
      [...members().members.values()].filter((m) => m.device !== b.id),
    );
    expect(await refusal(cp, gone)).toBe('checkpoint.coverNotMember');
  });

  it('when the receiver holds another signed head of a device at the same position', async () => {
    const { r, raw } = await world();
    const cp = await checkpointFrom(r, raw, coord);
    const other = headHash(
      chainOf(
        NET,
        b.id,
        entriesOfB(5).map((e) => ({ ...e, qty: 6 })),
      ),
    );
    expect(await refusal(cp, members(), new Map([[b.id, { seq: 5, hash: other }]]))).toBe(
      'checkpoint.coverFork',
    );
    // The same head the receiver verified is no fork.
    const same = headHash(chainOf(NET, b.id, entriesOfB(5)));
    expect(await refusal(cp, members(), new Map([[b.id, { seq: 5, hash: same }]]))).toBe('accepted');
    // A head further on cannot be compared with the covered position: the gate checks it as entries arrive.
    expect(await refusal(cp, members(), new Map([[b.id, { seq: 9, hash: other }]]))).toBe('accepted');
  });

  it('when its body is not consistent with itself', async () => {
    const { r, raw } = await world();
    const body = decodeBody(await checkpointFrom(r, raw, coord));
    const code = async (changed: CheckpointBody) =>
      refusal(await signCheckpoint(changed, coord.keys.privateKey));
    const rice = body.stock.find((s) => s.item === 'rice')!;
    expect(
      await code({
        ...body,
        stock: body.stock.map((s) => (s === rice ? { ...s, onHand: s.onHand + 1 } : s)),
      }),
    ).toBe('checkpoint.malformed');
    const short = body.covers.map((c) => (c.device === a.id ? { ...c, seq: 64, partial: [] } : c));
    expect(await code({ ...body, covers: short })).toBe('checkpoint.malformed');
    const signed = await signCheckpoint(body, coord.keys.privateKey);
    expect(await refusal({ ...signed, head: new TextEncoder().encode('[1,') })).toBe('checkpoint.malformed');
    // Rows other than those the signed head names.
    const otherRows = encodeBody({ ...body, rows: body.rows.slice(1) }).rows;
    expect(await refusal({ ...signed, rows: otherRows })).toBe('checkpoint.malformed');
  });
});

describe('making a checkpoint', () => {
  it('waits while a device has a newer head than the gate has taken in', async () => {
    const { r, raw } = await world();
    const newer = new Map(raw).set(b.id, await signedHead(b, entriesOfB(6)));
    const { covers, waiting } = coversFromGate(r.gate.devices.values(), newer, members());
    expect(waiting).toEqual([b.id]);
    await expect(
      makeCheckpoint(
        {
          network: NET,
          by: coord.id,
          at: T0,
          covers,
          stock: r.projector.allStock(),
          usage: r.projector.allUsage(),
          ledger: r.projector.allLedger(),
          settings: [],
        },
        coord.keys.privateKey,
      ),
    ).rejects.toThrow(CheckpointError);
  });

  it('leaves out a device waiting for approval: the receiver’s own gate judges its entries', async () => {
    const { raw, entries } = await world();
    const [stranger] = await testDevices(15);
    const own = entriesOfB(4).map((e) => ({ ...e, device: stranger!.id }));
    const withStranger = new Map(raw).set(stranger!.id, await signedHead(stranger!, own));
    const held = replica([...entries, ...own], withStranger);
    expect(held.gate.devices.get(stranger!.id)?.held).toHaveLength(4);
    const cp = await checkpointFrom(held, withStranger, coord);
    expect(decodeBody(cp).covers.map((c) => c.device)).not.toContain(stranger!.id);
    expect(await refusal(cp)).toBe('accepted');
  });

  it('waits for a device whose chain restarted with positions still open below it', async () => {
    const { r, raw } = await world();
    const gates = [...r.gate.devices.values()].map((d) =>
      d.device === a.id ? Object.assign({}, d, { gaps: [{ chain: d.chain, to: 3, hash: 'x' }] }) : d,
    );
    expect(coversFromGate(gates, raw, members()).waiting).toEqual([a.id]);
  });

  it('gives byte-identical bodies on two devices that counted the same, whatever the order', async () => {
    const { entries, raw, r } = await world();
    const reversed = replica([...entries].reverse(), raw);
    const one = decodeBody(await checkpointFrom(r, raw, coord));
    const two = decodeBody(await checkpointFrom(reversed, raw, coord));
    const bytes = (body: CheckpointBody) => Object.values(encodeBody(body));
    expect(bytes(two)).toEqual(bytes(one));
  });
});

describe('choosing between concurrent checkpoints', () => {
  it('takes the one covering most, and on a tie the lowest digest, in any order of arrival', async () => {
    const small = await world(70, 3);
    const big = await world(70, 5);
    const verified = async (cp: SignedCheckpoint) => {
      const v = await verifyCheckpoint(cp, NET, members());
      if (!v.ok) throw new Error(v.refusal.code);
      return v.checkpoint;
    };
    const byAdmin = await verified(await checkpointFrom(small.r, small.raw, admin));
    const byCoord = await verified(await checkpointFrom(big.r, big.raw, coord));
    expect(chooseCheckpoint([byAdmin, byCoord])!.digest).toBe(byCoord.digest);
    expect(chooseCheckpoint([byCoord, byAdmin])!.digest).toBe(byCoord.digest);

    const tie: VerifiedCheckpoint[] = [byCoord, await verified(await checkpointFrom(big.r, big.raw, admin))];
    const lowest = [...tie].sort((x, y) => (x.digest < y.digest ? -1 : 1))[0]!.digest;
    expect(chooseCheckpoint(tie)!.digest).toBe(lowest);
    expect(chooseCheckpoint([...tie].reverse())!.digest).toBe(lowest);
    expect(chooseCheckpoint([])).toBeNull();
    // Covering more wins over a lower digest, in either order.
    const more = { ...byCoord, covered: 10, digest: 'b' };
    const fewer = { ...byCoord, covered: 5, digest: 'a' };
    expect(chooseCheckpoint([more, fewer])).toBe(more);
    expect(chooseCheckpoint([fewer, more])).toBe(more);
  });
});
