import { beforeAll, describe, expect, it } from 'vitest';
import { sealDirect } from './directMessage';
import { setupGroup, type Peer } from './groupFixture.testkit';
import { HeadWatch, ASK_PEERS_AFTER_MS, PEER_SEND_INTERVAL_MS, WITHHELD_AFTER_MS } from './headWatch';
import { openPeer, sealPeer } from './peerBox';
import { initCrypto } from './sodium';
import { codeOf } from './testkit';

beforeAll(initCrypto);

describe('peer box', () => {
  it('round-trips a head request between two members, and refuses another recipient, a tampered box, a direct box', () => {
    const g = setupGroup(3);
    const [a, b, c] = g.peers as [Peer, Peer, Peer];
    const ctx = { groupId: g.groupId, sessionId: g.sessionId, from: a.id };
    const box = sealPeer(a.session.keyPair, { member: b.id, sessionPk: b.sessionPk }, ctx, { kind: 'head-request', since: 4 });
    expect(box.v).toBe(2);
    const exp = { groupId: g.groupId, sessionId: g.sessionId, me: b.id };
    expect(openPeer(box, a.sessionPk, b.session.keyPair, exp).content).toEqual({ kind: 'head-request', since: 4 });
    expect(codeOf(() => openPeer(box, a.sessionPk, c.session.keyPair, { ...exp, me: c.id }))).toBe('WRONG_KEY');
    expect(codeOf(() => openPeer({ ...box, box: box.box.replace(/^./, (x) => (x === 'A' ? 'B' : 'A')) }, a.sessionPk, b.session.keyPair, exp))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => openPeer({ ...box, v: 1 }, a.sessionPk, b.session.keyPair, exp))).toBe('BAD_VERSION');
    // A direct box between the same keys has another label: never taken for a peer box.
    const direct = sealDirect(a.session.keyPair, { member: b.id, sessionPk: b.sessionPk }, ctx, new Uint8Array(10));
    expect(codeOf(() => openPeer({ ...direct, v: 2 }, a.sessionPk, b.session.keyPair, exp))).toBe('MALFORMED');
    // Content that is not PeerContent is refused before sealing.
    expect(codeOf(() => sealPeer(a.session.keyPair, { member: b.id, sessionPk: b.sessionPk }, ctx, { kind: 'entries', entries: [] }))).toBe('MALFORMED');
  });
});

describe('HeadWatch', () => {
  const mine = { epoch: 5, hash: 'H5' };
  const hashAt = (e: number) => `H${e}`;

  it('same / behind / ahead, and a fork at a known epoch', () => {
    const w = new HeadWatch();
    expect(w.observe(mine, mine, 'x', 0, hashAt)).toEqual({ kind: 'same' });
    expect(w.observe(mine, { epoch: 3, hash: 'H3' }, 'x', 0, hashAt)).toEqual({ kind: 'behind', since: 3 });
    expect(codeOf(() => w.observe(mine, { epoch: 3, hash: 'other' }, 'x', 0, hashAt))).toBe('ROSTER_FORK');
    expect(codeOf(() => w.observe(mine, { epoch: 5, hash: 'other' }, 'x', 0, hashAt))).toBe('ROSTER_FORK');
    expect(w.observe(mine, { epoch: 7, hash: 'H7' }, 'y', 100, hashAt)).toEqual({ kind: 'ahead' });
    expect(w.proof).toEqual({ head: { epoch: 7, hash: 'H7' }, from: 'y', since: 100 });
    expect(codeOf(() => w.observe(mine, { epoch: 7, hash: 'X7' }, 'z', 100, hashAt))).toBe('ROSTER_FORK');
  });

  it('holds older messages, asks peers then warns at the bounds, clears on catching up (or reports a fork)', () => {
    const w = new HeadWatch();
    w.observe(mine, { epoch: 7, hash: 'H7' }, 'y', 0, hashAt);
    expect(w.holds({ epoch: 6, hash: 'H6' })).toBe(true);
    expect(w.holds({ epoch: 7, hash: 'H7' })).toBe(false);
    expect(w.due(ASK_PEERS_AFTER_MS - 1)).toBeNull();
    expect(w.due(ASK_PEERS_AFTER_MS)).toBe('ask-peers');
    expect(w.due(WITHHELD_AFTER_MS - 1)).toBeNull();
    expect(w.withheld).toBe(false);
    expect(w.due(WITHHELD_AFTER_MS)).toBe('withheld');
    expect(w.withheld).toBe(true);
    w.caughtUp({ epoch: 6, hash: 'H6' }, hashAt); // not there yet
    expect(w.withheld).toBe(true);
    w.caughtUp({ epoch: 7, hash: 'H7' }, hashAt);
    expect([w.proof, w.withheld]).toEqual([null, false]);
    w.observe(mine, { epoch: 8, hash: 'H8' }, 'y', 0, hashAt);
    expect(codeOf(() => w.caughtUp({ epoch: 8, hash: 'H8' }, () => 'another'))).toBe('ROSTER_FORK');
  });

  it('sends to one peer at most once per interval', () => {
    const w = new HeadWatch();
    expect(w.maySendTo('p', 0)).toBe(true);
    expect(w.maySendTo('p', PEER_SEND_INTERVAL_MS - 1)).toBe(false);
    expect(w.maySendTo('q', 1)).toBe(true);
    expect(w.maySendTo('p', PEER_SEND_INTERVAL_MS)).toBe(true);
  });
});
