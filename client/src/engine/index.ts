/**
 * The framework-free client engine (no React, no DOM, no zustand): usable from the web client's stores, Node tests,
 * benchmarks and bots. Start with `KindredClient.create({ url, identity })`; see kindredClient.ts for the API.
 */
export { KindredClient } from './kindredClient';
export { EAGER_REKEY_MAX_PRESENT } from '@kindred/shared/crypto';
export { KEYS_REQUEST_BUDGET_BYTES } from '@kindred/shared/protocol';
export { MAX_KEYS_PER_REQUEST } from './keyChunks';
export type { CardFields, EngineEvents, GroupStorage, KindredClientOptions, StoredGroup } from './kindredClient';
export { Connection } from './connection';
export type { ChallengeProver, ConnectionOptions, ConnectionStatus } from './connection';
export { ExpiryScheduler, systemClock } from './expiry';
export type { Clock } from './expiry';
export { ONLINE, emptySession, expiryMs, initialState, isFacilitator, messageId, phaseOf, roleOf, talkShare } from './state';
export type {
  ChatMessage,
  DirectNote,
  EngineState,
  GroupView,
  InviteLink,
  CloseReason,
  LinkView,
  Knocker,
  Phase,
  Round,
  SecurityWarning,
  SessionEvent,
  SessionView,
  TalkCount,
  TalkShare,
} from './state';
