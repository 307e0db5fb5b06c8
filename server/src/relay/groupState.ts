/**
 * Per-group in-memory state of one relay node: the verified roster chain (rebuilt from storage on first use) and
 * the live session: this node's sockets in it (present members with their signed session keys, the waiting room),
 * slow-mode timestamps, and its session log (relay seq and reconnect buffers: in memory, or shared in Redis when
 * several nodes serve the group). Only ciphertext and opaque ids.
 *
 * Several nodes (docs/SCALING.md): storage is the arbiter of the chain (appendRosterEntry refuses a second entry at
 * one epoch with CONFLICT); a node that meets CONFLICT, or hears that another node appended, calls refreshRoster to
 * read the entries after its epoch, verifies them and applies their effects to its own sockets.
 */
import type { RosterState } from '@kindred/shared/crypto';
import type { Knock, SignedRosterEntry, SignedSessionKey } from '@kindred/shared/protocol';
import { KindredError } from '@kindred/shared/errors';
import type { Storage } from '../storage/storage';
import { RosterChain } from './rosterChain';
import type { BufferLimits } from './bufferLimits';
import { MemorySessionLogs, type SessionLog, type SessionLogs } from './sessionLog';
import { evicted } from './evicted';
import { rooms } from './rooms';

export interface Presence {
  sessionKey: SignedSessionKey;
  /** Socket ids of this member in the session on this node (several tabs or devices under one key). */
  sockets: Set<string>;
}

export interface Waiting {
  knock: Knock;
  /** Socket ids of this member waiting on this node. */
  sockets: Set<string>;
}

export class LiveSession {
  /** Members with a socket in the session on this node. */
  readonly present = new Map<string, Presence>();
  /** Members waiting on this node. */
  readonly waiting = new Map<string, Waiting>();
  /** When each member last sent a chat message (slow mode; per node). */
  readonly lastChat = new Map<string, number>();
  /** The session's Socket.IO room (rooms.session), named once: every message is emitted to it. */
  readonly room: string;

  constructor(
    readonly groupId: string,
    readonly id: string,
    /** Seq numbers, reconnect buffers, sealed keys, away markers. */
    readonly log: SessionLog,
  ) {
    this.room = rooms.session(groupId, id);
  }

  /** Forgets a member entirely (removed, banned, left the group). */
  forget(member: string): Promise<void> {
    this.present.delete(member);
    this.waiting.delete(member);
    this.lastChat.delete(member);
    return this.log.forget(member);
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

/** How a group's live sessions come and go: their logs, and the live-sessions gauge. */
export interface SessionHooks {
  readonly logs: SessionLogs;
  /** A live session started (+1) or ended (-1) on this node (metrics.sessionLive). */
  sessionLive?(delta: 1 | -1): void;
}

export class GroupState {
  session: LiveSession | null = null;
  private readonly mutex = new Mutex();
  private departed: { epoch: number; rooms: string[] } = { epoch: -1, rooms: [] };
  /** Tasks running or queued under exclusive(). */
  private pending = 0;
  /** When the idle sweep first found this group idle (undefined: in use). */
  idleSince: number | undefined;

  constructor(
    readonly groupId: string,
    readonly chain: RosterChain,
    private readonly hooks: SessionHooks,
  ) {
    this.syncSession();
  }

  get roster(): RosterState {
    return this.chain.state;
  }

  /**
   * The member rooms of those who left the roster (removed, banned, left) since the open session's `sessionOpen` and
   * are not members again: every message is emitted to the session room EXCEPT these (relay.ts). The exception travels
   * with the message to every node, so a node that has not yet applied the removal (paused, or its notice on another
   * Redis shard than the session's messages) still pushes nothing to the removed member. Read from the verified chain
   * (not from the effects applied on this node), it holds on a node that loaded the group mid-session, and from the
   * moment a batch of entries is accepted. Cached per epoch; empty (and free) in the common case. A new array each
   * time it changes, never changed in place (Socket.IO keeps the array it is given until the emit is encoded).
   */
  departedRooms(): string[] {
    const epoch = this.chain.epoch;
    if (this.departed.epoch === epoch) return this.departed.rooms;
    const open = this.roster.session;
    const members = new Set(this.roster.members.map((m) => m.id));
    const gone = new Set<string>();
    if (open?.open) {
      const entries = this.chain.since(-1);
      let from = entries.length;
      for (let i = entries.length - 1; i >= 0; i--) {
        const op = entries[i]!.body.op; // i is within entries
        if (op.type === 'sessionOpen' && op.sessionId === open.id) {
          from = i + 1;
          break;
        }
      }
      for (const e of entries.slice(from)) {
        const member = evicted(e);
        if (member !== undefined && !members.has(member)) gone.add(member);
      }
    }
    this.departed = { epoch, rooms: [...gone].map((m) => rooms.member(this.groupId, m)) };
    return this.departed.rooms;
  }

  /** True while a roster task runs or waits (the group must not be unloaded under it). */
  get busy(): boolean {
    return this.pending > 0;
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
    this.session = want ? new LiveSession(this.groupId, want, this.hooks.logs.open(this.groupId, want)) : null;
    if (have) this.hooks.sessionLive?.(-1);
    if (this.session) this.hooks.sessionLive?.(1);
    return { closed: have, opened: this.session };
  }

  /** This node lets go of the group (idle sweep): its live session, if any, stops counting here. */
  unload(): void {
    if (this.session) this.hooks.sessionLive?.(-1);
  }

  exclusive<T>(task: () => Promise<T>): Promise<T> {
    this.pending += 1;
    return this.mutex.run(task).finally(() => {
      this.pending -= 1;
    });
  }
}

export interface GroupRegistryOptions {
  /** Session logs (default: in memory with the given limits). */
  logs?: SessionLogs;
  sessionLive?(delta: 1 | -1): void;
}

export class GroupRegistry {
  private readonly groups = new Map<string, GroupState>();
  private readonly loading = new Map<string, Promise<GroupState>>();
  private readonly hooks: SessionHooks;

  constructor(
    private readonly storage: Storage,
    limits: BufferLimits,
    opts: GroupRegistryOptions = {},
  ) {
    this.hooks = { logs: opts.logs ?? new MemorySessionLogs(limits), ...(opts.sessionLive ? { sessionLive: opts.sessionLive } : {}) };
  }

  /** The group's state, loading and verifying its chain from storage on first use. NOT_FOUND if unknown. */
  async get(groupId: string): Promise<GroupState> {
    const known = this.groups.get(groupId);
    if (known) {
      known.idleSince = undefined; // in use: the idle sweep starts over
      return known;
    }
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

  /** Every group loaded on this node (a resync reads them all again). */
  loaded(): GroupState[] {
    return [...this.groups.values()];
  }

  /** Loaded groups (the idle sweep, tests). */
  get size(): number {
    return this.groups.size;
  }

  /** Registers a group just created on this node with its verified genesis. */
  add(groupId: string, chain: RosterChain): GroupState {
    const state = new GroupState(groupId, chain, this.hooks);
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

  /**
   * Unloads groups that `idle` says are unused and that were found so at least `idleMs` ago (a group in use again
   * meanwhile starts over). They are rebuilt from storage on next use. Returns how many were unloaded.
   */
  sweepIdle(now: number, idleMs: number, idle: (group: GroupState) => boolean): number {
    let unloaded = 0;
    for (const [groupId, group] of this.groups) {
      if (group.busy || !idle(group)) {
        group.idleSince = undefined;
        continue;
      }
      group.idleSince ??= now;
      if (now - group.idleSince < idleMs) continue;
      this.groups.delete(groupId);
      group.unload();
      unloaded += 1;
    }
    return unloaded;
  }

  private async load(groupId: string): Promise<GroupState> {
    const entries = await this.storage.getRosterEntries(groupId, -1);
    if (entries.length === 0) throw new KindredError('NOT_FOUND');
    const raced = this.groups.get(groupId);
    if (raced) return raced;
    return this.add(groupId, RosterChain.fromEntries(groupId, entries));
  }
}
