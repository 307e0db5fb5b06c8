/**
 * A bare socket.io-client that speaks the event catalogue without the engine's outbound validation: the fuzzers and
 * the authorization matrix send what a hostile or broken client would. It signs in with a real identity key and
 * builds real signed protocol objects with the protocol core.
 */
import { randomBytes } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import {
  applyRosterEntry,
  createGenesis,
  createSessionKey,
  generateIdentity,
  inviteGateHash,
  memberIdOf,
  signAcceptance,
  signAuthChallenge,
  signRosterBody,
  signRosterEntry,
  type IdentityKeyPair,
  type RosterState,
} from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import type { Ack, EncryptedGroupCard, RosterEntryBody, RosterOp, RosterPolicy, SignedRosterEntry } from '@kindred/shared/protocol';

export const b64 = (n: number): string => toBase64Url(randomBytes(n));

export type AnyAck = Ack<Record<string, unknown>>;

/** What a request got: an acknowledgement, or nothing within the bound. */
export type Outcome = { kind: 'ack'; ack: unknown } | { kind: 'timeout' };

export class RawClient {
  member = '';
  readonly pushes: { event: string; payload: unknown }[] = [];

  private constructor(
    readonly socket: Socket,
    readonly ik: IdentityKeyPair,
  ) {
    socket.onAny((event: string, payload: unknown) => void this.pushes.push({ event, payload }));
  }

  static async connect(url: string, ik: IdentityKeyPair = generateIdentity()): Promise<RawClient> {
    const socket = connect(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return new RawClient(socket, ik);
  }

  static async signedIn(url: string, ik: IdentityKeyPair = generateIdentity()): Promise<RawClient> {
    const c = await RawClient.connect(url, ik);
    await c.signIn();
    return c;
  }

  /** Any event, any arguments; resolves with the acknowledgement or a timeout after `boundMs`. */
  async send(event: string, args: unknown[], boundMs = 5_000): Promise<Outcome> {
    try {
      const ack: unknown = await (this.socket.timeout(boundMs).emitWithAck as (ev: string, ...a: unknown[]) => Promise<unknown>)(event, ...args);
      return { kind: 'ack', ack };
    } catch {
      return { kind: 'timeout' };
    }
  }

  /** Fire and forget: no acknowledgement callback. */
  emitNoAck(event: string, ...args: unknown[]): void {
    (this.socket.emit as (ev: string, ...a: unknown[]) => unknown)(event, ...args);
  }

  async request(event: string, request: unknown): Promise<AnyAck> {
    const out = await this.send(event, [request]);
    if (out.kind === 'timeout') throw new Error(`${event}: no answer`);
    return out.ack as AnyAck;
  }

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

  close(): void {
    this.socket.close();
  }
}

/**
 * An entry that extends `state` (next epoch, previous hash) signed by ANY key, without the local authority check of
 * signRosterEntry: what a stranger, a removed member or a dishonest relay with a key of its own would craft.
 */
export function forgeEntry(state: RosterState, op: RosterOp, signer: IdentityKeyPair, over: Partial<RosterEntryBody> = {}): SignedRosterEntry {
  return signRosterBody({ v: 1, groupId: state.groupId, epoch: state.epoch + 1, prev: state.head, op, signer: memberIdOf(signer.publicKey), ...over }, signer);
}

export const defaultPolicy: RosterPolicy = { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false };

export function dummyCard(): EncryptedGroupCard {
  return { v: 1, nonce: b64(24), ct: b64(200) };
}

/** A group driven through raw clients: the verified state after each appended entry. */
export class RawGroup {
  readonly groupId = b64(16);
  state!: RosterState;
  sessionId = '';

  private constructor(readonly facilitator: RawClient) {}

  static async create(facilitator: RawClient, policy: RosterPolicy = defaultPolicy): Promise<RawGroup> {
    const g = new RawGroup(facilitator);
    const genesis = createGenesis(facilitator.ik, g.groupId, policy);
    await facilitator.ok('group.create', { genesis });
    g.state = applyRosterEntry(null, genesis);
    return g;
  }

  /** Signs `op` with `signer` on the current state (no local rule check beyond signing). */
  sign(op: RosterOp, signer: RawClient = this.facilitator): SignedRosterEntry {
    return signRosterEntry(this.state, op, signer.ik);
  }

  async append(op: RosterOp, signer: RawClient = this.facilitator): Promise<SignedRosterEntry> {
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

  enterRequest(client: RawClient, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const acceptance = signAcceptance(client.ik, { groupId: this.groupId, sessionId: this.sessionId, rulesDigest: b64(32), agreement: true });
    const sessionKey = createSessionKey(client.ik, this.groupId, this.sessionId).signed;
    return { groupId: this.groupId, sessionId: this.sessionId, acceptance, sessionKey, ...extra };
  }

  enter(client: RawClient, extra: Record<string, unknown> = {}): Promise<AnyAck> {
    return client.request('session.enter', this.enterRequest(client, extra));
  }

  async invite(): Promise<{ inviteId: string; gateToken: string }> {
    const inviteId = b64(16);
    const gateToken = b64(32);
    await this.facilitator.ok('invite.create', { groupId: this.groupId, inviteId, gateHash: inviteGateHash(gateToken), card: dummyCard() });
    return { inviteId, gateToken };
  }
}
