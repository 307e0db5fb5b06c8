/** The options a KindredClient is built with, and their defaults as the engine's modules read them. */
import { REKEY_AFTER_MS, type IdentityKeyPair, type RosterStorage } from '@kindred/shared/crypto';
import type { Connection, ConnectionOptions } from './connection';
import type { EngineSettings } from './engineContext';
import type { GroupStorage } from './groupStorage';
import { systemClock, type Clock } from './expiry';
import { EAGER_REKEY_MAX_PRESENT } from '@kindred/shared/crypto';

export interface KindredClientOptions {
  /** Relay origin, e.g. `https://kindred.example.org` or `http://127.0.0.1:PORT`. */
  url: string;
  /** The device's identity key; storing it (wrapped) is the caller's business. */
  identity: IdentityKeyPair;
  /**
   * Where verified roster chains are kept between runs (the web client: IndexedDB). With it, a relay that serves
   * an older roster than this device saw before a restart is caught (ROSTER_ROLLBACK); the chain is re-verified
   * on load, so the storage is not trusted either. Without it, rosters live in memory only.
   */
  rosterStorage?: RosterStorage;
  /**
   * Where the device keeps its groups (name, card, invite secrets) to reopen them without a link (`reopenGroup`,
   * `storedGroups`); the web client gives the device vault of a kept key. Without it nothing is kept.
   */
  groupStorage?: GroupStorage;
  /** Pseudonym announced to the session (E2E encrypted, never seen by the relay). */
  displayName?: string;
  /** Local clock (ms); defaults to Date.now. */
  clock?: Clock;
  /** Rekey a chain after this long even if nothing else asks for it (default REKEY_AFTER_MS, 30 minutes). */
  rekeyAfterMs?: number;
  /** How long a 'typing' indicator stays without a refresh (default 8 s). */
  typingTimeoutMs?: number;
  /**
   * Up to this many present members (me included) a removal, leave, ban or chain age makes a new chain at once;
   * above it the old chain is wiped and the new one made just before my next message (default
   * EAGER_REKEY_MAX_PRESENT). 0 makes every such rekey lazy.
   */
  eagerRekeyMaxPresent?: number;
  requestTimeoutMs?: ConnectionOptions['requestTimeoutMs'];
  socketOptions?: ConnectionOptions['socketOptions'];
}

/** The options with their defaults filled in, for the engine context of device `me` over `connection`. */
export function engineSettings(options: KindredClientOptions, me: string, connection: Connection): EngineSettings {
  return {
    me,
    identity: options.identity,
    clock: options.clock ?? systemClock,
    connection,
    rosterStorage: options.rosterStorage,
    groupStorage: options.groupStorage,
    displayName: options.displayName,
    rekeyAfterMs: options.rekeyAfterMs ?? REKEY_AFTER_MS,
    typingTimeoutMs: options.typingTimeoutMs ?? 8_000,
    eagerRekeyMaxPresent: options.eagerRekeyMaxPresent ?? EAGER_REKEY_MAX_PRESENT,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  };
}
