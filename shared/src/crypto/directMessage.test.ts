import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, utf8 } from '../encoding';
import { openDirect, sealDirect, sealToFacilitators } from './directMessage';
import { sealSenderKey } from './keyDistribution';
import { initCrypto } from './sodium';
import { id16, setupGroup, type Peer } from './groupFixture.testkit';
import { codeOf } from './testkit';

beforeAll(initCrypto);

describe('direct boxes to facilitators', () => {
  it('round-trips to each facilitator, padded to a bucket', () => {
    const g = setupGroup(3);
    const [f, a] = g.peers as [Peer, Peer];
    const ctx = { groupId: g.groupId, sessionId: g.sessionId, from: a.id };
    const [box] = sealToFacilitators(a.session.keyPair, g.roster, [{ member: f.id, sessionPk: f.sessionPk }], ctx, utf8("I'm struggling"));
    expect(box).toMatchObject({ v: 1, from: a.id, to: f.id });
    // Box = prefix + meta + 0x00 + 256-byte bucket + 16-byte tag: a short note and a 200-byte one look the same.
    const long = sealDirect(a.session.keyPair, { member: f.id, sessionPk: f.sessionPk }, ctx, new Uint8Array(200));
    expect(fromBase64Url(long.box).length).toBe(fromBase64Url(box!.box).length);
    const out = openDirect(box, a.sessionPk, f.session.keyPair, { groupId: g.groupId, sessionId: g.sessionId, me: f.id });
    expect(out.from).toBe(a.id);
    expect(new TextDecoder().decode(out.plaintext)).toBe("I'm struggling");
  });

  it('refuses a recipient who is not a facilitator (NOT_FACILITATOR) and a note over 16,383 bytes', () => {
    const g = setupGroup(3);
    const [f, a, b] = g.peers as [Peer, Peer, Peer];
    const ctx = { groupId: g.groupId, sessionId: g.sessionId, from: a.id };
    expect(codeOf(() => sealToFacilitators(a.session.keyPair, g.roster, [{ member: b.id, sessionPk: b.sessionPk }], ctx, utf8('x')))).toBe('NOT_FACILITATOR');
    expect(codeOf(() => sealDirect(a.session.keyPair, { member: f.id, sessionPk: f.sessionPk }, ctx, new Uint8Array(16_384)))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses another session (WRONG_SESSION), another recipient (WRONG_KEY), a forged or altered box (DECRYPT_FAILED)', () => {
    const g = setupGroup(3);
    const [f, a, b] = g.peers as [Peer, Peer, Peer];
    const ctx = { groupId: g.groupId, sessionId: g.sessionId, from: a.id };
    const box = sealDirect(a.session.keyPair, { member: f.id, sessionPk: f.sessionPk }, ctx, utf8('report'));
    const exp = { groupId: g.groupId, sessionId: g.sessionId, me: f.id };
    expect(codeOf(() => openDirect(box, a.sessionPk, f.session.keyPair, { ...exp, sessionId: id16() }))).toBe('WRONG_SESSION');
    expect(codeOf(() => openDirect(box, a.sessionPk, b.session.keyPair, { ...exp, me: b.id }))).toBe('WRONG_KEY');
    expect(codeOf(() => openDirect(box, b.sessionPk, f.session.keyPair, exp))).toBe('DECRYPT_FAILED');
    const bytes = fromBase64Url(box.box);
    bytes[5]! ^= 0x10;
    expect(codeOf(() => openDirect({ ...box, box: toBase64Url(bytes) }, a.sessionPk, f.session.keyPair, exp))).toBe('DECRYPT_FAILED');
    // Outer `from` rewritten to another member: the inner copy still says a.
    expect(codeOf(() => openDirect({ ...box, from: b.id }, a.sessionPk, f.session.keyPair, exp))).toBe('MALFORMED');
  });

  it('refuses a sender-key box presented as a direct box (MALFORMED)', () => {
    const g = setupGroup(2);
    const [f, a] = g.peers as [Peer, Peer];
    const sealed = sealSenderKey(a.chain, { member: f.id, sessionPk: f.sessionPk }, a.session.keyPair);
    const asDirect = { v: 1, groupId: g.groupId, sessionId: g.sessionId, from: a.id, to: f.id, nonce: sealed.nonce, box: sealed.box };
    expect(codeOf(() => openDirect(asDirect, a.sessionPk, f.session.keyPair, { groupId: g.groupId, sessionId: g.sessionId, me: f.id }))).toBe('MALFORMED');
  });
});
