/**
 * The rooms of one benchmark scenario, built offline with the protocol core before any server is touched: per
 * room a group whose genesis is signed by its creator, every other member admitted by a signed roster entry, an
 * open session, and per member a signed rules acceptance, a signed session key and a message template. Both
 * targets use the same plan, so the baseline and the relay receive byte-identical message frames.
 */
import {
  applyRosterEntry,
  createGenesis,
  generateIdentity,
  memberIdOf,
  randomBytes,
  createSessionKey,
  signAcceptance,
  signRosterBody,
  MAX_ROSTER_MEMBERS,
} from '@kindred/shared/crypto';
import type { IdentityKeyPair, RosterState, SessionKeyPair } from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { OBJECT_FORMAT_VERSION, PROTOCOL_VERSION } from '@kindred/shared/protocol';
import type { RosterOp, SignedAcceptance, SignedRosterEntry, SignedSessionKey } from '@kindred/shared/protocol';
import { MessageTemplate } from './benchPayload';

export interface PlannedMember {
  ik: IdentityKeyPair;
  memberId: string;
  acceptance: SignedAcceptance;
  sessionKey: SignedSessionKey;
  /** The X25519 session key pair (the rekey scenario seals and opens real sender keys with it). */
  sessionKeyPair: SessionKeyPair;
  template: MessageTemplate;
}

export interface RoomPlan {
  groupId: string;
  sessionId: string;
  /** Genesis first, then one admit per member after the creator, then sessionOpen. */
  entries: SignedRosterEntry[];
  /** The creator (a facilitator) is members[0]. */
  members: PlannedMember[];
  /** The roster state after the last entry (the rekey scenario signs a removal on top of it). */
  state: RosterState;
}

/** The largest room the relay accepts: the roster's member bound (protocol core). */
export const MAX_ROOM_SIZE = MAX_ROSTER_MEMBERS;

const POLICY = { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false };
/** Message lifetime stated in the benchmark's headers (seconds). */
const MESSAGE_TTL_SECONDS = 3600;

function opaqueId(): string {
  return toBase64Url(randomBytes(16));
}

/** Plans `rooms` rooms of `size` members (size <= MAX_ROOM_SIZE). */
export function planRooms(rooms: number, size: number): RoomPlan[] {
  if (size < 2 || size > MAX_ROOM_SIZE) throw new Error(`room size ${size} outside 2..${MAX_ROOM_SIZE}`);
  return Array.from({ length: rooms }, () => planRoom(size));
}

function planRoom(size: number): RoomPlan {
  const groupId = opaqueId();
  const sessionId = opaqueId();
  const creator = generateIdentity();
  const iks = [creator, ...Array.from({ length: size - 1 }, () => generateIdentity())];
  const entries: SignedRosterEntry[] = [createGenesis(creator, groupId, POLICY)];
  let state: RosterState = applyRosterEntry(null, entries[0]);
  const append = (op: RosterOp): void => {
    // The facilitator signs each entry on top of the state so far; applying it checks it as every peer would.
    const entry = signRosterBody(
      { v: OBJECT_FORMAT_VERSION, groupId, epoch: state.epoch + 1, prev: state.head, op, signer: memberIdOf(creator.publicKey) },
      creator,
    );
    state = applyRosterEntry(state, entry);
    entries.push(entry);
  };
  for (const ik of iks.slice(1)) append({ type: 'admit', member: memberIdOf(ik.publicKey) });
  append({ type: 'sessionOpen', sessionId });
  // The relay cannot read the encrypted card, so it cannot check the digest: any 32 bytes do for the benchmark.
  const rulesDigest = toBase64Url(randomBytes(32));
  const members = iks.map((ik): PlannedMember => {
    const memberId = memberIdOf(ik.publicKey);
    const sessionKey = createSessionKey(ik, groupId, sessionId);
    return {
      ik,
      memberId,
      acceptance: signAcceptance(ik, { groupId, sessionId, rulesDigest, agreement: false }),
      sessionKey: sessionKey.signed,
      sessionKeyPair: sessionKey.keyPair,
      template: new MessageTemplate({
        v: PROTOCOL_VERSION,
        groupId,
        sessionId,
        epoch: state.epoch,
        rosterHash: state.head,
        headEpoch: state.epoch,
        headHash: state.head,
        sender: memberId,
        keyId: opaqueId(),
        type: 'chat',
        ttl: MESSAGE_TTL_SECONDS,
      }),
    };
  });
  return { groupId, sessionId, entries, members, state };
}
