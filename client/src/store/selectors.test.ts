import { describe, expect, it } from 'vitest';
import { composerBlock, selectMembers, talkShareRows } from './selectors';
import { ALICE, BOB, ME, inSession } from '../testing/engineFixtures';

describe('talkShareRows', () => {
  it('gives each present member a share of messages and characters, silent members at zero', () => {
    const rows = talkShareRows(inSession('member', { session: { talk: { [ME]: { messages: 1, characters: 10 }, [ALICE]: { messages: 3, characters: 90 } } } }));
    const by = Object.fromEntries(rows.map((r) => [r.memberId, r]));
    expect(by[ME]?.messageShare).toBeCloseTo(0.25);
    expect(by[ME]?.characterShare).toBeCloseTo(0.1);
    expect(by[ALICE]?.messageShare).toBeCloseTo(0.75);
    expect(by[ALICE]?.characterShare).toBeCloseTo(0.9);
    expect(by[ALICE]?.flag).toBe('dominant');
    expect(by[BOB]).toMatchObject({ messages: 0, characters: 0, messageShare: 0, characterShare: 0, flag: 'silent' });
  });

  it('is all zero before anyone speaks', () => {
    expect(talkShareRows(inSession()).every((r) => r.messageShare === 0 && r.flag === 'silent')).toBe(true);
  });
});

describe('selectMembers', () => {
  it('returns the same list until the roster, the session or the verified list changes', () => {
    const s = inSession();
    const first = selectMembers(s);
    expect(selectMembers({ ...s, connection: 'disconnected' })).toBe(first);
    const typing = { ...s, session: { ...s.session!, typing: [BOB] } };
    expect(selectMembers(typing).find((m) => m.id === BOB)?.typing).toBe(true);
  });
});

describe('composerBlock', () => {
  it('lets a member write in a quiet session', () => {
    expect(composerBlock(inSession())).toBeNull();
  });
  it('blocks a muted member, members under mute-all, and anyone but the stick holder', () => {
    expect(composerBlock(inSession('member', { me: { muted: true } }))).toBe('muted');
    const policy = { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: true };
    expect(composerBlock(inSession('member', { roster: { policy } }))).toBe('mute-all');
    expect(composerBlock(inSession('facilitator', { roster: { policy } }))).toBeNull();
    const round = (current: number | null) => ({ id: 'r', kind: 'open' as const, order: [ALICE], current, startedBy: ALICE });
    expect(composerBlock(inSession('member', { session: { round: round(0) } }))).toBe('not-your-turn');
    expect(composerBlock(inSession('member', { session: { round: round(null) } }))).toBeNull();
  });
});
