/**
 * Integration support: the REAL relay (buildApp from '@kindred/server') on a temporary SQLite directory, its log
 * lines captured in memory, and engine clients (KindredClient) talking to it over real websockets. Waiting is
 * event-driven (a state subscription), never a fixed sleep.
 */
import { expect } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp, defaultConfig, type KindredApp } from '@kindred/server';
import { generateIdentity, initCrypto, type IdentityKeyPair, type RosterStorage } from '@kindred/shared/crypto';
import type { RosterPolicy } from '@kindred/shared/protocol';
import { KindredClient, type CardFields, type Clock, type EngineEvents, type EngineState } from '@kindred/client/engine';

export interface RelayUnderTest {
  url: string;
  port: number;
  dataDir: string;
  /** Every log line the relay wrote (all restarts). */
  logs: string[];
  app: KindredApp;
  restart(): Promise<void>;
  close(): Promise<void>;
  /** Every byte the relay keeps on disk (the SQLite file and its WAL/SHM), concatenated. */
  diskBytes(): Buffer;
}

export async function startRelay(opts: { bufferTtlSeconds?: number } = {}): Promise<RelayUnderTest> {
  await initCrypto();
  const dataDir = mkdtempSync(join(tmpdir(), 'kindred-it-'));
  const logs: string[] = [];
  const logStream = { write: (line: string) => void logs.push(line) };
  // The relay's own clock stays real even when a test fakes the engine's timers.
  const realNow = Date.now.bind(Date);
  const config = defaultConfig({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logLevel: 'debug',
    rateLimit: { perSecond: 1000, burst: 10_000 },
    ...(opts.bufferTtlSeconds !== undefined ? { bufferTtlSeconds: opts.bufferTtlSeconds } : {}),
  });
  const build = async (port: number): Promise<{ app: KindredApp; port: number }> => {
    const app = await buildApp({ ...config, port }, { logStream, now: realNow });
    await app.app.listen({ port, host: '127.0.0.1' });
    return { app, port: (app.app.server.address() as AddressInfo).port };
  };
  let current = await build(0);
  const relay: RelayUnderTest = {
    url: `http://127.0.0.1:${current.port}`,
    port: current.port,
    dataDir,
    logs,
    app: current.app,
    async restart() {
      await current.app.close();
      current = await build(relay.port);
      relay.app = current.app;
    },
    async close() {
      await current.app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    diskBytes() {
      return Buffer.concat(readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f))));
    },
  };
  return relay;
}

export interface ClientOptions {
  name?: string;
  identity?: IdentityKeyPair;
  rosterStorage?: RosterStorage;
  clock?: Clock;
  rekeyAfterMs?: number;
}

export async function newClient(relay: { url: string }, opts: ClientOptions = {}): Promise<KindredClient> {
  const client = await KindredClient.create({
    url: relay.url,
    identity: opts.identity ?? generateIdentity(),
    ...(opts.rosterStorage ? { rosterStorage: opts.rosterStorage } : {}),
    ...(opts.name ? { displayName: opts.name } : {}),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.rekeyAfterMs ? { rekeyAfterMs: opts.rekeyAfterMs } : {}),
    requestTimeoutMs: 5_000,
    // Native timers: the socket keeps working while a test fakes the engine's setTimeout.
    socketOptions: { forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 200, useNativeTimers: true },
  });
  await client.connect();
  return client;
}

/** Resolves once `predicate(state)` holds (checked now and after every change). */
export function until(client: KindredClient, predicate: (s: EngineState) => boolean, what = 'condition'): Promise<EngineState> {
  const now = client.getState();
  if (predicate(now)) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setNativeTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, 15_000);
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
): Promise<EngineEvents[K]> {
  return new Promise((resolve) => {
    const off = client.on(name, (p) => {
      if (!match(p)) return;
      off();
      resolve(p);
    });
  });
}

// Captured at load, before any test fakes the globals: the safety net of `until` must stay real.
const setNativeTimeout = globalThis.setTimeout.bind(globalThis);
const clearNativeTimeout = globalThis.clearTimeout.bind(globalThis);

export const texts = (client: KindredClient): string[] => (client.getState().session?.messages ?? []).map((m) => m.text);

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

/**
 * A facilitator with a group and an open session it has joined, and `members` engine clients admitted through the
 * invite and waiting room, each joined. Returns them all.
 */
export async function sessionWith(
  relay: RelayUnderTest,
  members: number,
  opts: { card?: Partial<CardFields>; policy?: Partial<RosterPolicy>; clientOptions?: ClientOptions } = {},
): Promise<{ facilitator: KindredClient; members: KindredClient[]; fragment: string; groupId: string }> {
  const facilitator = await newClient(relay, { name: 'Facilitator', ...opts.clientOptions });
  const { fragment, groupId } = await facilitator.createGroup(card(opts.card), policy(opts.policy));
  await facilitator.openSession();
  facilitator.acceptRules(true);
  expect(await facilitator.enterSession()).toBe('joined');
  const joined: KindredClient[] = [];
  for (let i = 0; i < members; i++) {
    const m = await newClient(relay, { name: `Member ${i}`, ...opts.clientOptions });
    await admitThroughInvite(facilitator, m, fragment);
    joined.push(m);
  }
  return { facilitator, members: joined, fragment, groupId };
}

/** `member` opens the invite, accepts the rules, knocks; `facilitator` admits it; both sides see it joined. */
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
