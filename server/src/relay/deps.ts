/**
 * What the relay needs from the app (S1's buildApp passes these to registerRelay), typed structurally so that the
 * app's richer config, metrics and logger objects fit without the relay importing them.
 */
import type { ErrorCode } from '@kindred/shared/errors';
import type { Config } from '../config';
import type { Storage } from '../storage/storage';
import type { RedisClient } from '../redisClient';

/** Several nodes: the Redis connections shared with the Socket.IO adapter. */
export interface ClusterDeps {
  redis: RedisClient;
  /** The adapter's subscriber connection (shardedAdapter's `sub`). */
  subscriber: RedisClient;
  /** Prefix of every key (config.redisKeyPrefix). */
  keyPrefix: string;
}

/** The relay's limits, as server/src/config.ts reads them (rate limit, per-event size cap, reconnect buffer). */
export type RelayLimits = Pick<Config, 'maxPayloadBytes' | 'rateLimit' | 'bufferTtlSeconds' | 'bufferMaxMessages' | 'bufferMaxBytes'>;

export interface RelayMetrics {
  refused(code: ErrorCode): void;
  relayed(bytes: number): void;
  /** A live session started (+1) or ended (-1) on this node (kindred_sessions_live). */
  sessionLive(delta: 1 | -1): void;
}

/** The subset of pino's logger the relay uses. Only opaque ids are ever passed to it. */
export interface RelayLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface RelayDeps {
  config: RelayLimits;
  storage: Storage;
  metrics: RelayMetrics;
  log: RelayLog;
  /** Milliseconds clock; tests may pass their own. Defaults to Date.now. */
  now?: () => number;
  /** When coalesced sealed keys leave (sealedOutbox.ts); defaults to the end of the event loop's turn. */
  deferSealedFlush?: (flush: () => void) => void;
  /** Several nodes: the Redis client and key prefix shared with the Socket.IO adapter. Absent on a single node. */
  cluster?: ClusterDeps;
  /** How long a group stays loaded with no socket and no live session on this node (default IDLE_GROUP_MS). */
  idleGroupMs?: number;
}
