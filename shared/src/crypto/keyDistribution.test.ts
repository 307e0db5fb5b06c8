import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import { SealedSenderKey } from '../protocol/objects';
import { sealDirect } from './directMessage';
import { openSenderKey, sealSenderKey } from './keyDistribution';
import { createPairwiseKeys } from './pairwiseBox';
import { wipe, initCrypto, sodium } from './sodium';
import { advanceOwnChain } from './senderKeyChain';
import { setupGroup, type Peer } from './groupFixture.testkit';
import { codeOf } from './testkit';

beforeAll(initCrypto);

describe('sealed sender keys', () => {
  it('carries the chain key and counter as they are now, not the initial ones', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    for (let i = 0; i < 3; i++) wipe(advanceOwnChain(a.chain).messageKey);
    const sealed = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair);
    expect(sealed).toMatchObject({ v: 2, groupId: g.groupId, sessionId: g.sessionId, from: a.id, to: b.id, keyId: a.chain.keyId });
    expect(SealedSenderKey.safeParse(sealed).success).toBe(true);
    expect(codeOf(() => sealSenderKey(a.chain, { member: 'not-a-member-id', sessionPk: b.sessionPk }, a.session.keyPair))).not.toBe('none');
    const got = openSenderKey(sealed, a.sessionPk, b.session.keyPair, b.id);
    expect(got.counter).toBe(3);
    expect(got.chainKey).toEqual(a.chain.chainKey);
    expect(got.signingPk).toEqual(a.chain.signingKeyPair.publicKey);
    expect(got).toMatchObject({ epoch: a.chain.epoch, rosterHash: a.chain.rosterHash, head: a.chain.head, sender: a.id, recipient: b.id });
  });

  it('is a crypto_box_easy from the sender session key (same bytes through the pairwise cache), not a sealed box', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const nonce = sodium().randombytes_buf(24);
    const pw = createPairwiseKeys(a.session.keyPair);
    const direct = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair, { nonce });
    const cached = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, pw, { nonce });
    expect(cached).toEqual(direct);
    const inner = sodium().crypto_box_open_easy(fromBase64Url(direct.box), nonce, a.sessionPk, b.session.keyPair.secretKey);
    expect(new TextDecoder().decode(inner.subarray(0, 34))).toBe('kindred/v1/sender-key-distribution');
    pw.wipe();
  });

  it('refuses a key for another member (WRONG_KEY), from another session key or altered (DECRYPT_FAILED)', () => {
    const g = setupGroup(3);
    const [a, b, c] = g.peers as [Peer, Peer, Peer];
    const sealed = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair);
    expect(codeOf(() => openSenderKey(sealed, a.sessionPk, c.session.keyPair, c.id))).toBe('WRONG_KEY');
    // c claims to be a (its own session key is not a's): the box does not authenticate.
    expect(codeOf(() => openSenderKey(sealed, c.sessionPk, b.session.keyPair, b.id))).toBe('DECRYPT_FAILED');
    const box = fromBase64Url(sealed.box);
    box[box.length - 1]! ^= 1;
    expect(codeOf(() => openSenderKey({ ...sealed, box: toBase64Url(box) }, a.sessionPk, b.session.keyPair, b.id))).toBe('DECRYPT_FAILED');
    const nonce = fromBase64Url(sealed.nonce);
    nonce[0]! ^= 1;
    expect(codeOf(() => openSenderKey({ ...sealed, nonce: toBase64Url(nonce) }, a.sessionPk, b.session.keyPair, b.id))).toBe('DECRYPT_FAILED');
  });

  it('refuses routing fields that differ from the inner ones (MALFORMED)', () => {
    const g = setupGroup(3);
    const [a, b] = g.peers as [Peer, Peer, Peer];
    const sealed = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair);
    const other = setupGroup(1);
    for (const change of [{ keyId: other.groupId }, { groupId: other.groupId }, { sessionId: other.sessionId }, { from: other.peers[0]!.id }]) {
      expect([change, codeOf(() => openSenderKey({ ...sealed, ...change }, a.sessionPk, b.session.keyPair, b.id))]).toEqual([change, 'MALFORMED']);
    }
    expect(codeOf(() => openSenderKey({ ...sealed, v: 1 }, a.sessionPk, b.session.keyPair, b.id))).toBe('BAD_VERSION');
  });

  it('refuses a direct box presented as a sender key, though both are boxes between the same keys (MALFORMED)', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const d = sealDirect(a.session.keyPair, { member: b.id, sessionPk: b.sessionPk }, { groupId: g.groupId, sessionId: g.sessionId, from: a.id }, new Uint8Array(10));
    const asKey = { v: 2, groupId: g.groupId, sessionId: g.sessionId, from: a.id, to: b.id, keyId: a.chain.keyId, nonce: d.nonce, box: d.box };
    expect(codeOf(() => openSenderKey(asKey, a.sessionPk, b.session.keyPair, b.id))).toBe('MALFORMED');
  });
});
