import { describe, expect, it } from 'vitest';
import type { EngineState } from '../engine';
import { describeChange, toSnapshot, type AdapterExtras } from './engineAdapter';

const ME = 'M'.repeat(43);
const ALICE = 'A'.repeat(43);
const extras = (patch: Partial<AdapterExtras> = {}): AdapterExtras => ({ entering: false, closedReason: null, invites: [], verified: new Set(), notices: [], talk: [], ...patch });

const card = {
  v: 1 as const, groupId: 'G'.repeat(22), name: 'Circle', groundRules: 'r', codeOfConduct: 'c', confidentialityLimits: 'l',
  crisisResources: 'x', expirySeconds: 3600, requireSignedAgreement: true, revision: 1, signer: ALICE,
};
const policy = { expirySeconds: 600, slowModeSeconds: 0, muteAllButFacilitators: false };

function state(opts: { open?: boolean; accepted?: boolean; status?: 'waiting' | 'joined' | null } = {}): EngineState {
  const sessionId = 'S'.repeat(22);
  return {
    me: ME,
    connection: 'ready',
    invalidPushes: 0,
    warnings: [],
    group: {
      groupId: card.groupId,
      card,
      epochCode: 'ABCD',
      acceptedSession: opts.accepted ? sessionId : null,
      roster: {
        groupId: card.groupId, epoch: 3, head: 'h', creator: ALICE, banned: [], locked: false, policy, rekeyEpoch: 0,
        members: [{ id: ALICE, role: 'facilitator', muted: false }, { id: ME, role: 'member', muted: true }],
        session: opts.open ? { id: sessionId, open: true } : null,
      },
    },
    session: opts.status
      ? { groupId: card.groupId, sessionId, status: opts.status, messages: [], present: [ALICE, ME], names: { [ALICE]: 'Alice' }, typing: [], hands: [ME], round: { id: 'r', kind: 'check-in', order: [ALICE, ME], current: 1, startedBy: ALICE }, knocks: [], talk: {}, directs: [] }
      : null,
  };
}

describe('toSnapshot', () => {
  it('derives the phase: no session, rules to accept, accepted, waiting, in session, closed', () => {
    expect(toSnapshot(state(), extras()).phase).toBe('no-session');
    expect(toSnapshot(state({ open: true }), extras()).phase).toBe('card');
    expect(toSnapshot(state({ open: true, accepted: true }), extras()).phase).toBe('accepted');
    expect(toSnapshot(state({ open: true, accepted: true }), extras({ entering: true })).phase).toBe('entering');
    expect(toSnapshot(state({ open: true, accepted: true, status: 'waiting' }), extras()).phase).toBe('waiting');
    expect(toSnapshot(state({ open: true, accepted: true, status: 'joined' }), extras()).phase).toBe('in-session');
    expect(toSnapshot(state({ open: true }), extras({ closedReason: 'removed' }))).toMatchObject({ phase: 'closed', closedReason: 'removed' });
    expect(toSnapshot({ ...state(), group: null }, extras()).phase).toBe('idle');
  });

  it('maps roster, names, mutes, hands, the round and the policy expiry', () => {
    const s = toSnapshot(state({ open: true, accepted: true, status: 'joined' }), extras({ verified: new Set([ALICE]) }));
    expect(s.myRole).toBe('member');
    expect(s.roster.find((m) => m.memberId === ALICE)).toMatchObject({ displayName: 'Alice', role: 'facilitator', present: true, verified: true });
    expect(s.roster.find((m) => m.memberId === ME)).toMatchObject({ muted: true, handRaised: true });
    expect(s.round).toEqual({ kind: 'check-in', holder: ME, queue: [ME] });
    expect(s.card?.expirySeconds).toBe(600);
    expect(s.session?.expirySeconds).toBe(600);
    expect(s.epochCode).toBe('ABCD');
  });
});

describe('describeChange', () => {
  it('names people and announces expiry changes in plain words', () => {
    const name = (id: string) => (id === ALICE ? 'Alice' : 'Bob');
    expect(describeChange({ type: 'expiry', expirySeconds: 600 }, ALICE, name)).toBe(
      'Alice changed how long messages last: they now disappear after 10 minutes.',
    );
    expect(describeChange({ type: 'mute', member: ME }, ALICE, name)).toBe('Alice muted Bob.');
  });
});
