import { describe, expect, it } from 'vitest';
import {
  addKnock,
  addMessage,
  emptySession,
  expireMessages,
  expiryMs,
  initialState,
  nameKnock,
  phaseOf,
  passRound,
  setHand,
  setPresent,
  startRound,
  talkShare,
  type ChatMessage,
  type EngineState,
  type Knocker,
} from './state';

const A = 'A'.repeat(43);
const B = 'B'.repeat(43);
const C = 'C'.repeat(43);

function msg(sender: string, counter: number, text: string, expiresAt = 1_000): ChatMessage {
  return { id: `${sender}:k:${counter}`, sender, text, receivedAt: 0, expiresAt, own: false };
}

describe('session reducers', () => {
  it('drops a replayed message silently and counts talk share once', () => {
    let s = emptySession('g', 's', 'joined');
    s = addMessage(s, msg(A, 0, 'hello'));
    const again = addMessage(s, msg(A, 0, 'hello'));
    expect(again).toBe(s);
    expect(s.talk[A]).toEqual({ messages: 1, characters: 5 });
  });

  it('derives talk share including silent present members', () => {
    let s = emptySession('g', 's', 'joined');
    s = setPresent(setPresent(setPresent(s, A, true), B, true), C, true);
    s = addMessage(s, msg(A, 0, 'abc'));
    s = addMessage(s, msg(A, 1, 'a'));
    s = addMessage(s, msg(B, 0, 'abcd'));
    const share = Object.fromEntries(talkShare(s).map((t) => [t.member, t]));
    expect(share[A]).toMatchObject({ messages: 2, characters: 4, messageShare: 2 / 3, characterShare: 0.5 });
    expect(share[B]).toMatchObject({ messages: 1, messageShare: 1 / 3 });
    expect(share[C]).toMatchObject({ messages: 0, messageShare: 0, characterShare: 0 });
  });

  it('counts characters as code points, not UTF-16 units', () => {
    const s = addMessage(emptySession('g', 's', 'joined'), msg(A, 0, '🙂🙂'));
    expect(s.talk[A]?.characters).toBe(2);
  });

  it('expires messages at their own instant and keeps the rest', () => {
    let s = emptySession('g', 's', 'joined');
    s = addMessage(s, msg(A, 0, 'early', 100));
    s = addMessage(s, msg(A, 1, 'late', 200));
    expect(expireMessages(s, 99).messages).toHaveLength(2);
    expect(expireMessages(s, 100).messages.map((m) => m.text)).toEqual(['late']);
    expect(expireMessages(s, 200).messages).toHaveLength(0);
  });

  it('takes the stricter of sender ttl and group policy', () => {
    const policy = { expirySeconds: 60, slowModeSeconds: 0, muteAllButFacilitators: false };
    expect(expiryMs(30, policy)).toBe(30_000);
    expect(expiryMs(3600, policy)).toBe(60_000);
  });

  it('keeps hands in raise order and clears them when a member leaves', () => {
    let s = setPresent(setPresent(emptySession('g', 's', 'joined'), A, true), B, true);
    s = setHand(setHand(s, B, true), A, true);
    expect(s.hands).toEqual([B, A]);
    s = setPresent(s, B, false);
    expect(s.hands).toEqual([A]);
  });

  it('passes the talking stick in order, to a named member, and past the end', () => {
    let s = startRound(emptySession('g', 's', 'joined'), { id: 'r', kind: 'check-in', order: [A, B, C], startedBy: A });
    expect(s.round?.current).toBe(0);
    s = passRound(s, 'r');
    expect(s.round?.current).toBe(1);
    s = passRound(s, 'r', A);
    expect(s.round?.current).toBe(0);
    expect(passRound(s, 'other')).toBe(s);
    s = passRound(passRound(passRound(s, 'r', C), 'r'), 'r');
    expect(s.round?.current).toBeNull();
  });

  it('names a knock, keeps the name when the relay repeats the knock, and takes it off on request', () => {
    const knock = (member: string): Knocker => ({ member, agreement: true, rulesDigest: 'd', currentRules: true, invite: { id: 'i' } });
    let s = addKnock(addKnock(emptySession('g', 's', 'joined'), knock(A)), knock(B));
    expect(nameKnock(s, C, 'Nobody')).toBe(s); // no knock from C: no change
    s = nameKnock(s, A, 'Robin');
    expect(s.knocks.map((k) => k.name)).toEqual(['Robin', undefined]);
    expect(nameKnock(s, A, 'Robin')).toBe(s);
    s = addKnock(s, knock(A)); // repeated by the relay (a reconnect, another node)
    expect(s.knocks.find((k) => k.member === A)?.name).toBe('Robin');
    s = nameKnock(s, A, undefined);
    expect(s.knocks.find((k) => k.member === A)).toEqual(knock(A));
  });
});

describe('phaseOf', () => {
  const ME = 'M'.repeat(43);
  const sessionId = 'S'.repeat(22);
  const card = {
    v: 2 as const, groupId: 'G'.repeat(22), name: 'Circle', groundRules: 'r', codeOfConduct: 'c', confidentialityLimits: 'l',
    crisisResources: 'x', expirySeconds: 3600, requireSignedAgreement: true, revision: 1, signer: A, salt: 'Q'.repeat(43),
  };
  function at(opts: { open?: boolean; accepted?: boolean; status?: 'waiting' | 'joined'; entering?: boolean; closed?: 'removed' } = {}): EngineState {
    return {
      ...initialState(ME),
      entering: opts.entering ?? false,
      closedReason: opts.closed ?? null,
      group: {
        groupId: card.groupId,
        card,
        epochCode: 'ABCD',
        acceptedSession: opts.accepted ? sessionId : null,
        roster: {
          groupId: card.groupId, epoch: 3, head: 'h', creator: A, banned: [], locked: false, rekeyEpoch: 0, invites: [], revokedInvites: [],
          policy: { expirySeconds: 600, slowModeSeconds: 0, muteAllButFacilitators: false },
          members: [{ id: A, role: 'facilitator', muted: false }],
          session: opts.open ? { id: sessionId, open: true } : null,
        },
      },
      session: opts.status ? emptySession(card.groupId, sessionId, opts.status) : null,
    };
  }

  it('follows an invite through the rules, the waiting room and the session to its end', () => {
    expect(phaseOf(at())).toBe('no-session');
    expect(phaseOf(at({ open: true }))).toBe('card');
    expect(phaseOf(at({ open: true, accepted: true }))).toBe('accepted');
    expect(phaseOf(at({ open: true, accepted: true, entering: true }))).toBe('entering');
    expect(phaseOf(at({ open: true, accepted: true, status: 'waiting' }))).toBe('waiting');
    expect(phaseOf(at({ open: true, accepted: true, status: 'joined' }))).toBe('in-session');
    expect(phaseOf(at({ open: true, closed: 'removed' }))).toBe('closed');
    expect(phaseOf({ ...at(), group: null })).toBe('idle');
  });
});
