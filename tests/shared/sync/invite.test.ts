import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../../../shared/sync/encoding';
import { encodeInvite, MAX_RELAYS, parseInvite, type Invite } from '../../../shared/sync/invite';
import { opMessage, signPreApproval } from '../../../shared/trust/members';
import { verify } from '../../../shared/trust/crypto';
import { fcOptions, idArb } from '../arbitraries';
import { testDevice } from '../trust/fixtures';
import { msg, type DomainMessage } from '../../../shared/messages';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);
const INVITE: Invite = { networkId: 'k3v9q2m7x1c8b4z0', key: KEY, signaling: ['wss://signal.example.org'] };
const CODE = encodeInvite(INVITE);

/** An invite code around any payload, as a newer or faulty Larder might write it. */
const codeOf = (payload: unknown) =>
  'LARDER1-' + toBase64Url(new TextEncoder().encode(JSON.stringify(payload)));
const payload = (over: Record<string, unknown>) => ({
  v: 1,
  n: INVITE.networkId,
  k: toBase64Url(KEY),
  s: [],
  ...over,
});

const messages = {
  empty: msg('invite.empty'),
  prefix: msg('invite.notInvite', { prefix: 'LARDER1-' }),
  chars: msg('invite.badCharacters'),
  incomplete: msg('invite.incomplete'),
  newer: msg('invite.damaged'),
  key: msg('invite.keyIncomplete'),
  address: msg('invite.badAddress'),
};

describe('invite codes', () => {
  it('round-trip', () => {
    const parsed = parseInvite(CODE);
    expect(parsed).toEqual({ ok: true, invite: INVITE });
  });

  it('survive the spaces and line breaks of a pasted or wrapped code', () => {
    const wrapped = `  ${CODE.slice(0, 30)}\n${CODE.slice(30, 70)} \r\n\t${CODE.slice(70)}  `;
    expect(parseInvite(wrapped)).toEqual({ ok: true, invite: INVITE });
  });

  it('property: any network id, key and signaling list round-trip', () => {
    const urlArb = fc
      .tuple(fc.constantFrom('ws', 'wss'), fc.domain(), fc.option(fc.integer({ min: 1, max: 65535 })))
      .map(([scheme, host, port]) => `${scheme}://${host}${port === null ? '' : `:${port}`}/`);
    fc.assert(
      fc.property(
        idArb,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(urlArb, { maxLength: 4 }),
        (networkId, key, signaling) => {
          const invite = { networkId, key, signaling };
          expect(parseInvite(encodeInvite(invite))).toEqual({ ok: true, invite });
        },
      ),
      fcOptions(),
    );
  });

  const cases: [string, string, DomainMessage][] = [
    ['empty', '', messages.empty],
    ['only spaces', '  \n\t ', messages.empty],
    ['wrong prefix', 'HELLO-1234', messages.prefix],
    ['lower-case prefix', CODE.toLowerCase(), messages.prefix],
    ['a web address', 'https://larder.example/join', messages.prefix],
    ['the prefix twice', `LARDER1-${CODE}`, messages.incomplete],
    ['junk characters', `${CODE.slice(0, 40)}$%&${CODE.slice(40)}`, messages.chars],
    ['standard base64 padding', `${CODE}==`, messages.chars],
    ['prefix alone', 'LARDER1-', messages.incomplete],
    ['truncated (whole base64 groups)', CODE.slice(0, 8 + 100), messages.incomplete],
    ['truncated by one character', CODE.slice(0, -1), messages.incomplete],
    ['truncated by three characters', CODE.slice(0, -3), messages.incomplete],
    ['not JSON', `LARDER1-${toBase64Url(new TextEncoder().encode('hello'))}`, messages.incomplete],
    ['not UTF-8', `LARDER1-${toBase64Url(new Uint8Array([0xff, 0xfe, 0x00]))}`, messages.incomplete],
    ['a newer version', codeOf(payload({ v: 2 })), messages.newer],
    ['a bad network id', codeOf(payload({ n: 'NOT AN ID' })), messages.newer],
    ['no key', codeOf(payload({ k: undefined })), messages.newer],
    ['a 16-byte key', codeOf(payload({ k: toBase64Url(new Uint8Array(16)) })), messages.key],
    ['a 33-byte key', codeOf(payload({ k: toBase64Url(new Uint8Array(33)) })), messages.key],
    ['a key that is not base64url', codeOf(payload({ k: 'a+b/c=' })), messages.key],
    ['an http:// signaling address', codeOf(payload({ s: ['http://x'] })), messages.address],
    ['a signaling address with a password', codeOf(payload({ s: ['ws://user:pw@host'] })), messages.address],
    ['a signaling address with a user', codeOf(payload({ s: ['wss://user@host'] })), messages.address],
    ['a signaling address with a fragment', codeOf(payload({ s: ['wss://host/#x'] })), messages.address],
    ['a file:// signaling address', codeOf(payload({ s: ['file:///etc/passwd'] })), messages.address],
    [
      'a signaling address that is not a URL',
      codeOf(payload({ s: ['signal.example.org'] })),
      messages.address,
    ],
    [
      'a signaling address too long',
      codeOf(payload({ s: [`wss://${'a'.repeat(200)}.org`] })),
      messages.address,
    ],
  ];

  it.each(cases)('refuses %s with its message', (_label, code, message) => {
    expect(parseInvite(code)).toEqual({ ok: false, message });
  });

  it('refuses more than 10 signaling addresses', () => {
    const r = parseInvite(codeOf(payload({ s: Array.from({ length: 11 }, (_, i) => `wss://s${i}.org`) })));
    expect(r.ok).toBe(false);
  });

  // No base64 text of length 4n+1 decodes: a code cut to that length once said "characters an invite never
  // has"; it is incomplete, and says so.
  it('a code whose bytes are not UTF-8 is refused, not read with replacement characters', () => {
    // A well-formed payload, but the network id's bytes hold one that is no UTF-8 (0xff) where a
    // letter was: read leniently it would become U+FFFD and pass for text.
    const bytes = new TextEncoder().encode(JSON.stringify(payload({ n: 'k3v9q2m7x1c8b4zX' })));
    const at = bytes.indexOf('X'.charCodeAt(0));
    bytes[at] = 0xff;
    expect(parseInvite('LARDER1-' + toBase64Url(bytes))).toEqual({ ok: false, message: messages.incomplete });
    // The same payload, valid, is read.
    expect(parseInvite(codeOf(payload({})))).toMatchObject({ ok: true });
  });

  it('a code cut short to a length of 4n+1 base64 characters says it is incomplete', () => {
    const body = CODE.slice('LARDER1-'.length);
    const cut = body.slice(0, body.length - ((body.length - 1) % 4));
    expect(cut.length % 4).toBe(1);
    expect(parseInvite(`LARDER1-${cut}`)).toEqual({ ok: false, message: messages.incomplete });
  });

  it('property: no text makes parseInvite throw, and anything it accepts is well formed', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `LARDER1-${s}`),
          fc.uint8Array({ maxLength: 200 }).map((b) => `LARDER1-${toBase64Url(b)}`),
          fc.integer({ min: 0, max: CODE.length }).map((n) => CODE.slice(0, n)),
        ),
        (text) => {
          const r = parseInvite(text);
          if (r.ok) {
            expect(r.invite.key.length).toBe(32);
            expect(r.invite.networkId).toMatch(/^[0-9a-z]{4,16}$/);
          } else expect(Object.values(messages)).toContainEqual(r.message);
        },
      ),
      fcOptions(),
    );
  });

  it('a signed network’s invite says so, with the admin who anchors it when it is not the founder', () => {
    const signed = { ...INVITE, signed: true };
    expect(parseInvite(encodeInvite(signed))).toEqual({ ok: true, invite: signed });
    const anchored = { ...INVITE, signed: true, anchor: 'adm1n0000000000x' };
    expect(parseInvite(encodeInvite(anchored))).toEqual({ ok: true, invite: anchored });
    // An anchor only means something on a signed network: an unsigned invite carries none (not in its code either).
    expect(encodeInvite({ ...INVITE, anchor: 'adm1n0000000000x' })).toBe(CODE);
    expect(parseInvite(encodeInvite({ ...INVITE, anchor: 'adm1n0000000000x' }))).toEqual({
      ok: true,
      invite: INVITE,
    });
    expect(parseInvite(codeOf(payload({ a: 'adm1n0000000000x' })))).toEqual({
      ok: true,
      invite: { ...INVITE, signaling: [] },
    });
    expect(parseInvite(codeOf(payload({ t: 2 })))).toEqual({ ok: false, message: messages.newer });
  });

  describe('relays', () => {
    const RELAYS = ['ws://192.168.1.20:4455', 'wss://relay.example.org/larder'];
    const signed = { ...INVITE, signed: true };

    it('a signed network’s invite carries the inviter’s relays', () => {
      const invite = { ...signed, relays: RELAYS };
      expect(parseInvite(encodeInvite(invite))).toEqual({ ok: true, invite });
    });

    it('an invite without relays, as every invite before them, still reads, with none', () => {
      expect(parseInvite(encodeInvite(signed))).toEqual({ ok: true, invite: signed });
      expect(parseInvite(encodeInvite({ ...signed, relays: [] }))).toEqual({ ok: true, invite: signed });
      // The payload an older version wrote, key for key.
      expect(parseInvite(codeOf(payload({ t: 1 })))).toEqual({
        ok: true,
        invite: { ...signed, signaling: [] },
      });
    });

    it('an unsigned network has no relay: its invite carries none, and one that says so is read without', () => {
      // The code shown holds no relay address at all (it is the code of the same invite without them).
      expect(encodeInvite({ ...INVITE, relays: RELAYS })).toBe(CODE);
      expect(parseInvite(encodeInvite({ ...INVITE, relays: RELAYS }))).toEqual({ ok: true, invite: INVITE });
      expect(parseInvite(codeOf(payload({ r: RELAYS })))).toEqual({
        ok: true,
        invite: { ...INVITE, signaling: [] },
      });
    });

    it('names a relay once', () => {
      expect(parseInvite(codeOf(payload({ t: 1, r: [RELAYS[0], RELAYS[0], RELAYS[1]] })))).toEqual({
        ok: true,
        invite: { ...signed, signaling: [], relays: RELAYS },
      });
    });

    it.each([
      ['an http:// address', ['http://relay.example.org']],
      ['an address with a password', ['wss://user:pw@relay.example.org']],
      ['an address with a fragment', ['wss://relay.example.org/#x']],
      ['not a URL', ['relay.example.org:4455']],
      ['an address too long', [`wss://${'a'.repeat(200)}.org`]],
      ['not a list', 'wss://relay.example.org'],
      ['not text', [4455]],
    ])('refuses a relay that is %s, as a bad address', (_label, r) => {
      expect(parseInvite(codeOf(payload({ t: 1, r })))).toEqual({ ok: false, message: messages.address });
    });

    it(`refuses more than ${MAX_RELAYS} relays`, () => {
      const r = Array.from({ length: MAX_RELAYS + 1 }, (_, i) => `wss://r${i}.example.org`);
      expect(parseInvite(codeOf(payload({ t: 1, r }))).ok).toBe(false);
      expect(parseInvite(codeOf(payload({ t: 1, r: r.slice(1) }))).ok).toBe(true);
    });

    it('property: any list of relays within the bound round-trips', () => {
      const urlArb = fc
        .tuple(fc.constantFrom('ws', 'wss'), fc.domain(), fc.integer({ min: 1, max: 65535 }))
        .map(([scheme, host, port]) => `${scheme}://${host}:${port}/`);
      fc.assert(
        fc.property(fc.uniqueArray(urlArb, { minLength: 1, maxLength: MAX_RELAYS }), (relays) => {
          const invite = { ...signed, relays };
          expect(parseInvite(encodeInvite(invite))).toEqual({ ok: true, invite });
        }),
        fcOptions(),
      );
    });
  });

  it('a pre-approval travels as its parts and comes back as the token the admin signed', async () => {
    const admin = await testDevice(1);
    const token = await signPreApproval(
      { t: 'pre', net: INVITE.networkId, id: 'tok12345abc', role: 'coordinator', exp: Date.UTC(2025, 0, 2) },
      admin.id,
      admin.keys.privateKey,
    );
    const invite = { ...INVITE, signed: true, preApproval: token };
    const code = encodeInvite(invite);
    const parsed = parseInvite(code);
    expect(parsed).toEqual({ ok: true, invite });
    // Its signature still holds for the joining device to present.
    const back = parsed.ok ? parsed.invite.preApproval! : token;
    expect(await verify(admin.key, opMessage(back.p), back.s)).toBe(true);
    // As parts, not as the signed text: the code stays short enough for a QR code.
    expect(code.length).toBeLessThan(encodeInvite(INVITE).length + 260);
    const wrongParts = payload({ p: ['tok12345abc', 'admin', 1, admin.id, back.s] });
    expect(parseInvite(codeOf(wrongParts))).toEqual({ ok: false, message: messages.newer });
  });
});
