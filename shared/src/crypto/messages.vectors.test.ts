import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, fromBase64Url, fromHex, toBase64Url, toHex, utf8 } from '../encoding';
import { canonicalBytes, labelled } from './canonical';
import { sealDirect, openDirect } from './directMessage';
import { openPeer, sealPeer } from './peerBox';
import { openSenderKey, sealSenderKey } from './keyDistribution';
import { KDF_CONTEXT, LABEL } from './labels';
import { decryptMessage, encryptMessage } from './messageCipher';
import { paddedLength, padToBucket } from './padding';
import { createMemoryReceiveState, installSenderKey } from './receiveState';
import { createOwnSenderChain, stateHead, stepChainKey } from './senderKeyChain';
import { createSessionKey, verifySessionKey } from './sessionKey';
import { initCrypto, sodium } from './sodium';
import type { IdentityKeyPair, RosterState } from './types';
import vectors from './vectors/messages.vectors.json';

beforeAll(initCrypto);

const V = vectors;
const ctx = V.context;
function identity(seedHex: string): IdentityKeyPair {
  const kp = sodium().crypto_sign_seed_keypair(fromHex(seedHex));
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}
const setup = () => {
  const A = identity(V.identities.A.seedHex);
  const B = identity(V.identities.B.seedHex);
  const skA = createSessionKey(A, ctx.groupId, ctx.sessionId, { seed: fromHex(V.sessionKeys.A.seedHex), generation: V.sessionKeys.A.generation });
  const skB = createSessionKey(B, ctx.groupId, ctx.sessionId, { seed: fromHex(V.sessionKeys.B.seedHex), generation: V.sessionKeys.B.generation });
  const chain = createOwnSenderChain(
    { ...ctx, sender: toBase64Url(A.publicKey), nowMs: 0 },
    { chainKey: fromHex(V.chain.chainKeyHex), signingSeed: fromHex(V.chain.signingSeedHex), keyId: fromHex(V.chain.keyIdHex) },
  );
  // The sender has since verified a newer roster (epoch 7): headers and sealed keys state it beside the chain's own.
  stateHead(chain, V.head);
  return { A, B, skA, skB, chain };
};

describe('message vectors', () => {
  it('session keys: key pair from seed, signature bytes', () => {
    const { A, B, skA, skB } = setup();
    expect(toBase64Url(A.publicKey)).toBe(V.identities.A.memberId);
    expect(toBase64Url(B.publicKey)).toBe(V.identities.B.memberId);
    expect(skA.signed).toEqual(V.sessionKeys.A.signed);
    expect(skB.signed).toEqual(V.sessionKeys.B.signed);
    expect(toHex(skA.keyPair.publicKey)).toBe(V.sessionKeys.A.publicKeyHex);
    // Independently: Ed25519 over LABEL.SESSION_KEY || 0x00 || canonical(body).
    const sig = sodium().crypto_sign_detached(labelled(LABEL.SESSION_KEY, V.sessionKeys.A.signed.body), A.secretKey);
    expect(toBase64Url(sig)).toBe(V.sessionKeys.A.signed.sig);
    expect(toHex(verifySessionKey(V.sessionKeys.B.signed, { ...ctx, member: V.identities.B.memberId }))).toBe(V.sessionKeys.B.publicKeyHex);
  });

  it('kdf chain steps', () => {
    let ck = fromHex(V.kdfSteps[0]!.chainKeyHex);
    for (const step of V.kdfSteps) {
      expect(toHex(ck)).toBe(step.chainKeyHex);
      const mk = sodium().crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.MESSAGE_KEY, ck);
      expect(toHex(mk)).toBe(step.messageKeyHex);
      expect(toHex(stepChainKey(ck).messageKey)).toBe(step.messageKeyHex);
      ck = sodium().crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.CHAIN_KEY, ck);
    }
  });

  it('sealed sender key with a fixed nonce', () => {
    const { B, skA, skB, chain } = setup();
    expect(chain.keyId).toBe(V.chain.keyId);
    expect(toHex(chain.signingKeyPair.publicKey)).toBe(V.chain.signingPublicKeyHex);
    const sealed = sealSenderKey(chain, { member: toBase64Url(B.publicKey), sessionPk: skB.keyPair.publicKey }, skA.keyPair, { nonce: fromHex(V.sealedSenderKey.nonceHex) });
    expect(sealed).toEqual(V.sealedSenderKey.sealed);
    // Independently: crypto_box_easy of label || 0x00 || chainKey || canonical(inner).
    const inner = canonicalBytes({
      v: 2, groupId: ctx.groupId, sessionId: ctx.sessionId, epoch: ctx.epoch, rosterHash: ctx.rosterHash, headEpoch: V.head.epoch, headHash: V.head.hash, keyId: V.chain.keyId,
      sender: V.identities.A.memberId, recipient: V.identities.B.memberId, counter: 0, signingPk: toBase64Url(fromHex(V.chain.signingPublicKeyHex)),
    });
    const pt = concatBytes(utf8(LABEL.SENDER_KEY_DISTRIBUTION), new Uint8Array([0]), fromHex(V.chain.chainKeyHex), inner);
    const box = sodium().crypto_box_easy(pt, fromHex(V.sealedSenderKey.nonceHex), skB.keyPair.publicKey, skA.keyPair.secretKey);
    expect(toBase64Url(box)).toBe(V.sealedSenderKey.sealed.box);
    const got = openSenderKey(V.sealedSenderKey.sealed, skA.keyPair.publicKey, skB.keyPair, V.identities.B.memberId);
    expect(toHex(got.chainKey)).toBe(V.chain.chainKeyHex);
    expect(got.head).toEqual(V.head);
  });

  it('envelopes for a fixed chain key, signing seed and nonce; they decrypt', () => {
    const { B, skA, skB, chain } = setup();
    const sealed = sealSenderKey(chain, { member: toBase64Url(B.publicKey), sessionPk: skB.keyPair.publicKey }, skA.keyPair);
    V.messages.forEach((m, i) => {
      const env = encryptMessage(chain, { type: m.type as 'chat' | 'signal', ttl: m.ttl }, utf8(m.plaintextUtf8), { nonce: fromHex(m.nonceHex) });
      expect(env).toEqual(m.envelope);
      // Independently: AEAD under the step's message key with label || 0x00 || canonical(header) as AD, then Ed25519.
      const padded = sodium().pad(utf8(m.plaintextUtf8), 256);
      const ct = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(padded, labelled(LABEL.MESSAGE_AD, m.envelope.header), null, fromHex(m.nonceHex), fromHex(V.kdfSteps[i]!.messageKeyHex));
      expect(toBase64Url(ct)).toBe(m.envelope.ct);
      const sig = sodium().crypto_sign_detached(labelled(LABEL.MESSAGE_SIGNATURE, { header: m.envelope.header, nonce: m.envelope.nonce, ct: m.envelope.ct }), sodium().crypto_sign_seed_keypair(fromHex(V.chain.signingSeedHex)).privateKey);
      expect(toBase64Url(sig)).toBe(m.envelope.sig);
    });
    const roster: RosterState = {
      groupId: ctx.groupId, epoch: V.head.epoch, head: V.head.hash, creator: V.identities.A.memberId,
      members: [V.identities.A.memberId, V.identities.B.memberId].sort().map((id) => ({ id, role: 'facilitator' as const, muted: false })),
      banned: [], locked: false, policy: { expirySeconds: 600, slowModeSeconds: 0, muteAllButFacilitators: false },
      session: { id: ctx.sessionId, open: true }, rekeyEpoch: ctx.epoch, invites: [], revokedInvites: [],
    };
    const rx = createMemoryReceiveState(ctx.groupId, ctx.sessionId);
    installSenderKey(rx, openSenderKey(sealed, skA.keyPair.publicKey, skB.keyPair, V.identities.B.memberId), 0);
    for (const m of V.messages) expect(new TextDecoder().decode(decryptMessage(rx, roster, m.envelope, 0).plaintext)).toBe(m.plaintextUtf8);
  });

  it('padded lengths and padded bytes', () => {
    for (const p of V.padding) expect([p.length, paddedLength(p.length)]).toEqual([p.length, p.padded]);
    expect(toHex(padToBucket(fromHex(V.paddedBytes.plaintextHex)))).toBe(V.paddedBytes.paddedHex);
  });

  it('direct box with a fixed nonce', () => {
    const { B, skA, skB } = setup();
    const box = sealDirect(skA.keyPair, { member: toBase64Url(B.publicKey), sessionPk: skB.keyPair.publicKey }, { ...ctx, from: V.identities.A.memberId }, utf8(V.directBox.plaintextUtf8), { nonce: fromHex(V.directBox.nonceHex) });
    expect(box).toEqual(V.directBox.box);
    const out = openDirect(V.directBox.box, skA.keyPair.publicKey, skB.keyPair, { ...ctx, me: V.identities.B.memberId });
    expect(new TextDecoder().decode(out.plaintext)).toBe(V.directBox.plaintextUtf8);
    expect(fromBase64Url(V.directBox.box.box).length).toBeGreaterThan(256);
  });

  it('peer box with a fixed nonce', () => {
    const { B, skA, skB } = setup();
    const content = V.peerBox.content as { kind: 'head-request'; since: number };
    const box = sealPeer(skA.keyPair, { member: toBase64Url(B.publicKey), sessionPk: skB.keyPair.publicKey }, { ...ctx, from: V.identities.A.memberId }, content, { nonce: fromHex(V.peerBox.nonceHex) });
    expect(box).toEqual(V.peerBox.box);
    expect(openPeer(V.peerBox.box, skA.keyPair.publicKey, skB.keyPair, { ...ctx, me: V.identities.B.memberId })).toEqual({ from: V.identities.A.memberId, content });
  });
});
