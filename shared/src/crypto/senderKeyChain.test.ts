import { beforeAll, describe, expect, it } from 'vitest';
import { KDF_CONTEXT } from './labels';
import { advanceOwnChain, createOwnSenderChain, stepChainKey, wipeChain } from './senderKeyChain';
import { initCrypto, sodium } from './sodium';
import { hash32, id16 } from './groupFixture.testkit';
import { codeOf } from './testkit';

beforeAll(initCrypto);

const ctx = () => ({ groupId: id16(), sessionId: id16(), epoch: 4, rosterHash: hash32(), sender: hash32(), nowMs: 1234 });

describe('sender key chain', () => {
  it('starts with fresh random keys, counter 0 and the caller-supplied time', () => {
    const a = createOwnSenderChain(ctx());
    const b = createOwnSenderChain(ctx());
    expect(a.counter).toBe(0);
    expect(a.createdAt).toBe(1234);
    expect(a.chainKey).not.toEqual(b.chainKey);
    expect(a.signingKeyPair.publicKey).not.toEqual(b.signingKeyPair.publicKey);
    expect(a.keyId).not.toBe(b.keyId);
    expect(a.keyId).toHaveLength(22);
  });

  it('refuses a malformed context once, at creation (MALFORMED)', () => {
    expect(codeOf(() => createOwnSenderChain({ ...ctx(), groupId: 'short' }))).toBe('MALFORMED');
    expect(codeOf(() => createOwnSenderChain({ ...ctx(), epoch: -1 }))).toBe('MALFORMED');
    expect(codeOf(() => createOwnSenderChain({ ...ctx(), sender: 'x' }))).toBe('MALFORMED');
  });

  it('derives the message key and the next chain key with two distinct KDF contexts, and wipes the old chain key', () => {
    const chain = createOwnSenderChain(ctx());
    const ck0 = chain.chainKey;
    const copy = Uint8Array.from(ck0);
    const { counter, messageKey } = advanceOwnChain(chain);
    expect(counter).toBe(0);
    expect(chain.counter).toBe(1);
    expect(messageKey).toEqual(sodium().crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.MESSAGE_KEY, copy));
    expect(chain.chainKey).toEqual(sodium().crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.CHAIN_KEY, copy));
    expect(messageKey).not.toEqual(chain.chainKey);
    expect(ck0.every((b) => b === 0)).toBe(true);
    const step = stepChainKey(copy);
    expect(step.messageKey).toEqual(messageKey);
  });

  it('erases everything at wipeChain and refuses to send after', () => {
    const chain = createOwnSenderChain(ctx());
    wipeChain(chain);
    expect(chain.chainKey.every((b) => b === 0)).toBe(true);
    expect(chain.signingKeyPair.secretKey.every((b) => b === 0)).toBe(true);
    expect(codeOf(() => advanceOwnChain(chain))).toBe('BAD_REQUEST');
  });
});
