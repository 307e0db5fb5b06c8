import { beforeAll, describe, expect, it } from 'vitest';
import { openSenderKey } from './keyDistribution';
import { createPairwiseKeys } from './pairwiseBox';
import { REKEY_AFTER_MESSAGES, REKEY_AFTER_MS, needsRekey, rekey, sealToMembers } from './rekeyPolicy';
import { advanceOwnChain } from './senderKeyChain';
import { initCrypto, wipe } from './sodium';
import { nextRoster, setupGroup, startChain, type Peer } from './groupFixture.testkit';
import { codeOf } from './testkit';
import { MAX_FORWARD_JUMP } from './receiveState';

beforeAll(initCrypto);

describe('rekey policy', () => {
  it('asks for a new chain after a removal, leave or ban, a session change, N messages and T minutes; not after an admit', () => {
    const g = setupGroup(2);
    const [a] = g.peers as [Peer];
    const chain = startChain(a, g.roster, 1_000);
    expect(needsRekey(chain, g.roster, 1_000)).toBeNull();
    expect(needsRekey(chain, nextRoster(g.roster, g.roster.members, false), 1_000)).toBeNull(); // admit, mute, ...
    expect(needsRekey(chain, nextRoster(g.roster, g.roster.members, true), 1_000)).toBe('roster');
    expect(needsRekey(chain, { ...g.roster, session: { id: g.sessionId, open: false } }, 1_000)).toBe('session');
    expect(needsRekey(chain, { ...g.roster, session: null }, 1_000)).toBe('session');
    expect(needsRekey(chain, g.roster, 1_000 + REKEY_AFTER_MS - 1)).toBeNull();
    expect(needsRekey(chain, g.roster, 1_000 + REKEY_AFTER_MS)).toBe('age');
    for (let i = 0; i < REKEY_AFTER_MESSAGES - 1; i++) wipe(advanceOwnChain(chain).messageKey);
    expect(needsRekey(chain, g.roster, 1_000)).toBeNull();
    wipe(advanceOwnChain(chain).messageKey);
    expect(needsRekey(chain, g.roster, 1_000)).toBe('messages');
    expect(REKEY_AFTER_MESSAGES).toBeLessThanOrEqual(MAX_FORWARD_JUMP);
  });

  it('makes a new chain at the current epoch, wipes the old one and seals the new one to the members only', () => {
    const g = setupGroup(4);
    const [a, b, c, gone] = g.peers as [Peer, Peer, Peer, Peer];
    const after = nextRoster(g.roster, g.roster.members.filter((m) => m.id !== gone.id), true);
    const old = a.chain;
    const pw = createPairwiseKeys(a.session.keyPair);
    const recipients = [b, c].map((p) => ({ member: p.id, sessionPk: p.sessionPk }));
    const { chain, sealed } = rekey({ old, roster: after, sender: a.id, recipients, me: pw, nowMs: 5 });
    expect(old.wiped).toBe(true);
    expect(old.chainKey.every((x) => x === 0)).toBe(true);
    expect([chain.epoch, chain.rosterHash, chain.counter, chain.createdAt]).toEqual([after.epoch, after.head, 0, 5]);
    expect(needsRekey(chain, after, 5)).toBeNull();
    expect(sealed.map((s) => s.to)).toEqual([b.id, c.id]);
    expect(openSenderKey(sealed[0], a.sessionPk, b.session.keyPair, b.id).chainKey).toEqual(chain.chainKey);
    // A removed member, or the sender itself, is never a recipient.
    expect(codeOf(() => sealToMembers(chain, after, [{ member: gone.id, sessionPk: gone.sessionPk }], pw))).toBe('NOT_MEMBER');
    expect(codeOf(() => sealToMembers(chain, after, [{ member: a.id, sessionPk: a.sessionPk }], pw))).toBe('NOT_MEMBER');
    expect(codeOf(() => rekey({ roster: { ...after, session: null }, sender: a.id, recipients: [], me: pw, nowMs: 0 }))).toBe('SESSION_NOT_OPEN');
  });
});
