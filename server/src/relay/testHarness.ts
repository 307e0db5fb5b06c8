/**
 * Test support for the relay (imported by *.test.ts only): a real Socket.IO server with the relay on port 0 over
 * in-memory SQLite, a controllable clock, recorded metrics and logs, and socket.io-client test clients that sign in
 * and build real signed protocol objects with the protocol core.
 */
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import {
  applyRosterEntry,
  createGenesis,
  createInviteSecret,
  inviteGateHash,
  inviteGateToken,
  invitePublicKey,
  inviteSigningKeyPair,
  signKnockProof,
  createSessionKey,
  generateIdentity,
  initCrypto,
  memberIdOf,
  signAcceptance,
  signAuthChallenge,
  signRosterEntry,
  type IdentityKeyPair,
  type RosterState,
} from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import type { ErrorCode } from '@kindred/shared/errors';
import { PROTOCOL_VERSION, type Ack, type EncryptedGroupCard, type Envelope, type RosterOp, type RosterPolicy, type SignedRosterEntry } from '@kindred/shared/protocol';
import { buildApp, type BuildAppOptions, type KindredApp } from '../app';
import { defaultConfig, IN_MEMORY } from '../config';
import { createSqliteStorage, SQLITE_MEMORY } from '../storage/sqliteStorage';
import type { Storage } from '../storage/storage';
import type { RelayLimits } from './deps';

export const b64 = (n: number): string => toBase64Url(randomBytes(n));

export interface RelayUnderTest {
  url: string;
  refused: ErrorCode[];
  relayed: number[];
  /** Every log line the app wrote, as JSON text. */
  logs: string[];
  /** The relay's clock in ms; tests move it forward by hand (no timers). */
  clock: { now: number };
  /** The app itself (metrics, the relay handle). */
  app: KindredApp;
  close(): Promise<void>;
}

/**
 * The real app (buildApp) on port 0. `limits.maxPayloadBytes` is applied to the relay's per-event check only,
 * after the app is built: Socket.IO's transport cap stays at the default so that the per-event refusal is what
 * the tests see (with equal caps an oversized packet closes the connection before the relay sees it).
 */
export async function startRelay(
  limits: Partial<RelayLimits> = {},
  wrapStorage: (s: Storage) => Storage = (s) => s,
  extra: Pick<BuildAppOptions, 'deferSealedFlush'> = {},
): Promise<RelayUnderTest> {
  await initCrypto();
  const { maxPayloadBytes, ...rest } = limits;
  const config = defaultConfig({ port: 0, host: '127.0.0.1', dataDir: IN_MEMORY, logLevel: 'info', rateLimit: { perSecond: 1000, burst: 10_000 }, ...rest });
  const storage = createSqliteStorage(SQLITE_MEMORY);
  await storage.migrate();
  const logs: string[] = [];
  const logStream = { write: (line: string) => void logs.push(line) };
  const clock = { now: 1_700_000_000_000 };
  const built = await buildApp(config, { storage: wrapStorage(storage), logStream, now: () => clock.now, ...extra });
  if (maxPayloadBytes !== undefined) config.maxPayloadBytes = maxPayloadBytes; // the relay reads it per event
  const refused: ErrorCode[] = [];
  const relayed: number[] = [];
  const { metrics } = built;
  const countRefused = metrics.refused.bind(metrics);
  const countRelayed = metrics.relayed.bind(metrics);
  metrics.refused = (code) => {
    refused.push(code);
    countRefused(code);
  };
  metrics.relayed = (bytes) => {
    relayed.push(bytes);
    countRelayed(bytes);
  };
  await built.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = built.app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    relayed,
    logs,
    clock,
    app: built,
    async close() {
      await built.close();
      await storage.close();
    },
  };
}

export type AnyAck = Ack<Record<string, unknown>>;

/** A websocket-only socket.io-client connection that does not reconnect, once connected. */
export async function connectSocket(url: string): Promise<ClientSocket> {
  const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { protocol: PROTOCOL_VERSION } });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

/** A TestClient class or one derived from it (connect and signedIn build the class they are called on). */
type ClientClass<C extends TestClient> = new (socket: ClientSocket, ik: IdentityKeyPair) => C;

export class TestClient {
  readonly pushes: { event: string; payload: unknown }[] = [];
  private waiters: { event: string; match: (p: unknown) => boolean; resolve: (p: unknown) => void }[] = [];
  member = '';

  constructor(
    readonly socket: ClientSocket,
    readonly ik: IdentityKeyPair,
  ) {
    socket.onAny((event: string, payload: unknown) => {
      this.pushes.push({ event, payload });
      this.waiters = this.waiters.filter((w) => {
        if (w.event !== event || !w.match(payload)) return true;
        w.resolve(payload);
        return false;
      });
    });
  }

  static async connect<C extends TestClient>(this: ClientClass<C>, url: string, ik: IdentityKeyPair = generateIdentity()): Promise<C> {
    return new this(await connectSocket(url), ik);
  }

  /** Connects and signs in with the identity key. */
  static async signedIn<C extends TestClient>(this: ClientClass<C>, url: string, ik: IdentityKeyPair = generateIdentity()): Promise<C> {
    const client = new this(await connectSocket(url), ik);
    await client.signIn();
    return client;
  }

  request(event: string, request: unknown): Promise<AnyAck> {
    return this.socket.emitWithAck(event, request) as Promise<AnyAck>;
  }

  /** Like request, but throws unless the answer is ok. */
  async ok(event: string, request: unknown): Promise<Record<string, unknown>> {
    const ack = await this.request(event, request);
    if (!ack.ok) throw new Error(`${event} refused: ${ack.error.code}`);
    return ack;
  }

  async signIn(): Promise<void> {
    const { challenge } = (await this.ok('auth.challenge', {})) as { challenge: string };
    this.member = memberIdOf(this.ik.publicKey);
    await this.ok('auth.prove', { member: this.member, challenge, sig: signAuthChallenge(this.ik, challenge) });
  }

  /** The first push of `event` (already received or still to come) that matches. */
  next<T = unknown>(event: string, match: (p: T) => boolean = () => true): Promise<T> {
    const seen = this.pushes.find((p) => p.event === event && match(p.payload as T));
    if (seen) return Promise.resolve(seen.payload as T);
    return new Promise((resolve) => this.waiters.push({ event, match: match as (p: unknown) => boolean, resolve: resolve as (p: unknown) => void }));
  }

  received(event: string): unknown[] {
    return this.pushes.filter((p) => p.event === event).map((p) => p.payload);
  }

  close(): void {
    this.socket.close();
  }
}

/** The test clients a test opened, closed together after it (its afterEach calls closeAll). */
export class OpenClients {
  private readonly open: TestClient[] = [];

  /** Connects (without signing in) and keeps the client to close. */
  async connected(url: string, ik?: IdentityKeyPair): Promise<TestClient> {
    return this.keep(await TestClient.connect(url, ik));
  }

  /** Connects and signs in, and keeps the client to close. */
  async signedIn(url: string, ik?: IdentityKeyPair): Promise<TestClient> {
    return this.keep(await TestClient.signedIn(url, ik));
  }

  closeAll(): void {
    for (const c of this.open.splice(0)) c.close();
  }

  private keep(client: TestClient): TestClient {
    this.open.push(client);
    return client;
  }
}

export const defaultPolicy: RosterPolicy = { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false };

/** A group as its facilitator's test client sees it: the verified state after each entry it appended. */
export class TestGroup<C extends TestClient = TestClient> {
  readonly groupId = b64(16);
  state!: RosterState;
  sessionId = '';
  /** The secret of each invite this group made, by id (to sign knocks with). */
  private readonly inviteSecrets = new Map<string, Uint8Array>();

  constructor(readonly facilitator: C) {}

  static async create<C extends TestClient>(facilitator: C, policy: RosterPolicy = defaultPolicy): Promise<TestGroup<C>> {
    const group = new TestGroup(facilitator);
    const genesis = createGenesis(facilitator.ik, group.groupId, policy);
    await facilitator.ok('group.create', { genesis });
    group.state = applyRosterEntry(null, genesis);
    return group;
  }

  /** Signs `op` with `signer` on the current state (no local rule check beyond signing). */
  sign(op: RosterOp, signer: TestClient = this.facilitator): SignedRosterEntry {
    return signRosterEntry(this.state, op, signer.ik);
  }

  /** Signs `op` with `signer` (the facilitator by default) on the current state and appends it as `signer`. */
  async append(op: RosterOp, signer: TestClient = this.facilitator): Promise<SignedRosterEntry> {
    const entry = this.sign(op, signer);
    await signer.ok('roster.append', { groupId: this.groupId, entry });
    this.state = applyRosterEntry(this.state, entry);
    return entry;
  }

  async openSession(): Promise<string> {
    const sessionId = b64(16);
    await this.append({ type: 'sessionOpen', sessionId });
    this.sessionId = sessionId;
    return sessionId;
  }

  /**
   * The session.enter request of `client` for the open session. With the id of an invite this group made
   * (`invite()`), the knock is signed with that invite's key, as a knocking client does.
   */
  enterRequest(client: TestClient, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const acceptance = signAcceptance(client.ik, { groupId: this.groupId, sessionId: this.sessionId, rulesDigest: b64(32), agreement: true });
    const sessionKey = createSessionKey(client.ik, this.groupId, this.sessionId).signed;
    const secret = typeof extra.inviteId === 'string' ? this.inviteSecrets.get(extra.inviteId) : undefined;
    const knockProof = secret
      ? signKnockProof(inviteSigningKeyPair(secret), extra.inviteId as string, { groupId: this.groupId, sessionId: this.sessionId, member: client.member, acceptance, sessionKey })
      : undefined;
    return { groupId: this.groupId, sessionId: this.sessionId, acceptance, sessionKey, ...(knockProof ? { knockProof } : {}), ...extra };
  }

  enter(client: TestClient, extra: Record<string, unknown> = {}): Promise<AnyAck> {
    return client.request('session.enter', this.enterRequest(client, extra));
  }

  /** Publishes an invite as the engine does (its key in the roster, then the gate at the relay); returns its id and gate token. */
  async invite(): Promise<{ inviteId: string; gateToken: string }> {
    const inviteId = b64(16);
    const secret = createInviteSecret();
    const gateToken = inviteGateToken(secret);
    await this.append({ type: 'invite', inviteId, invitePk: invitePublicKey(secret) });
    this.inviteSecrets.set(inviteId, secret);
    await this.facilitator.ok('invite.create', { groupId: this.groupId, inviteId, gateHash: inviteGateHash(gateToken), card: dummyCard() });
    return { inviteId, gateToken };
  }

  /** Admits `client` straight into the roster (it has not knocked). */
  async admit(client: TestClient): Promise<void> {
    await this.append({ type: 'admit', member: client.member });
  }

  envelope(client: TestClient, type: 'chat' | 'signal' = 'chat', counter = 0): Envelope {
    return {
      header: {
        v: 2,
        groupId: this.groupId,
        sessionId: this.sessionId,
        epoch: this.state.epoch,
        rosterHash: this.state.head,
        headEpoch: this.state.epoch,
        headHash: this.state.head,
        sender: client.member,
        keyId: b64(16),
        counter,
        type,
        ttl: 600,
      },
      nonce: b64(24),
      ct: b64(64),
      sig: b64(64),
    };
  }
}

export function dummyCard(): EncryptedGroupCard {
  return { v: 1, nonce: b64(24), ct: b64(200) };
}
