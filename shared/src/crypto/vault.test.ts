import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import type { VaultContent } from '../protocol/vault';
import { fingerprint } from './identity';
import { createGenesis, signRosterEntry, applyRosterEntry } from './roster';
import { initCrypto } from './sodium';
import { expectCode, GROUP, POLICY, seededIdentity } from './testkit';
import type { IdentityKeyPair } from './types';
import { emptyVault, openVault, sealVault, VAULT_BUCKETS } from './vault';

let me: IdentityKeyPair, other: IdentityKeyPair;
beforeAll(async () => {
  await initCrypto();
  me = seededIdentity(1);
  other = seededIdentity(2);
});

/** A vault with `n` groups whose rosters each have `entries` entries. */
function content(n: number, entries = 2): VaultContent {
  const groups = Array.from({ length: n }, (_, i) => {
    const groupId = toBase64Url(new Uint8Array(16).fill(i + 1));
    const chain = [createGenesis(me, groupId, POLICY)];
    let state = applyRosterEntry(null, chain[0]);
    for (let k = 1; k < entries; k++) {
      const e = signRosterEntry(state, { type: 'lock', on: k % 2 === 1 }, me);
      chain.push(e);
      state = applyRosterEntry(state, e);
    }
    return { groupId, creatorFingerprint: fingerprint(me.publicKey), name: `Group name ${i}`, roster: chain, card: null, invites: [{ inviteId: groupId, secret: toBase64Url(new Uint8Array(32).fill(9)) }], usedAt: i };
  });
  return { v: 1, groups };
}

describe('device vault', () => {
  it('round-trips, and nothing of the content is readable in the record', () => {
    const c = content(2);
    const sealed = sealVault(me, c);
    expect(openVault(me, sealed)).toEqual(c);
    const text = JSON.stringify(sealed);
    for (const needle of [GROUP, c.groups[0]!.groupId, 'Group name', c.groups[0]!.invites[0]!.secret, c.groups[0]!.roster[0]!.sig, fingerprint(me.publicKey)]) {
      expect(text).not.toContain(needle);
    }
    expect(Object.keys(sealed).sort()).toEqual(['ct', 'nonce', 'v']);
    expect(openVault(me, sealVault(me, emptyVault()))).toEqual(emptyVault());
  });

  it('pads to a bucket: no group, one or two make records of the same size; larger ones a bucket of powers of four', () => {
    const sizes = [0, 1, 2].map((n) => fromBase64Url(sealVault(me, content(n)).ct).length);
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBe(VAULT_BUCKETS[0]! + 16);
    expect(VAULT_BUCKETS.map((b) => b + 16)).toContain(fromBase64Url(sealVault(me, content(20, 10)).ct).length);
  });

  it("refuses another identity's vault, any changed byte, another version and junk", () => {
    const sealed = sealVault(me, content(1));
    expectCode(() => openVault(other, sealed), 'DECRYPT_FAILED');
    const ct = fromBase64Url(sealed.ct);
    for (const at of [0, ct.length >> 1, ct.length - 1]) {
      const bad = Uint8Array.from(ct);
      bad[at]! ^= 1;
      expectCode(() => openVault(me, { ...sealed, ct: toBase64Url(bad) }), 'DECRYPT_FAILED');
    }
    const nonce = fromBase64Url(sealed.nonce);
    nonce[0]! ^= 1;
    expectCode(() => openVault(me, { ...sealed, nonce: toBase64Url(nonce) }), 'DECRYPT_FAILED');
    expectCode(() => openVault(me, { ...sealed, v: 2 }), 'BAD_VERSION');
    for (const junk of [null, 'x', {}, { ...sealed, extra: 1 }, { ...sealed, ct: '' }]) expectCode(() => openVault(me, junk), 'MALFORMED');
  });

  it('refuses content that does not match its schema (MALFORMED) before sealing', () => {
    const c = content(1);
    expectCode(() => sealVault(me, { ...c, groups: [{ ...c.groups[0]!, name: 'x'.repeat(121) }] }), 'MALFORMED');
    expectCode(() => sealVault(me, { ...c, groups: [{ ...c.groups[0]!, roster: [] }] }), 'MALFORMED');
  });
});
