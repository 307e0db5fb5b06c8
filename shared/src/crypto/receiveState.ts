/**
 * The receiving side of one session: for each sender and key id the chain received in a sealed sender key, the
 * message keys skipped by out-of-order delivery, and the counters already used. Stored behind an interface
 * (libsignal style: the crypto takes a store and does no I/O); `createMemoryReceiveState` is the default, in memory
 * only, as SECURITY.md §8 asks. Every rule that keeps the state safe (no rewinding a chain, bounds, pruning) lives in
 * the functions of this module and of messageCipher.ts, not in the store, so a caller-supplied store cannot weaken
 * it.
 *
 * The bounds (docs/PROTOCOL.md part B, "Bounds"), each the smallest that real delivery needs:
 */
import { KindredError } from '../errors';
import type { InstallRecord } from './installRecord';
import type { ReceivedSenderKey } from './keyDistribution';
import { wipe } from './sodium';
import type { RosterState } from './types';

/**
 * Largest counter jump past the next expected counter (COUNTER_TOO_FAR beyond). A jump costs one KDF step per
 * skipped counter and keeps one key each; 1000 covers a burst of messages lost or delayed behind a reconnect (a
 * chain carries at most REKEY_AFTER_MESSAGES = 1000 messages anyway) and caps the work one message can cause.
 */
export const MAX_FORWARD_JUMP = 1000;
/** Skipped message keys kept per chain; the oldest are erased beyond it (COUNTER_TOO_OLD for those counters). */
export const MAX_SKIPPED = 2000;
/**
 * How long a skipped message key is kept, from the moment it was skipped (COUNTER_TOO_OLD after). A late message
 * is delayed by the relay's reconnect buffer at most; ten minutes is far beyond that, and short enough that a device
 * seized during a session holds few keys of messages it never read.
 */
export const SKIPPED_KEY_LIFETIME_MS = 10 * 60_000;
/**
 * After a rekey (removal, leave, ban, session open or close), chains of the previous rekey period are still accepted
 * this long, counted from when this device accepted the new roster, so messages already in flight when the sender
 * learned of the change are not lost. Senders switch at once (rekeyPolicy); a removed member is out of the roster and
 * refused regardless.
 */
export const PREVIOUS_EPOCH_GRACE_MS = 60_000;
/** Used counters remembered per chain to tell REPLAY from COUNTER_TOO_OLD; older ones all refuse as COUNTER_TOO_OLD. */
export const MAX_USED_COUNTERS = 4096;
/** Chains kept per sender (a sender has at most the current and the previous one in use); the oldest is erased. */
export const MAX_CHAINS_PER_SENDER = 4;

export interface SkippedKey {
  messageKey: Uint8Array;
  /** Caller's clock when the key was skipped. */
  at: number;
}

/** One sender's chain as this device receives it. */
export interface ReceivingChain {
  readonly groupId: string;
  readonly sessionId: string;
  readonly sender: string;
  readonly keyId: string;
  readonly epoch: number;
  readonly rosterHash: string;
  readonly signingPk: Uint8Array;
  /** Counter at which the key was received: nothing before it can be read. */
  readonly firstCounter: number;
  /** When the key was installed (caller's clock), to evict the oldest chain of a sender. */
  readonly addedAt: number;
  /** Chain key for `nextCounter`. */
  chainKey: Uint8Array;
  nextCounter: number;
  /** Message keys of counters below nextCounter not yet received, in increasing counter order. */
  skipped: Map<number, SkippedKey>;
  /** Counters already received (the most recent MAX_USED_COUNTERS), in increasing insertion order. */
  used: Set<number>;
}

/** The rekey period this device is in, and when it entered it (for the previous-epoch grace). */
export interface RekeyMark {
  rekeyEpoch: number;
  /** The rekey epoch before, or null when this device has seen only one. */
  previousRekeyEpoch: number | null;
  since: number;
}

/** The store. Implementations keep what they are given; they make no decisions. */
export interface ReceiveState {
  readonly groupId: string;
  readonly sessionId: string;
  /**
   * The session's install record (installRecord.ts), which outlives this state: installSenderKey checks it and every
   * chain that leaves the state through the functions below is retired in it. Without one, only the chains present
   * are protected from being installed again.
   */
  readonly record?: InstallRecord;
  getChain(sender: string, keyId: string): ReceivingChain | undefined;
  /** Stores a new chain or the new state of an existing one (decryptMessage calls it after each success). */
  putChain(chain: ReceivingChain): void;
  deleteChain(sender: string, keyId: string): void;
  chains(): Iterable<ReceivingChain>;
  getRekeyMark(): RekeyMark | undefined;
  setRekeyMark(mark: RekeyMark): void;
  /** Erases every key and forgets everything (session end, quick exit). */
  wipe(): void;
}

export function wipeReceivingChain(chain: ReceivingChain): void {
  wipe(chain.chainKey);
  for (const k of chain.skipped.values()) wipe(k.messageKey);
  chain.skipped.clear();
  chain.used.clear();
}

/** The default store: plain maps in memory. */
export function createMemoryReceiveState(groupId: string, sessionId: string, record?: InstallRecord): ReceiveState {
  if (record && (record.groupId !== groupId || record.sessionId !== sessionId)) throw new KindredError('WRONG_SESSION', 'install record');
  const chains = new Map<string, ReceivingChain>();
  let mark: RekeyMark | undefined;
  // Member ids and key ids are base64url, so a space cannot occur in either: the composite key is unambiguous.
  const k = (sender: string, keyId: string) => `${sender} ${keyId}`;
  return {
    groupId,
    sessionId,
    ...(record ? { record } : {}),
    getChain: (sender, keyId) => chains.get(k(sender, keyId)),
    putChain: (chain) => void chains.set(k(chain.sender, chain.keyId), chain),
    deleteChain(sender, keyId) {
      const c = chains.get(k(sender, keyId));
      if (c) wipeReceivingChain(c);
      chains.delete(k(sender, keyId));
    },
    chains: () => [...chains.values()],
    getRekeyMark: () => mark,
    setRekeyMark: (m) => void (mark = m),
    wipe() {
      for (const c of chains.values()) wipeReceivingChain(c);
      chains.clear();
      mark = undefined;
    },
  };
}

/** Removes a chain from the state, retiring it in the install record first (its floor becomes its next counter). */
function retireChain(state: ReceiveState, chain: ReceivingChain): void {
  state.record?.retire(chain.sender, chain.keyId, chain.nextCounter);
  state.deleteChain(chain.sender, chain.keyId);
}

/** Erases the whole state (session end, re-entry), retiring every chain in the install record first. */
export function wipeReceiveState(state: ReceiveState): void {
  for (const chain of [...state.chains()]) state.record?.retire(chain.sender, chain.keyId, chain.nextCounter);
  state.wipe();
}

/**
 * Installs a sender key from openSenderKey. Takes ownership of `key.chainKey` (the state wipes it). WRONG_SESSION
 * when the key belongs to another group or session. A key whose (sender, keyId) is already installed is ignored and
 * wiped, returning false: re-delivering an old sealed key must never rewind a chain, which would re-open counters
 * already used (a replay). With an install record, a key installed before and since evicted or wiped is refused
 * below its floor (KEY_REPLAY), and a key the record cannot take is refused (KEY_LIMIT); the key is wiped either way.
 */
export function installSenderKey(state: ReceiveState, key: ReceivedSenderKey, nowMs: number): boolean {
  if (key.groupId !== state.groupId || key.sessionId !== state.sessionId) {
    throw new KindredError('WRONG_SESSION', 'sender key');
  }
  if (state.getChain(key.sender, key.keyId)) {
    wipe(key.chainKey);
    return false;
  }
  try {
    state.record?.admit(key.sender, key.keyId, key.counter);
  } catch (e) {
    wipe(key.chainKey);
    throw e;
  }
  const mine = [...state.chains()].filter((c) => c.sender === key.sender);
  if (mine.length >= MAX_CHAINS_PER_SENDER) retireChain(state, mine.reduce((a, b) => (b.addedAt < a.addedAt ? b : a)));
  state.putChain({
    groupId: key.groupId,
    sessionId: key.sessionId,
    sender: key.sender,
    keyId: key.keyId,
    epoch: key.epoch,
    rosterHash: key.rosterHash,
    signingPk: key.signingPk,
    firstCounter: key.counter,
    addedAt: nowMs,
    chainKey: key.chainKey,
    nextCounter: key.counter,
    skipped: new Map(),
    used: new Set(),
  });
  return true;
}

/**
 * Records the roster's rekey epoch. The engine calls it when it accepts a roster entry, so the previous-epoch grace
 * starts then; decryptMessage calls it too, so a forgotten call only starts the grace later, never skips a rekey.
 */
export function noteRoster(state: ReceiveState, roster: RosterState, nowMs: number): RekeyMark {
  const mark = state.getRekeyMark();
  if (!mark) {
    const first = { rekeyEpoch: roster.rekeyEpoch, previousRekeyEpoch: null, since: nowMs };
    state.setRekeyMark(first);
    return first;
  }
  if (roster.rekeyEpoch > mark.rekeyEpoch) {
    const next = { rekeyEpoch: roster.rekeyEpoch, previousRekeyEpoch: mark.rekeyEpoch, since: nowMs };
    state.setRekeyMark(next);
    return next;
  }
  return mark;
}

/** True when a chain made at `epoch` may still be used for receiving (current period, or previous within grace). */
export function epochAccepted(mark: RekeyMark, epoch: number, nowMs: number): boolean {
  if (epoch >= mark.rekeyEpoch) return true;
  return mark.previousRekeyEpoch !== null && epoch >= mark.previousRekeyEpoch && nowMs - mark.since <= PREVIOUS_EPOCH_GRACE_MS;
}

/**
 * Erases what may no longer be used: skipped keys past their lifetime, chains of senders no longer in the roster,
 * chains of ended epochs once their grace is over. The engine calls it on each roster change and from a timer
 * (the crypto has none); decryptMessage refuses the same things anyway, so pruning late costs only memory.
 */
export function pruneReceiveState(state: ReceiveState, roster: RosterState, nowMs: number): void {
  const mark = noteRoster(state, roster, nowMs);
  const members = new Set(roster.members.map((m) => m.id));
  for (const chain of [...state.chains()]) {
    if (!members.has(chain.sender) || !epochAccepted(mark, chain.epoch, nowMs)) {
      retireChain(state, chain);
      continue;
    }
    let changed = false;
    for (const [counter, k] of chain.skipped) {
      if (nowMs - k.at > SKIPPED_KEY_LIFETIME_MS) {
        wipe(k.messageKey);
        chain.skipped.delete(counter);
        changed = true;
      }
    }
    if (changed) state.putChain(chain);
  }
}
