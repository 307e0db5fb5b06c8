/**
 * The signed, hash-chained roster: membership as an append-only list of operations. Entry n carries epoch n and
 * the hash of entry n-1, and is signed (Ed25519, LABEL.ROSTER_ENTRY) by an identity that had the authority in
 * the state after entry n-1; entry 0 (genesis) is signed by the creator, the group's root of trust. Every
 * client and the relay derive the state by applying entries with applyRosterEntry, never by taking a state from
 * anyone. Rules and their reasons: docs/PROTOCOL.md part A, "Roster".
 */
import { KindredError } from '../errors';
import { OBJECT_FORMAT_VERSION, SignedRosterEntry } from '../protocol/objects';
import type { RosterEntryBody, RosterOp, RosterPolicy } from '../protocol/objects';
import { memberIdOf, requireFingerprint } from './identity';
import { LABEL } from './labels';
import { hashObject, memberKey, signObject, verifyObject } from './signedObject';
import type { IdentityKeyPair, RosterMember, RosterState } from './types';

/**
 * Members at once: bounds the state every device keeps and the fan-out of every sender key (one box each). 1,024
 * covers the largest meeting the product serves (a 1,000-member session, measured by `pnpm bench:relay`); a rekey
 * then costs each device about 1,000 boxes of ~100 bytes.
 */
export const MAX_ROSTER_MEMBERS = 1024;
/** Banned keys kept: bounds the state; a facilitator can unban to make room. */
export const MAX_ROSTER_BANNED = 1024;

/** Live invites at once: bounds the state; a facilitator revokes one to make room. */
export const MAX_LIVE_INVITES = 256;
/**
 * Revoked invites remembered by name (the latest; older ones are forgotten). A knock through a forgotten one is
 * still refused, as naming an invite the roster does not list (INVITE_UNKNOWN instead of INVITE_REVOKED).
 */
export const MAX_REVOKED_INVITES = 256;

/** Hash of a whole signed entry (body and signature): BLAKE2b-256 of `LABEL.ROSTER_HASH || 0x00 || canonical(entry)`. */
export function rosterEntryHash(entry: SignedRosterEntry): string {
  return hashObject(LABEL.ROSTER_HASH, { body: entry.body, sig: entry.sig });
}

/** Signs a roster entry body as it stands, with no check of the rules (tests and adversarial harnesses use it). */
export function signRosterBody(body: RosterEntryBody, signerIk: IdentityKeyPair): SignedRosterEntry {
  return { body, sig: signObject(LABEL.ROSTER_ENTRY, body, signerIk.secretKey) };
}

/** Entry 0: the creator's signed statement that the group exists, with its policy. Throws MALFORMED on bad input. */
export function createGenesis(creatorIk: IdentityKeyPair, groupId: string, policy: RosterPolicy): SignedRosterEntry {
  const creator = memberIdOf(creatorIk.publicKey);
  const entry = signRosterBody({ v: OBJECT_FORMAT_VERSION, groupId, epoch: 0, prev: '', op: { type: 'genesis', creator, policy }, signer: creator }, creatorIk);
  applyRosterEntry(null, entry); // refuses a bad group id or policy now rather than on every peer later
  return entry;
}

/**
 * The next entry after `state`, signed by `signerIk`. It is applied to `state` before it is returned, so an entry
 * the rules refuse throws here (same codes as applyRosterEntry) instead of being sent.
 */
export function signRosterEntry(state: RosterState, op: RosterOp, signerIk: IdentityKeyPair): SignedRosterEntry {
  const entry = signRosterBody({ v: OBJECT_FORMAT_VERSION, groupId: state.groupId, epoch: state.epoch + 1, prev: state.head, op, signer: memberIdOf(signerIk.publicKey) }, signerIk);
  applyRosterEntry(state, entry);
  return entry;
}

/**
 * An index of each members array by id, made on the first lookup: the relay asks for the sender of every message
 * and the recipient of every sealed key, O(1) instead of a scan of up to MAX_ROSTER_MEMBERS. A roster state's
 * members array is never changed in place (applyRosterEntry makes a new one for every entry), so the index of an
 * array stays right; it goes with the array.
 */
const memberIndex = new WeakMap<readonly RosterMember[], Map<string, RosterMember>>();

export function rosterMember(state: RosterState, id: string): RosterMember | undefined {
  const members = state.members;
  if (members.length <= 16) return members.find((m) => m.id === id); // a scan is as fast as a lookup
  let index = memberIndex.get(members);
  if (!index) {
    index = new Map(members.map((m) => [m.id, m]));
    memberIndex.set(members, index);
  }
  return index.get(id);
}

export function isFacilitator(state: RosterState, id: string): boolean {
  return rosterMember(state, id)?.role === 'facilitator';
}

/** Whether `id` may send chat now: a member, not muted, and not silenced by "mute all but facilitators". */
export function memberMaySend(state: RosterState, id: string): boolean {
  const m = rosterMember(state, id);
  if (!m || m.muted) return false;
  return !(state.policy.muteAllButFacilitators && m.role !== 'facilitator');
}

function badOp(detail: string): KindredError {
  return new KindredError('ROSTER_BAD_OP', detail);
}

function facilitatorCount(members: RosterMember[]): number {
  return members.filter((m) => m.role === 'facilitator').length;
}

function byId(a: RosterMember, b: RosterMember): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface ApplyOptions {
  /** For genesis: the group this chain must belong to (ROSTER_WRONG_GROUP otherwise). */
  groupId?: string;
}

/**
 * Applies one signed entry to a state (null before genesis) and returns the new state; `state` is not changed.
 * Checks, in this order: shape (MALFORMED), group (ROSTER_WRONG_GROUP), epoch (ROSTER_ROLLBACK when not above
 * the current one, ROSTER_SKIPPED_EPOCH when more than one above), previous hash (ROSTER_BAD_PREV_HASH),
 * signature by the stated signer (BAD_SIGNATURE), the signer's authority in `state` (ROSTER_BAD_SIGNER), then
 * whether the operation is allowed in `state` (ROSTER_BAD_OP).
 */
export function applyRosterEntry(state: RosterState | null, entry: unknown, options: ApplyOptions = {}): RosterState {
  const parsed = SignedRosterEntry.safeParse(entry);
  if (!parsed.success) throw new KindredError('MALFORMED', 'roster entry', { cause: parsed.error });
  const signed = parsed.data;
  const { body } = signed;
  const { op } = body;

  if (state === null) {
    if (options.groupId !== undefined && body.groupId !== options.groupId) throw new KindredError('ROSTER_WRONG_GROUP');
    if (body.epoch !== 0) throw new KindredError('ROSTER_SKIPPED_EPOCH', 'the chain must start at genesis');
    if (body.prev !== '') throw new KindredError('ROSTER_BAD_PREV_HASH', 'genesis has no previous entry');
  } else {
    if (body.groupId !== state.groupId) throw new KindredError('ROSTER_WRONG_GROUP');
    if (body.epoch <= state.epoch) throw new KindredError('ROSTER_ROLLBACK', `epoch ${body.epoch} after ${state.epoch}`);
    if (body.epoch !== state.epoch + 1) throw new KindredError('ROSTER_SKIPPED_EPOCH', `epoch ${body.epoch} after ${state.epoch}`);
    if (body.prev !== state.head) throw new KindredError('ROSTER_BAD_PREV_HASH');
  }
  if (!verifyObject(LABEL.ROSTER_ENTRY, body, signed.sig, memberKey(body.signer))) throw new KindredError('BAD_SIGNATURE', 'roster entry');
  const head = rosterEntryHash(signed);

  if (state === null) {
    if (op.type !== 'genesis') throw badOp('the first entry must be genesis');
    if (op.creator !== body.signer) throw new KindredError('ROSTER_BAD_SIGNER', 'genesis must be signed by its creator');
    return {
      groupId: body.groupId,
      epoch: 0,
      head,
      creator: op.creator,
      members: [{ id: op.creator, role: 'facilitator', muted: false }],
      banned: [],
      locked: false,
      policy: { ...op.policy },
      session: null,
      rekeyEpoch: 0,
      invites: [],
      revokedInvites: [],
    };
  }

  // Authority is judged in the PREVIOUS state: an entry cannot grant its own signer the right to sign it.
  const signer = rosterMember(state, body.signer);
  const selfLeave = op.type === 'leave' && op.member === body.signer;
  if (!signer || (!selfLeave && signer.role !== 'facilitator')) {
    throw new KindredError('ROSTER_BAD_SIGNER', selfLeave ? 'not a member' : 'not a facilitator of the previous roster');
  }

  const next: RosterState = {
    ...state,
    epoch: body.epoch,
    head,
    members: state.members.map((m) => ({ ...m })),
    banned: [...state.banned],
    policy: { ...state.policy },
    session: state.session ? { ...state.session } : null,
    invites: state.invites,
    revokedInvites: state.revokedInvites,
  };
  const target = 'member' in op ? next.members.find((m) => m.id === op.member) : undefined;
  const needMember = (): RosterMember => {
    if (!target) throw badOp(`${op.type}: not a member`);
    return target;
  };
  const notCreator = (): void => {
    if ('member' in op && op.member === state.creator) throw badOp(`${op.type}: not allowed on the creator`);
  };
  const dropMember = (id: string): void => {
    next.members = next.members.filter((m) => m.id !== id);
  };

  switch (op.type) {
    case 'genesis':
      throw badOp('genesis after epoch 0');
    case 'admit':
      if (target) throw badOp('admit: already a member');
      if (next.banned.includes(op.member)) throw badOp('admit: key is banned');
      if (next.locked) throw badOp('admit: locked to new arrivals');
      if (next.members.length >= MAX_ROSTER_MEMBERS) throw badOp('admit: roster full');
      next.members = [...next.members, { id: op.member, role: 'member' as const, muted: false }].sort(byId);
      break;
    case 'remove':
      needMember();
      notCreator();
      dropMember(op.member);
      next.rekeyEpoch = body.epoch;
      break;
    case 'leave':
      needMember();
      notCreator(); // the creator is the root of trust and stays; see the doc
      dropMember(op.member);
      next.rekeyEpoch = body.epoch;
      break;
    case 'ban':
      // Banning a key that is not (or no longer) a member is allowed: a facilitator bans from the waiting room.
      notCreator();
      if (next.banned.includes(op.member)) throw badOp('ban: already banned');
      if (next.banned.length >= MAX_ROSTER_BANNED) throw badOp('ban: ban list full');
      dropMember(op.member);
      next.banned = [...next.banned, op.member].sort();
      next.rekeyEpoch = body.epoch;
      break;
    case 'unban':
      if (!next.banned.includes(op.member)) throw badOp('unban: not banned');
      next.banned = next.banned.filter((id) => id !== op.member);
      break;
    case 'role': {
      const m = needMember();
      notCreator();
      if (m.role === op.role) throw badOp('role: unchanged');
      m.role = op.role;
      break;
    }
    case 'mute': {
      const m = needMember();
      notCreator();
      if (m.muted) throw badOp('mute: already muted');
      m.muted = true;
      break;
    }
    case 'unmute': {
      const m = needMember();
      if (!m.muted) throw badOp('unmute: not muted');
      m.muted = false;
      break;
    }
    case 'muteAll':
      if (next.policy.muteAllButFacilitators === op.on) throw badOp('muteAll: unchanged');
      next.policy.muteAllButFacilitators = op.on;
      break;
    case 'lock':
      if (next.locked === op.on) throw badOp('lock: unchanged');
      next.locked = op.on;
      break;
    case 'autoAdmit':
      if ((next.policy.autoAdmit ?? false) === op.on) throw badOp('autoAdmit: unchanged');
      next.policy.autoAdmit = op.on;
      break;
    case 'expiry':
      if (next.policy.expirySeconds === op.expirySeconds) throw badOp('expiry: unchanged');
      next.policy.expirySeconds = op.expirySeconds;
      break;
    case 'slowMode':
      if (next.policy.slowModeSeconds === op.seconds) throw badOp('slowMode: unchanged');
      next.policy.slowModeSeconds = op.seconds;
      break;
    case 'sessionOpen':
      if (next.session?.open) throw badOp('sessionOpen: a session is already open');
      if (next.session?.id === op.sessionId) throw badOp('sessionOpen: session id reused');
      next.session = { id: op.sessionId, open: true };
      next.rekeyEpoch = body.epoch;
      break;
    case 'sessionClose':
      if (!next.session?.open || next.session.id !== op.sessionId) throw badOp('sessionClose: not the open session');
      next.session = { id: op.sessionId, open: false };
      next.rekeyEpoch = body.epoch;
      break;
    case 'invite':
      // An id is never reused while remembered, so a knock names one key for good.
      if (next.invites.some((i) => i.id === op.inviteId) || next.revokedInvites.some((i) => i.id === op.inviteId)) throw badOp('invite: id already used');
      if (next.invites.length >= MAX_LIVE_INVITES) throw badOp('invite: too many live invites');
      next.invites = [...next.invites, { id: op.inviteId, pk: op.invitePk }];
      break;
    case 'inviteRevoke': {
      const revoked = next.invites.find((i) => i.id === op.inviteId);
      if (!revoked) throw badOp('inviteRevoke: not a live invite');
      next.invites = next.invites.filter((i) => i !== revoked);
      next.revokedInvites = [...next.revokedInvites, revoked].slice(-MAX_REVOKED_INVITES);
      break;
    }
    default: {
      const never: never = op;
      throw badOp(`unknown op ${String((never as { type?: unknown }).type)}`);
    }
  }
  // Invariant, checked rather than assumed: the creator cannot be demoted or removed, so this holds by
  // construction today; the check keeps it true if a rule above is ever relaxed.
  if (facilitatorCount(next.members) < 1) throw badOp('no facilitator would remain');
  return next;
}

export interface VerifyChainOptions {
  /** The group the chain must belong to. */
  groupId?: string;
  /** The creator fingerprint from the invite link: the genesis signer must match it (FINGERPRINT_MISMATCH). */
  creatorFingerprint?: string;
}

/** Applies a whole chain from genesis and returns the final state; throws on the first refused entry. */
export function verifyRosterChain(entries: readonly unknown[], options: VerifyChainOptions = {}): RosterState {
  if (!Array.isArray(entries) || entries.length === 0) throw new KindredError('MALFORMED', 'empty roster chain');
  let state: RosterState | null = null;
  for (const entry of entries) {
    state = applyRosterEntry(state, entry, { groupId: options.groupId });
    if (state.epoch === 0 && options.creatorFingerprint !== undefined) requireFingerprint(state.creator, options.creatorFingerprint);
  }
  return state as RosterState;
}
