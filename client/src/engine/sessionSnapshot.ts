/**
 * Keeping my place across a reload of the tab (docs/PROTOCOL.md part B, "Reload"): what of the current session a caller
 * may keep for the session's length (the web client: the tab's sessionStorage), and the checks on taking it back.
 * The snapshot holds the session key's seed, so it is as secret as the session key; it lives only while the session
 * does and the caller wipes it with the session (the `session.snapshot` event with `null`).
 */
import { InstallRecord, verifyAcceptance } from '@kindred/shared/crypto';
import { fromBase64Url, toBase64Url } from '@kindred/shared/encoding';
import { KindredError } from '@kindred/shared/errors';
import { SESSION_SNAPSHOT_VERSION, SessionSnapshot, type WaitingToSend } from '@kindred/shared/protocol';
import type { SessionSecrets } from './sessionSecrets';

export function takeSnapshot(secrets: SessionSecrets, record: InstallRecord | null, waiting: WaitingToSend[]): SessionSnapshot {
  return {
    v: SESSION_SNAPSHOT_VERSION,
    groupId: secrets.groupId,
    sessionId: secrets.sessionId,
    member: secrets.me,
    seed: toBase64Url(secrets.seed),
    generation: secrets.generation,
    acceptance: secrets.acceptance,
    sealed: [...secrets.kept.values()],
    shown: [...secrets.shown],
    record: record?.toData() ?? { floors: [], generations: [] },
    ...(waiting.length > 0 ? { waiting } : {}),
  };
}

/** What a restored session needs from a snapshot, checked: MALFORMED for another shape, the rest as named. */
export interface RestoredParts {
  snapshot: SessionSnapshot;
  seed: Uint8Array;
  record: InstallRecord;
}

/**
 * Reads a kept snapshot back for `expected` (this device, the group and the session the verified roster has open):
 * MALFORMED when it is not a snapshot, BAD_VERSION for another version, FORBIDDEN for another member, SESSION_NOT_OPEN
 * for another group or session (it ended meanwhile), and the acceptance's own checks. The install record is rebuilt
 * under its bounds (KEY_LIMIT).
 */
export function readSnapshot(raw: unknown, expected: { me: string; groupId: string; sessionId: string }): RestoredParts {
  if (typeof raw === 'object' && raw !== null && 'v' in raw && raw.v !== SESSION_SNAPSHOT_VERSION) throw new KindredError('BAD_VERSION', 'session snapshot');
  const parsed = SessionSnapshot.safeParse(raw);
  if (!parsed.success) throw new KindredError('MALFORMED', 'session snapshot', { cause: parsed.error });
  const snapshot = parsed.data;
  if (snapshot.member !== expected.me) throw new KindredError('FORBIDDEN', 'session snapshot of another member');
  if (snapshot.groupId !== expected.groupId || snapshot.sessionId !== expected.sessionId) throw new KindredError('SESSION_NOT_OPEN', 'the kept session is over');
  verifyAcceptance(snapshot.acceptance, { groupId: snapshot.groupId, sessionId: snapshot.sessionId, member: expected.me, rulesDigest: snapshot.acceptance.body.rulesDigest });
  const record = InstallRecord.fromData(snapshot.groupId, snapshot.sessionId, snapshot.record);
  return { snapshot, seed: fromBase64Url(snapshot.seed), record };
}
