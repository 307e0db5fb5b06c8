/**
 * What the relay needs from the app (S1's buildApp passes these to registerRelay), typed structurally so that the
 * app's richer config, metrics and logger objects fit without the relay importing them.
 */
import type { ErrorCode } from '@kindred/shared/errors';
import type { Config } from '../config';
import type { Storage } from '../storage/storage';

/** The relay's limits, as server/src/config.ts reads them (rate limit, per-event size cap, reconnect buffer). */
export type RelayLimits = Pick<Config, 'maxPayloadBytes' | 'rateLimit' | 'bufferTtlSeconds' | 'bufferMaxMessages'>;

export interface RelayMetrics {
  refused(code: ErrorCode): void;
  relayed(bytes: number): void;
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
}
