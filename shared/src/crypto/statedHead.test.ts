/**
 * Protocol v2: the sender's current roster head in every header and sealed key, and the receiver's judgement at the
 * stricter of that head and its own (messageCipher.ts judgeStatedHead; docs/PROTOCOL.md part B, "Roster head").
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { utf8 } from '../encoding';
import { decryptMessage, encryptMessage } from './messageCipher';
import { openSenderKey, sealSenderKey } from './keyDistribution';
import { stateHead } from './senderKeyChain';
import { hash32, nextRoster, setupGroup, type Peer } from './groupFixture.testkit';
import { initCrypto } from './sodium';
import { codeOf } from './testkit';
import type { RosterState } from './types';

beforeAll(initCrypto);

const send = (p: Peer, s: string) => encryptMessage(p.chain, { type: 'chat', ttl: 600 }, utf8(s));

/** A roster history the receiver keeps: states by epoch, as RosterTracker.stateAt / hashAt give them. */
function history(...states: RosterState[]) {
  const by = new Map(states.map((s) => [s.epoch, s]));
  return { stateAt: (e: number) => by.get(e), rosterHashAt: (e: number) => by.get(e)?.head };
}

const withMute = (r: RosterState, id: string, muted: boolean, rekey = false): RosterState =>
  nextRoster(r, r.members.map((m) => (m.id === id ? { ...m, muted } : m)), rekey);

describe('the stated roster head', () => {
  it('is the chain epoch at first, moves only forward with stateHead, and travels in headers and sealed keys', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    expect(a.chain.head).toEqual({ epoch: g.roster.epoch, hash: g.roster.head });
    const later = nextRoster(g.roster, g.roster.members, false);
    stateHead(a.chain, { epoch: later.epoch, hash: later.head });
    const env = send(a, 'x');
    expect([env.header.headEpoch, env.header.headHash, env.header.epoch]).toEqual([later.epoch, later.head, g.roster.epoch]);
    const sealed = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair);
    expect(openSenderKey(sealed, a.sessionPk, b.session.keyPair, b.id).head).toEqual({ epoch: later.epoch, hash: later.head });
    // Never back, never another hash at the same epoch.
    expect(codeOf(() => stateHead(a.chain, { epoch: g.roster.epoch, hash: g.roster.head }))).toBe('BAD_REQUEST');
    expect(codeOf(() => stateHead(a.chain, { epoch: later.epoch, hash: hash32() }))).toBe('ROSTER_FORK');
    expect(codeOf(() => stateHead(a.chain, { epoch: later.epoch + 1, hash: 'not a hash' }))).toBe('MALFORMED');
  });

  it('a head ahead of the receiver is HEAD_AHEAD (kept, not shown), and decrypts once the receiver has it', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const later = nextRoster(g.roster, g.roster.members, false);
    stateHead(a.chain, { epoch: later.epoch, hash: later.head });
    const env = send(a, 'ahead');
    expect(codeOf(() => decryptMessage(b.rx, g.roster, env, 0))).toBe('HEAD_AHEAD');
    // Nothing burned: with the newer roster the same message opens.
    const out = decryptMessage(b.rx, later, env, 0, history(g.roster, later));
    expect(new TextDecoder().decode(out.plaintext)).toBe('ahead');
  });

  it('HEAD_AHEAD comes only after the signature: an unsigned header claiming a newer head is BAD_SIGNATURE', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const env = send(a, 'x');
    const forged = { ...env, header: { ...env.header, headEpoch: env.header.headEpoch + 5, headHash: hash32() } };
    expect(codeOf(() => decryptMessage(b.rx, g.roster, forged, 0))).toBe('BAD_SIGNATURE');
  });

  it('a head that names another roster at a known epoch is ROSTER_FORK', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const mine = nextRoster(g.roster, g.roster.members, false);
    const theirs = { ...mine, head: hash32() };
    stateHead(a.chain, { epoch: theirs.epoch, hash: theirs.head });
    expect(codeOf(() => decryptMessage(b.rx, mine, send(a, 'fork'), 0, history(g.roster, mine)))).toBe('ROSTER_FORK');
  });

  it('a head before the chain is MALFORMED, even when signed by the sender', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    a.chain.head = { epoch: g.roster.epoch - 1, hash: hash32() }; // a sender bypassing stateHead
    expect(codeOf(() => decryptMessage(b.rx, g.roster, send(a, 'x'), 0))).toBe('MALFORMED');
    const sealed = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair);
    expect(codeOf(() => openSenderKey(sealed, a.sessionPk, b.session.keyPair, b.id))).toBe('MALFORMED');
    a.chain.head = { epoch: g.roster.epoch, hash: hash32() }; // the chain's own epoch under another hash
    expect(codeOf(() => decryptMessage(b.rx, g.roster, send(a, 'y'), 0))).toBe('MALFORMED');
  });

  it('judges at the stricter of the two heads: muted at the sender’s head, refused after the unmute (written while muted)', () => {
    const g = setupGroup(3);
    const [, a, b] = g.peers as [Peer, Peer, Peer];
    const muted = withMute(g.roster, a.id, true);
    const unmuted = withMute(muted, a.id, false);
    // A writes while its roster says it is muted (a tampered client, or one the relay let through): its head says so.
    stateHead(a.chain, { epoch: muted.epoch, hash: muted.head });
    const env = send(a, 'written while muted');
    // Delivered after the unmute: B's own roster says A may speak, A's stated head says it was muted.
    expect(codeOf(() => decryptMessage(b.rx, unmuted, env, 0, history(g.roster, muted, unmuted)))).toBe('SENDER_MUTED');
    // The same message judged only at B's roster (no history) would have been shown: the old rule.
    expect(codeOf(() => decryptMessage(b.rx, unmuted, env, 0))).toBe('none');
  });

  it('judges every epoch between: a head from before the mute, delivered after the unmute, is refused too', () => {
    const g = setupGroup(3);
    const [, a, b] = g.peers as [Peer, Peer, Peer];
    const muted = withMute(g.roster, a.id, true);
    const unmuted = withMute(muted, a.id, false);
    const env = send(a, 'held across a mute'); // states g.roster's head, before the mute
    expect(codeOf(() => decryptMessage(b.rx, unmuted, env, 0, history(g.roster, muted, unmuted)))).toBe('SENDER_MUTED');
    // A mute-all with A a plain member counts as a mute as well.
    const all = nextRoster(g.roster, g.roster.members, false);
    const allOn = { ...all, policy: { ...all.policy, muteAllButFacilitators: true } };
    const allOff = nextRoster(allOn, allOn.members, false);
    expect(codeOf(() => decryptMessage(b.rx, { ...allOff, policy: g.roster.policy }, send(a, 'mute all'), 0, history(g.roster, allOn, { ...allOff, policy: g.roster.policy })))).toBe('SENDER_MUTED');
  });

  it('a sender removed after its head is refused even when the receiver sees it back (SENDER_NOT_IN_ROSTER)', () => {
    const g = setupGroup(3);
    const [, a, b] = g.peers as [Peer, Peer, Peer];
    const removed = nextRoster(g.roster, g.roster.members.filter((m) => m.id !== a.id), false);
    const back = nextRoster(removed, g.roster.members, false);
    expect(codeOf(() => decryptMessage(b.rx, back, send(a, 'x'), 0, history(g.roster, removed, back)))).toBe('SENDER_NOT_IN_ROSTER');
  });

  it('a head older than the states the receiver keeps is HEAD_TOO_OLD', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const later = nextRoster(nextRoster(g.roster, g.roster.members, false), g.roster.members, false);
    // The receiver no longer keeps the state at the sender's head (RosterTracker keeps ROSTER_STATE_WINDOW of them).
    expect(codeOf(() => decryptMessage(b.rx, later, send(a, 'old'), 0, history(later)))).toBe('HEAD_TOO_OLD');
  });
});
