/**
 * Per-group in-memory state of one relay node: the verified roster chain (rebuilt from storage on first use),
 * the live session (present members and their signed session keys, the waiting room, the reconnect buffers,
 * slow-mode timestamps). Only ciphertext and opaque ids.
 *
 * Several nodes (issue 6): storage is the arbiter of the chain (appendRosterEntry refuses a second entry at one
 * epoch with CONFLICT); a node that meets CONFLICT, or hears that another node appended, calls refreshRoster to
 * read the entries after its epoch, verifies them and applies their effects. Presence and buffers stay per node.
 */
import type { RosterState } from '@kindred/shared/crypto';
import type { Knock, RelayedMessage, SealedSenderKey, SignedRosterEntry, SignedSessionKey } from '@kindred/shared/protocol';
import { KindredError } from '@kindred/shared/errors';
import type { Storage } from '../storage/storage';
import { ReconnectBuffer } from './reconnectBuffer';
import { RosterChain } from './rosterChain';

export interface Presence {
  sessionKey: SignedSessionKey;
  /** Socket ids of this member in the session (several tabs or devices under one key). */
  sockets: Set<string>;
}

export interface Waiting {
  knock: Knock;
  sockets: Set<string>;
}

export interface BufferLimits {
  ttlMs: number;
  maxItems: number;
}

export class LiveSession {
  /** Seq of the last relayed message; the first gets 1, so lastSeq 0 asks for everything buffered. */
  private lastSeq = 0;
  readonly present = new Map<string, Presence>();
  /** Members who were present and went away (disconnect): they may still receive sealed keys until the TTL. */
  readonly away = new Map<string, { sessionKey: SignedSessionKey; since: number }>();
  readonly waiting = new Map<string, Waiting>();
  readonly messages: ReconnectBuffer<RelayedMessage>;
  private readonly sealed = new Map<string, ReconnectBuffer<SealedSenderKey>>();
  /** When each member last sent a chat message (slow mode). */
  readonly lastChat = new Map<string, number>();

  constructor(
    readonly groupId: string,
    readonly id: string,
    private readonly limits: BufferLimits,
  ) {
    this.messages = new ReconnectBuffer(limits.ttlMs, limits.maxItems);
  }

  nextSeq(): number {
    this.lastSeq += 1;
    return this.lastSeq;
  }

  /** Present, or went away less than the buffer TTL ago. */
  reachable(member: string, now: number): boolean {
    if (this.present.has(member)) return true;
    const away = this.away.get(member);
    if (!away) return false;
    if (now - away.since > this.limits.ttlMs) {
      this.away.delete(member);
      this.sealed.delete(member);
      return false;
    }
    return true;
  }

  bufferSealed(sealed: SealedSenderKey, now: number): void {
    let ring = this.sealed.get(sealed.to);
    if (!ring) {
      ring = new ReconnectBuffer(this.limits.ttlMs, this.limits.maxItems);
      this.sealed.set(sealed.to, ring);
    }
    ring.push(sealed, now);
  }

  sealedFor(member: string, now: number): SealedSenderKey[] {
    return this.sealed.get(member)?.read(now) ?? [];
  }

  missedAfter(lastSeq: number, now: number): RelayedMessage[] {
    return this.messages.read(now, (m) => m.seq > lastSeq);
  }

  /** Forgets a member entirely (removed, banned, left the group). */
  forget(member: string): void {
    this.present.delete(member);
    this.away.delete(member);
    this.waiting.delete(member);
    this.sealed.delete(member);
    this.lastChat.delete(member);
  }
}

/** A simple FIFO lock: roster appends of one group run one at a time on this node. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class GroupState {
  session: LiveSession | null = null;
  private readonly mutex = new Mutex();

  constructor(
    readonly groupId: string,
    readonly chain: RosterChain,
    private readonly limits: BufferLimits,
  ) {
    this.syncSession();
  }

  get roster(): RosterState {
    return this.chain.state;
  }

  /** The live session if `sessionId` is the open one. */
  openSession(sessionId: string): LiveSession | null {
    const s = this.session;
    return s && s.id === sessionId && this.roster.session?.open === true && this.roster.session.id === sessionId ? s : null;
  }

  /** Makes the live session follow the roster: a new one on sessionOpen, none after sessionClose. */
  syncSession(): { closed: LiveSession | null; opened: LiveSession | null } {
    const want = this.roster.session?.open ? this.roster.session.id : null;
    const have = this.session;
    if (have && have.id === want) return { closed: null, opened: null };
    this.session = want ? new LiveSession(this.groupId, want, this.limits) : null;
    return { closed: have, opened: this.session };
  }

  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.mutex.run(task);
  }
}

export class GroupRegistry {
  private readonly groups = new Map<string, GroupState>();
  private readonly loading = new Map<string, Promise<GroupState>>();

  constructor(
    private readonly storage: Storage,
    private readonly limits: BufferLimits,
  ) {}

  /** The group's state, loading and verifying its chain from storage on first use. NOT_FOUND if unknown. */
  async get(groupId: string): Promise<GroupState> {
    const known = this.groups.get(groupId);
    if (known) return known;
    let pending = this.loading.get(groupId);
    if (!pending) {
      pending = this.load(groupId).finally(() => this.loading.delete(groupId));
      this.loading.set(groupId, pending);
    }
    return pending;
  }

  /** The loaded state, if this node has it. */
  peek(groupId: string): GroupState | undefined {
    return this.groups.get(groupId);
  }

  /** Registers a group just created on this node with its verified genesis. */
  add(groupId: string, chain: RosterChain): GroupState {
    const state = new GroupState(groupId, chain, this.limits);
    this.groups.set(groupId, state);
    return state;
  }

  /**
   * Reads the entries another node appended after our epoch, verifies and accepts them, and returns them so the
   * caller can apply their effects (evictions, session open/close). Call inside group.exclusive.
   */
  async refreshRoster(group: GroupState): Promise<SignedRosterEntry[]> {
    const fresh = await this.storage.getRosterEntries(group.groupId, group.chain.epoch);
    return group.chain.accept(fresh);
  }

  private async load(groupId: string): Promise<GroupState> {
    const entries = await this.storage.getRosterEntries(groupId, -1);
    if (entries.length === 0) throw new KindredError('NOT_FOUND');
    const raced = this.groups.get(groupId);
    if (raced) return raced;
    return this.add(groupId, RosterChain.fromEntries(groupId, entries));
  }
}
