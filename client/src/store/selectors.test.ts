import { describe, expect, it } from 'vitest';
import { composerBlock, talkShareRows } from './selectors';
import { EMPTY_SNAPSHOT, type EngineSnapshot } from './engineLike';
import { ALICE, BOB, ME, inSession } from '../testing/fakeEngine';

const snap = (patch: Partial<EngineSnapshot>): EngineSnapshot => ({ ...EMPTY_SNAPSHOT, me: ME, ...inSession(), ...patch });

describe('talkShareRows', () => {
  it('gives each present member a share of messages and characters, silent members at zero', () => {
    const rows = talkShareRows(
      snap({
        talkShare: [
          { memberId: ME, messages: 1, chars: 10 },
          { memberId: ALICE, messages: 3, chars: 90 },
        ],
      }),
    );
    const by = Object.fromEntries(rows.map((r) => [r.memberId, r]));
    expect(by[ME]?.messageShare).toBeCloseTo(0.25);
    expect(by[ME]?.charShare).toBeCloseTo(0.1);
    expect(by[ALICE]?.messageShare).toBeCloseTo(0.75);
    expect(by[ALICE]?.charShare).toBeCloseTo(0.9);
    expect(by[ALICE]?.flag).toBe('dominant');
    expect(by[BOB]).toMatchObject({ messages: 0, chars: 0, messageShare: 0, charShare: 0, flag: 'silent' });
  });

  it('is all zero before anyone speaks', () => {
    expect(talkShareRows(snap({ talkShare: [] })).every((r) => r.messageShare === 0 && r.flag === 'silent')).toBe(true);
  });
});

describe('composerBlock', () => {
  it('lets a member write in a quiet session', () => {
    expect(composerBlock(snap({}))).toBeNull();
  });
  it('blocks a muted member, members under mute-all, and anyone but the stick holder', () => {
    expect(composerBlock(snap(inSession('member', { muted: true })))).toMatch(/muted you/);
    const s = snap({});
    expect(composerBlock({ ...s, session: { ...s.session!, muteAllButFacilitators: true } })).toMatch(/Only the facilitators/);
    expect(composerBlock(snap({ ...inSession('facilitator'), session: { ...s.session!, muteAllButFacilitators: true } }))).toBeNull();
    expect(composerBlock(snap({ round: { kind: 'open', holder: ALICE, queue: [ALICE] } }))).toMatch(/talking stick/);
    expect(composerBlock(snap({ round: { kind: 'open', holder: null, queue: [] } }))).toBeNull();
  });
});
