/**
 * Engine states for component tests: real `EngineState` values (the type the engine publishes), built the way the
 * engine builds them, so a screen is tested against exactly what it will be given.
 */
import type { RosterState } from '@kindred/shared/crypto';
import type { GroupCardBody, Role } from '@kindred/shared/protocol';
import { emptySession, initialState, phaseOf, type EngineState, type SessionView } from '../engine';

export const ME = 'M'.repeat(43);
export const ALICE = 'A'.repeat(43);
export const BOB = 'B'.repeat(43);
export const GROUP = 'G'.repeat(22);
export const SESSION = 'S'.repeat(22);

export const CARD: GroupCardBody = {
  v: 2,
  groupId: GROUP,
  name: 'Tuesday circle',
  groundRules: 'What is said here stays here.',
  codeOfConduct: 'Be kind.',
  confidentialityLimits: 'Duty to report serious harm.',
  crisisResources: 'Call 112 in an emergency.',
  expirySeconds: 3600,
  requireSignedAgreement: true,
  revision: 1,
  signer: ALICE,
  salt: 'Q'.repeat(43),
};

export interface RosterMember {
  id: string;
  role: Role;
  muted: boolean;
}

export function roster(members: RosterMember[], patch: Partial<RosterState> = {}): RosterState {
  return {
    groupId: GROUP,
    epoch: members.length,
    head: 'h'.repeat(43),
    creator: ALICE,
    banned: [],
    locked: false,
    policy: { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false },
    rekeyEpoch: 0,
    invites: [],
    revokedInvites: [],
    members,
    session: { id: SESSION, open: true },
    ...patch,
  };
}

/** With the phase the engine would derive. */
export function withPhase(s: EngineState): EngineState {
  return { ...s, phase: phaseOf(s) };
}

/** An invite was opened: the card is verified, the rules of the open session not yet accepted. */
export function cardOpen(): EngineState {
  return withPhase({
    ...initialState(ME),
    connection: 'ready',
    group: { groupId: GROUP, card: CARD, roster: roster([{ id: ALICE, role: 'facilitator', muted: false }]), epochCode: 'ABCD EFGH', acceptedSession: null },
  });
}

/** Me (a member, or the facilitator), Alice and Bob in a live session. */
export function inSession(role: Role = 'member', opts: { me?: Partial<RosterMember>; session?: Partial<SessionView>; roster?: Partial<RosterState> } = {}): EngineState {
  const members: RosterMember[] = [
    { id: ME, role, muted: false, ...opts.me },
    { id: ALICE, role: role === 'member' ? 'facilitator' : 'member', muted: false },
    { id: BOB, role: 'member', muted: false },
  ];
  const session: SessionView = {
    ...emptySession(GROUP, SESSION, 'joined'),
    present: [ALICE, BOB, ME].sort(),
    names: { [ME]: 'Me', [ALICE]: 'Alice', [BOB]: 'Bob' },
    ...opts.session,
  };
  return withPhase({
    ...initialState(ME),
    connection: 'ready',
    group: { groupId: GROUP, card: CARD, roster: roster(members, opts.roster), epochCode: 'ABCD EFGH', acceptedSession: SESSION },
    session,
  });
}
