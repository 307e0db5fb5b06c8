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
import { MAX_KEPT_SEALED_PER_SENDER } from '@kindred/shared/protocol';
import { SessionSecrets } from './sessionSecrets';
import { readSnapshot, takeSnapshot } from './sessionSnapshot';

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

  it('keeps what a reload needs: the sealed keys it installed, my chains sealed to myself, shown messages; wipe forgets it', () => {
    const f = secretsOf(fac);
    const a = secretsOf(alice);
    f.addPeer(a.me, a.signedKey);
    a.addPeer(f.me, f.signedKey);
    let changes = 0;
    a.onKeptChange = () => (changes += 1);
    for (let i = 0; i <= MAX_KEPT_SEALED_PER_SENDER; i++) {
      const [sealed] = f.rekey(roster, i);
      expect(a.openSealed(sealed!, i)).toBe('installed');
    }
    const own = a.rekey(roster, 0);
    expect(own.map((b) => b.to)).toEqual([f.me]); // sent to the others only; kept, sealed to myself, here
    const fromFac = [...a.kept.values()].filter((k) => k.sealed.from === f.me);
    expect(fromFac).toHaveLength(MAX_KEPT_SEALED_PER_SENDER); // the oldest dropped
    expect(fromFac.every((k) => k.senderKey === f.signedKey)).toBe(true);
    expect([...a.kept.values()].filter((k) => k.sealed.from === a.me && k.sealed.to === a.me)).toHaveLength(1);
    a.noteShown('m:k:0', 1234);
    expect(changes).toBeGreaterThan(MAX_KEPT_SEALED_PER_SENDER);

    // The snapshot as JSON, read back: the same session key from the seed, and the kept keys open in a fresh state.
    const snapshot = JSON.parse(JSON.stringify(takeSnapshot(a, null, []))) as unknown;
    const { seed, record } = readSnapshot(snapshot, { me: a.me, groupId, sessionId });
    const back = new SessionSecrets(groupId, sessionId, a.me, a.acceptance, alice, record, a.generation, seed);
    expect(back.signedKey).toEqual(a.signedKey);
    const kept = [...a.kept.values()];
    expect(kept.map((k) => back.reopenKept(k, 0))).toEqual(kept.map(() => 'installed'));
    expect(() => readSnapshot(snapshot, { me: f.me, groupId, sessionId })).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => readSnapshot(snapshot, { me: a.me, groupId, sessionId: id16(3) })).toThrow(expect.objectContaining({ code: 'SESSION_NOT_OPEN' }));

    const seedBytes = a.seed;
    a.wipe();
    expect(seedBytes.every((v) => v === 0)).toBe(true);
    expect(a.kept.size + a.shown.size).toBe(0);
    expect(a.onKeptChange).toBeNull();
  });
});
