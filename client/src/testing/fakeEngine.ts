/**
 * A scripted engine for component tests: it records every call and lets a test set the snapshot directly.
 * It implements the same EngineLike contract as the real adapter; it does no crypto and no I/O.
 */
import { KindredError, type ErrorCode } from '@kindred/shared/errors';
import { EMPTY_SNAPSHOT, type EngineLike, type EngineSnapshot, type MemberView } from '../store/engineLike';
import { setEngineFactory, startEngine } from '../store/engineHost';

export interface Call {
  method: string;
  args: unknown[];
}

export class FakeEngine implements EngineLike {
  calls: Call[] = [];
  wiped = false;
  /** When set, the next call to this method throws a KindredError with the code. */
  failNext: { method: string; code: ErrorCode } | null = null;
  private snapshot: EngineSnapshot = { ...EMPTY_SNAPSHOT, me: ME, connection: 'ready' };
  private readonly listeners = new Set<() => void>();

  getState(): EngineSnapshot {
    return this.snapshot;
  }
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(patch: Partial<EngineSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of [...this.listeners]) l();
  }

  private record(method: string, ...args: unknown[]): Promise<void> {
    this.calls.push({ method, args });
    if (this.failNext?.method === method) {
      const code = this.failNext.code;
      this.failNext = null;
      return Promise.reject(new KindredError(code));
    }
    return Promise.resolve();
  }
  called(method: string): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  createGroup = (input: unknown) => this.record('createGroup', input);
  createInvite = async () => {
    await this.record('createInvite');
    return { inviteId: 'inv', fragment: 'frag', revoked: false };
  };
  revokeInvite = (id: string) => this.record('revokeInvite', id);
  openInvite = (fragment: string) => this.record('openInvite', fragment);
  acceptRules = (agreement: boolean) => this.record('acceptRules', agreement);
  enter = (name: string) => this.record('enter', name);
  openSession = () => this.record('openSession');
  closeSession = () => this.record('closeSession');
  admit = (m: string) => this.record('admit', m);
  deny = (m: string) => this.record('deny', m);
  mute = (m: string) => this.record('mute', m);
  unmute = (m: string) => this.record('unmute', m);
  muteAll = (on: boolean) => this.record('muteAll', on);
  remove = (m: string) => this.record('remove', m);
  ban = (m: string) => this.record('ban', m);
  promote = (m: string) => this.record('promote', m);
  lock = (on: boolean) => this.record('lock', on);
  slowMode = (s: number) => this.record('slowMode', s);
  expiry = (s: number) => this.record('expiry', s);
  send = (text: string) => this.record('send', text);
  sendSignal = (signal: unknown) => this.record('sendSignal', signal);
  sendDirect = (kind: string, text: string) => this.record('sendDirect', kind, text);
  safetyNumber = (memberId: string) => ({ digits: '12345 67890 12345', qrPayload: `kindred-sn:v1:${memberId}` });
  markVerified = (memberId: string) => void this.record('markVerified', memberId);
  acknowledgeClosed = () => void this.record('acknowledgeClosed');
  wipe = () => {
    this.wiped = true;
    this.calls.push({ method: 'wipe', args: [] });
  };
}

export const ME = 'M'.repeat(43);
export const ALICE = 'A'.repeat(43);
export const BOB = 'B'.repeat(43);

export function member(memberId: string, patch: Partial<MemberView> = {}): MemberView {
  return { memberId, displayName: '', role: 'member', muted: false, present: true, typing: false, handRaised: false, verified: false, ...patch };
}

export const CARD = {
  groupId: 'G'.repeat(22),
  name: 'Tuesday circle',
  groundRules: 'What is said here stays here.',
  codeOfConduct: 'Be kind.',
  confidentialityLimits: 'Duty to report serious harm.',
  crisisResources: 'Call 112 in an emergency.',
  expirySeconds: 3600,
  requireSignedAgreement: true,
};

/** Installs a fresh fake engine as the current engine and returns it. */
export function installFakeEngine(): FakeEngine {
  const fake = new FakeEngine();
  setEngineFactory(() => fake);
  startEngine({ publicKey: new Uint8Array(32), secretKey: new Uint8Array(64) });
  return fake;
}

/** A snapshot of a member (or facilitator) in a live session with Alice and Bob. */
export function inSession(role: 'member' | 'facilitator' = 'member', mePatch: Partial<MemberView> = {}): Partial<EngineSnapshot> {
  return {
    phase: 'in-session',
    myRole: role,
    card: CARD,
    session: { sessionId: 'S'.repeat(22), locked: false, slowModeSeconds: 0, muteAllButFacilitators: false, expirySeconds: 3600 },
    roster: [
      member(ME, { displayName: 'Me', role, ...mePatch }),
      member(ALICE, { displayName: 'Alice', role: role === 'member' ? 'facilitator' : 'member' }),
      member(BOB, { displayName: 'Bob' }),
    ],
  };
}
