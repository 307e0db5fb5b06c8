/**
 * Engine clients (KindredClient) against a relay under test: creation with a known identity, event-driven waiting
 * (a state subscription, never a fixed sleep; a generous safety timeout only turns a hang into a failure), and a
 * facilitated session with members admitted through the invite and the waiting room.
 */
import { expect } from 'vitest';
import { generateIdentity, initCrypto, type IdentityKeyPair, type RosterStorage } from '@kindred/shared/crypto';
import type { RosterPolicy } from '@kindred/shared/protocol';
import { KindredClient, type CardFields, type Clock, type EngineEvents, type EngineState, type GroupStorage } from '@kindred/client/engine';

// Captured at load, before any test fakes the globals.
const setNativeTimeout = globalThis.setTimeout.bind(globalThis);
const clearNativeTimeout = globalThis.clearTimeout.bind(globalThis);

export interface ClientOptions {
  name?: string;
  identity?: IdentityKeyPair;
  clock?: Clock;
  requestTimeoutMs?: number;
  rosterStorage?: RosterStorage;
  groupStorage?: GroupStorage;
  rekeyAfterMs?: number;
  /** Present members up to which a rekey after a removal is eager (KindredClientOptions); 0 makes it always lazy. */
  eagerRekeyMaxPresent?: number;
}

export async function newClient(relay: { url: string }, opts: ClientOptions = {}): Promise<KindredClient> {
  await initCrypto();
  const client = await KindredClient.create({
    url: relay.url,
    identity: opts.identity ?? generateIdentity(),
    ...(opts.name ? { displayName: opts.name } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.rosterStorage ? { rosterStorage: opts.rosterStorage } : {}),
    ...(opts.groupStorage ? { groupStorage: opts.groupStorage } : {}),
    ...(opts.rekeyAfterMs ? { rekeyAfterMs: opts.rekeyAfterMs } : {}),
    ...(opts.eagerRekeyMaxPresent !== undefined ? { eagerRekeyMaxPresent: opts.eagerRekeyMaxPresent } : {}),
    requestTimeoutMs: opts.requestTimeoutMs ?? 5_000,
    socketOptions: { forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 250, useNativeTimers: true },
  });
  await client.connect();
  return client;
}

/** Resolves once `predicate(state)` holds (checked now and after every change). */
export function until(client: KindredClient, predicate: (s: EngineState) => boolean, what = 'condition', timeoutMs = 20_000): Promise<EngineState> {
  const now = client.getState();
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setNativeTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = client.subscribe((s) => {
      if (!predicate(s)) return;
      off();
      clearNativeTimeout(timer);
      resolve(s);
    });
  });
}

/** Resolves with the next event `name` whose payload matches. */
export function nextEvent<K extends keyof EngineEvents & string>(
  client: KindredClient,
  name: K,
  match: (p: EngineEvents[K]) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<EngineEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setNativeTimeout(() => {
      off();
      reject(new Error(`timed out waiting for event ${name}`));
    }, timeoutMs);
    const off = client.on(name, (p) => {
      if (!match(p)) return;
      off();
      clearNativeTimeout(timer);
      resolve(p);
    });
  });
}

export const texts = (client: KindredClient): string[] => (client.getState().session?.messages ?? []).map((m) => m.text);
export const warnings = (client: KindredClient): string[] => client.getState().warnings.map((w) => w.code);

export const policy = (over: Partial<RosterPolicy> = {}): RosterPolicy => ({
  expirySeconds: 3600,
  slowModeSeconds: 0,
  muteAllButFacilitators: false,
  ...over,
});

export function card(over: Partial<CardFields> = {}): CardFields {
  return {
    name: 'Evening circle',
    groundRules: 'What is said here stays here.',
    codeOfConduct: 'Be kind.',
    confidentialityLimits: 'Facilitators must report a risk of serious harm.',
    crisisResources: 'Call your local crisis line.',
    requireSignedAgreement: true,
    ...over,
  };
}

export interface Session {
  facilitator: KindredClient;
  members: KindredClient[];
  fragment: string;
  groupId: string;
  all: KindredClient[];
}

/**
 * A facilitator with a group and an open session it joined, and `members` clients admitted through the invite.
 * `clientOptions` apply to every client; the facilitator's and each member's own options come on top.
 */
export async function sessionWith(
  relay: { url: string },
  members: number | ClientOptions[],
  opts: { card?: Partial<CardFields>; policy?: Partial<RosterPolicy>; facilitator?: ClientOptions; clientOptions?: ClientOptions } = {},
): Promise<Session> {
  const facilitator = await newClient(relay, { name: 'Facilitator', ...opts.clientOptions, ...opts.facilitator });
  const { fragment, groupId } = await facilitator.createGroup(card(opts.card), policy(opts.policy));
  await facilitator.openSession();
  facilitator.acceptRules(true);
  expect(await facilitator.enterSession()).toBe('joined');
  const specs = typeof members === 'number' ? Array.from({ length: members }, (_, i) => ({ name: `Member ${i}` })) : members;
  const joined: KindredClient[] = [];
  for (const spec of specs) {
    const m = await newClient(relay, { ...opts.clientOptions, ...spec });
    await admitThroughInvite(facilitator, m, fragment);
    joined.push(m);
  }
  // Everyone sees everyone before a test starts sending.
  for (const c of [facilitator, ...joined]) {
    await until(c, (s) => [facilitator, ...joined].every((o) => s.session?.present.includes(o.me) ?? false), 'everyone present');
  }
  return { facilitator, members: joined, fragment, groupId, all: [facilitator, ...joined] };
}

/** `member` opens the invite, accepts the rules, knocks; `facilitator` admits it; both see it joined. */
export async function admitThroughInvite(facilitator: KindredClient, member: KindredClient, fragment: string): Promise<void> {
  await member.openInvite(fragment);
  member.acceptRules(true);
  const knocked = until(facilitator, (s) => s.session?.knocks.some((k) => k.member === member.me) ?? false, 'knock');
  expect(await member.enterSession()).toBe('waiting');
  await knocked;
  await facilitator.admit(member.me);
  await until(member, (s) => s.session?.status === 'joined' && s.session.present.includes(facilitator.me), 'admitted');
  await until(facilitator, (s) => s.session?.present.includes(member.me) ?? false, 'present');
}

/**
 * Sends `text` from `from` and waits until every client in `to` shows it. The sender's own socket order makes this
 * a barrier: anything the relay pushed to `to` before it has been handled.
 */
export async function sendAndSee(from: KindredClient, text: string, to: KindredClient[]): Promise<void> {
  await from.send(text);
  for (const c of to) await until(c, () => texts(c).includes(text), `${text} delivered`);
}

export function closeAll(clients: (KindredClient | undefined)[]): void {
  for (const c of clients) c?.close();
}

/** Resolves once `predicate()` holds, checked every 20 ms (for conditions outside an engine's state). */
export async function waitFor(predicate: () => boolean, what = 'condition', timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setNativeTimeout(resolve, 20));
  }
}
