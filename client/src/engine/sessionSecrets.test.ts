import { beforeAll, describe, expect, it } from 'vitest';
import {
  applyRosterEntry,
  createGenesis,
  createSessionKey,
  generateIdentity,
  initCrypto,
  memberIdOf,
  signAcceptance,
  signRosterEntry,
  type IdentityKeyPair,
  type RosterState,
} from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { SessionSecrets } from './sessionSecrets';

const id16 = (n: number): string => toBase64Url(new Uint8Array(16).fill(n));

describe('SessionSecrets', () => {
  let fac: IdentityKeyPair;
  let alice: IdentityKeyPair;
  let stranger: IdentityKeyPair;
  let roster: RosterState;
  const groupId = id16(1);
  const sessionId = id16(2);

  beforeAll(async () => {
    await initCrypto();
    fac = generateIdentity();
    alice = generateIdentity();
    stranger = generateIdentity();
    let s = applyRosterEntry(null, createGenesis(fac, groupId, { expirySeconds: 600, slowModeSeconds: 0, muteAllButFacilitators: false }));
    s = applyRosterEntry(s, signRosterEntry(s, { type: 'admit', member: memberIdOf(alice.publicKey) }, fac));
    roster = applyRosterEntry(s, signRosterEntry(s, { type: 'sessionOpen', sessionId }, fac));
  });

  const secretsOf = (ik: IdentityKeyPair): SessionSecrets => {
    const me = memberIdOf(ik.publicKey);
    const acceptance = signAcceptance(ik, { groupId, sessionId, rulesDigest: toBase64Url(new Uint8Array(32)), agreement: true });
    return new SessionSecrets(groupId, sessionId, me, acceptance, ik);
  };

  it('refuses a session key not signed by the member it names', () => {
    const s = secretsOf(fac);
    const other = createSessionKey(stranger, groupId, sessionId).signed;
    expect(() => s.addPeer(memberIdOf(alice.publicKey), other)).toThrow();
    expect(s.peers.size).toBe(0);
  });

  it('seals the chain to present roster members only, once each, and the recipient installs it', () => {
    const f = secretsOf(fac);
    const a = secretsOf(alice);
    const x = secretsOf(stranger);
    f.addPeer(a.me, a.signedKey);
    f.addPeer(x.me, x.signedKey); // present (a knocker, say) but not in the roster
    const sealed = f.rekey(roster, 0);
    expect(sealed.map((b) => b.to)).toEqual([a.me]);
    expect(f.sealForNewcomers(roster)).toEqual([]); // already sealed to everyone eligible
    a.addPeer(f.me, f.signedKey);
    expect(a.openSealed(sealed[0]!, 0)).toBe('installed');
    expect(a.openSealed(sealed[0]!, 0)).toBe('duplicate');
    // Without the sender's session key the box waits.
    const b = secretsOf(alice);
    expect(b.openSealed(sealed[0]!, 0)).toBe('no-peer-key');
  });

  it('a newcomer gets the current chain only when the roster admits it', () => {
    const f = secretsOf(fac);
    const x = secretsOf(stranger);
    f.rekey(roster, 0);
    f.addPeer(x.me, x.signedKey);
    expect(f.sealForNewcomers(roster)).toEqual([]);
    const admitted = applyRosterEntry(roster, signRosterEntry(roster, { type: 'admit', member: x.me }, fac));
    const sealed = f.sealForNewcomers(admitted);
    expect(sealed.map((b) => b.to)).toEqual([x.me]);
  });

  it('wipe erases the keys and forgets everything', () => {
    const f = secretsOf(fac);
    const a = secretsOf(alice);
    f.addPeer(a.me, a.signedKey);
    f.rekey(roster, 0);
    const chainKey = f.chain!.chainKey;
    const sessionSecret = f.keyPair.secretKey;
    f.wipe();
    expect(f.chain).toBeNull();
    expect(f.peers.size).toBe(0);
    expect(chainKey.every((v) => v === 0)).toBe(true);
    expect(sessionSecret.every((v) => v === 0)).toBe(true);
    expect(() => f.rekey(roster, 0)).toThrow(expect.objectContaining({ code: 'SESSION_NOT_OPEN' }));
  });
});
