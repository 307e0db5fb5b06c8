/**
 * What a live session keeps so that a device can catch up after a network blip, behind one interface: the relay seq
 * of each message, the short ciphertext buffer of relayed messages, the sender keys sealed to each member, and who
 * went away recently (still a valid recipient of sealed keys). One node keeps it in memory (this module, the
 * default); several nodes share it in Redis (redisSessionLog.ts), so a client that reconnects to another node gets
 * what it missed there.
 *
 * Every method answers with a promise, in memory too (settled at once there). Only ciphertext and opaque ids are kept.
 */
import type { RelayedMessage, Envelope, SealedSenderKey } from '@kindred/shared/protocol';
import type { BufferLimits } from './bufferLimits';
import { ReconnectBuffer } from './reconnectBuffer';
import { TextLog } from './textLog';

/** A roster head: the epoch of the group's latest entry and that entry's hash. */
export interface RosterHead {
  readonly epoch: number;
  /** Hash of the entry at `epoch` (RosterState has both fields, so a roster state is its own head). */
  readonly head: string;
}

/**
 * What became of a message handed to the log:
 *  - new: it has its seq and is buffered; the relay pushes it to the session.
 *  - duplicate: the same (sender, keyId, counter) was appended before (a client retrying after a lost answer); `seq`
 *    is the one it got then, and it is not pushed again.
 *  - stale: the shared roster head is newer than the one the node judged the message against; nothing was appended.
 *    The node must catch up from storage and judge the message again.
 */
export type Appended =
  | { readonly status: 'new'; readonly relayed: RelayedMessage }
  | { readonly status: 'duplicate'; readonly seq: number }
  | { readonly status: 'stale'; readonly epoch: number };

/** How many recent (keyId, counter) pairs per sender a log remembers to answer a retried envelope with its seq. */
export const RECENT_SENDS = 32;

/** The name of a message in its session (PROTOCOL.md §4, message.send): a retry of it is the same message. */
export function sendId(envelope: Envelope): string {
  const { sender, keyId, counter } = envelope.header;
  return `${sender}:${keyId}:${counter}`;
}

export interface SessionLog {
  /** True when other nodes see the same log (Redis); false in memory. */
  readonly shared: boolean;
  /**
   * Gives the envelope the session's next seq (the first is 1, so lastSeq 0 asks for everything) and buffers it,
   * unless the group's shared roster head is newer than `head` (the roster the node judged the message against) or
   * the envelope was appended before. Moves the shared head up to `head` when it is older.
   */
  append(envelope: Envelope, now: number, head: RosterHead): Promise<Appended>;
  /**
   * A roster entry at `head` is stored: the shared head moves to it unless it is already there or beyond. A node
   * whose roster is older finds out on its next append. In memory there is one node: nothing to do.
   */
  advanceHead(head: RosterHead): Promise<void>;
  /** The latest seq given (or, before the first message, a number below every seq to come): where an entry resumes from. */
  currentSeq(): Promise<number>;
  /** Buffered messages after `lastSeq` (a shared log may add a few before it: clients drop replays), oldest first. */
  missedAfter(lastSeq: number, now: number): Promise<RelayedMessage[]>;
  bufferSealed(sealed: readonly SealedSenderKey[], now: number): Promise<void>;
  sealedFor(member: string, now: number): Promise<SealedSenderKey[]>;
  /** The member's last socket went away (a disconnect): it stays a recipient of sealed keys until the TTL. */
  markAway(member: string, now: number): Promise<void>;
  /** The member is back (or admitted): no longer away. */
  arrived(member: string): Promise<void>;
  /** Went away less than the TTL ago. */
  isAway(member: string, now: number): Promise<boolean>;
  /** Forgets a member entirely (removed, banned, left): its sealed keys and away marker. */
  forget(member: string): Promise<void>;
  /** The session ended: drops everything it kept. */
  dispose(): Promise<void>;
}

/** Opens the log of one session; `shared` says whether other nodes see the same log. */
export interface SessionLogs {
  readonly shared: boolean;
  open(groupId: string, sessionId: string): SessionLog;
}

/**
 * Where an in-memory log starts numbering: the wall-clock milliseconds times 1,000. A relay that restarts loses its
 * memory, and a client that comes back asks for what came after the last seq it saw from the old process; numbering
 * from 1 again would hide every message the new process relayed below that number. Starting from the clock keeps
 * every new seq above every old one unless a session relayed more than 1,000 messages per millisecond of its life.
 * (The clock is used only as a counter base, never as time; the result stays below 2^53 until the year 2255.)
 */
export function memorySeqBase(wallClockMs: number): number {
  return Math.floor(wallClockMs) * 1000;
}

/** One node, in memory: what the relay did before several nodes, unchanged. */
export class MemorySessionLogs implements SessionLogs {
  readonly shared = false;
  constructor(private readonly limits: BufferLimits) {}
  open(): SessionLog {
    return new MemorySessionLog(this.limits, memorySeqBase(Date.now()));
  }
}

export class MemorySessionLog implements SessionLog {
  readonly shared = false;
  private lastSeq: number;
  private readonly messages: TextLog;
  private readonly sealed = new Map<string, ReconnectBuffer<SealedSenderKey>>();
  private readonly away = new Map<string, number>();
  /** Per sender: the last RECENT_SENDS send ids with their seqs (a retried envelope gets its seq back). */
  private readonly recent = new Map<string, { id: string; seq: number }[]>();

  constructor(
    private readonly limits: BufferLimits,
    seqBase = 0,
  ) {
    this.messages = new TextLog(limits);
    this.lastSeq = seqBase;
  }

  async append(envelope: Envelope, now: number, _head?: RosterHead): Promise<Appended> {
    const id = sendId(envelope);
    const sender = envelope.header.sender;
    let recent = this.recent.get(sender);
    if (recent) {
      for (const r of recent) if (r.id === id) return { status: 'duplicate', seq: r.seq };
    } else {
      recent = [];
      this.recent.set(sender, recent);
    }
    this.lastSeq += 1;
    const relayed = { seq: this.lastSeq, envelope };
    this.messages.push(relayed.seq, JSON.stringify(envelope), now);
    if (recent.length >= RECENT_SENDS) recent.shift();
    recent.push({ id, seq: relayed.seq });
    return { status: 'new', relayed };
  }

  async advanceHead(): Promise<void> {
    // One node: its roster is the only one, so there is no shared head to move.
  }

  async currentSeq(): Promise<number> {
    return this.lastSeq;
  }

  async missedAfter(lastSeq: number, now: number): Promise<RelayedMessage[]> {
    return this.messages.readAfter(lastSeq, now).map(({ seq, text }) => ({ seq, envelope: JSON.parse(text) as Envelope }));
  }

  async bufferSealed(sealed: readonly SealedSenderKey[], now: number): Promise<void> {
    for (const s of sealed) {
      let ring = this.sealed.get(s.to);
      if (!ring) {
        ring = new ReconnectBuffer(this.limits.ttlMs, this.limits.maxItems);
        this.sealed.set(s.to, ring);
      }
      ring.push(s, now);
    }
  }

  async sealedFor(member: string, now: number): Promise<SealedSenderKey[]> {
    return this.sealed.get(member)?.read(now) ?? [];
  }

  async markAway(member: string, now: number): Promise<void> {
    this.away.set(member, now);
  }

  async arrived(member: string): Promise<void> {
    this.away.delete(member);
  }

  async isAway(member: string, now: number): Promise<boolean> {
    const since = this.away.get(member);
    if (since === undefined) return false;
    if (now - since > this.limits.ttlMs) {
      this.away.delete(member);
      this.sealed.delete(member);
      return false;
    }
    return true;
  }

  async forget(member: string): Promise<void> {
    this.away.delete(member);
    this.sealed.delete(member);
    this.recent.delete(member);
  }

  async dispose(): Promise<void> {
    this.messages.clear();
    this.recent.clear();
    this.away.clear();
    this.sealed.clear();
  }
}
