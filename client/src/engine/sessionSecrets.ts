/**
 * Everything secret that one device holds for one session, in one object so that the session's end wipes it in one
 * call: the session key pair (and its crypto_box shared-key cache), the verified session keys of the others, the
 * own sender chain, the receive state, and the queues of what arrived before the key it needs. No I/O and no
 * timers: the client (kindredClient.ts) drives it.
 */
import {
  createMemoryReceiveState,
  createPairwiseKeys,
  type InstallRecord,
  createSessionKey,
  installSenderKey,
  openSenderKey,
  rekey,
  sealToMembers,
  stateHead,
  verifySessionKey,
  wipeChain,
  wipeReceiveState,
  wipeSessionKey,
  type IdentityKeyPair,
  type OwnSenderChain,
  type PairwiseKeys,
  type ReceiveState,
  type RosterState,
  type SenderKeyRecipient,
  type SessionKeyPair,
} from '@kindred/shared/crypto';
import { KindredError } from '@kindred/shared/errors';
import type { Envelope, SealedSenderKey, SignedAcceptance, SignedSessionKey } from '@kindred/shared/protocol';

/** Most envelopes kept while waiting for their sender key (a burst behind a slow key distribution). */
export const MAX_PENDING_ENVELOPES = 500;
/** Chat client ids remembered per session for de-duplication (a copy arriving later than this many is shown). */
export const MAX_CLIENT_IDS = 10_000;
/** Most sealed keys kept while waiting for their sender's session key. */
export const MAX_PENDING_SEALED = 500;

export class SessionSecrets {
  readonly keyPair: SessionKeyPair;
  readonly signedKey: SignedSessionKey;
  readonly pairwise: PairwiseKeys;
  readonly receive: ReceiveState;
  /** Verified session public keys of the others in the session, by member id. */
  readonly peers = new Map<string, Uint8Array>();
  chain: OwnSenderChain | null = null;
  /** Members the current chain was sealed to. */
  sealedTo = new Set<string>();
  /** Highest relay seq received, for resuming after a reconnect. */
  lastSeq: number | undefined;
  /** Members who were present when this device last announced its pseudonym (re-announced only to newcomers). */
  readonly profileSeenBy = new Set<string>();
  /** `${sender} ${clientId}` of the chat messages shown in this session (the oldest forgotten past the bound). */
  private readonly clientIds = new Set<string>();
  /** True once the relay accepted this session key (a later entry is a resume with the same key). */
  enteredOnce = false;
  pendingEnvelopes: Envelope[] = [];
  pendingSealed: SealedSenderKey[] = [];
  /** While knocking: the hash of this device's knock proof, which its introductions name. */
  knockProofHash: string | undefined;
  wiped = false;

  constructor(
    readonly groupId: string,
    readonly sessionId: string,
    readonly me: string,
    readonly acceptance: SignedAcceptance,
    ik: IdentityKeyPair,
    /**
     * The session's install record, which outlives these secrets (engineContext.ts keeps it while the verified roster
     * has the session open): what was installed before a wipe or an eviction cannot be installed again.
     */
    readonly record: InstallRecord | undefined = undefined,
    /** This device's session-key generation (higher than any key it made before for this session). */
    generation = 0,
  ) {
    const created = createSessionKey(ik, groupId, sessionId, { generation });
    this.keyPair = created.keyPair;
    this.signedKey = created.signed;
    this.pairwise = createPairwiseKeys(created.keyPair);
    this.receive = createMemoryReceiveState(groupId, sessionId, record);
  }

  /**
   * Verifies a peer's signed session key (signature by its identity key, this group and session; a generation not
   * older than one seen before in this session, KEY_REPLAY otherwise) and keeps it.
   */
  addPeer(member: string, signed: SignedSessionKey): void {
    if (member === this.me) return;
    const pk = verifySessionKey(signed, { groupId: this.groupId, sessionId: this.sessionId, member });
    this.record?.noteSessionKey(member, signed.body.gen, signed.body.sessionPk);
    const old = this.peers.get(member);
    if (old && !sameBytes(old, pk)) {
      // A new key (the member came back on a new device or tab): it needs our chain and our name again.
      this.sealedTo.delete(member);
      this.profileSeenBy.delete(member);
    }
    this.peers.set(member, pk);
  }

  removePeer(member: string): void {
    this.peers.delete(member);
    this.sealedTo.delete(member);
    this.profileSeenBy.delete(member); // whoever comes back under this id starts with no names
  }

  /** A new own chain at the roster's epoch; the old one is wiped. Returns the boxes for the present members. */
  rekey(roster: RosterState, nowMs: number): SealedSenderKey[] {
    if (this.wiped) throw new KindredError('SESSION_NOT_OPEN', 'session secrets were wiped');
    const recipients = this.recipients(roster, new Set());
    const { chain, sealed } = rekey({ old: this.chain ?? undefined, roster, sender: this.me, recipients, me: this.pairwise, nowMs });
    this.chain = chain;
    this.sealedTo = new Set(recipients.map((r) => r.member));
    return sealed;
  }

  /**
   * Wipes the own chain without making a new one: a lazy rekey (keyDistribution.ts, EAGER_REKEY_MAX_PRESENT). Nothing
   * can be encrypted with the old chain from now on; the next send finds no chain and makes and distributes one.
   */
  retireChain(): void {
    if (this.chain && !this.chain.wiped) wipeChain(this.chain);
    this.chain = null;
    this.sealedTo = new Set();
  }

  /** True when a present roster member has not been sent the current chain (or a send of it failed). */
  hasUnsealed(roster: RosterState): boolean {
    return this.chain !== null && this.recipients(roster, this.sealedTo).length > 0;
  }

  /** Boxes of the current chain for present roster members who do not have it yet (newcomers, new keys). */
  sealForNewcomers(roster: RosterState): SealedSenderKey[] {
    if (!this.chain) return [];
    const recipients = this.recipients(roster, this.sealedTo);
    if (recipients.length === 0) return [];
    stateHead(this.chain, { epoch: roster.epoch, hash: roster.head }); // the sealed key states the roster I hold now
    const sealed = sealToMembers(this.chain, roster, recipients, this.pairwise);
    for (const r of recipients) this.sealedTo.add(r.member);
    return sealed;
  }

  /** Opens and installs a sealed sender key from a roster member whose session key we hold; false if we lack it. */
  openSealed(sealed: SealedSenderKey, nowMs: number, onHead?: (head: { epoch: number; hash: string }) => void): 'installed' | 'duplicate' | 'no-peer-key' {
    const pk = this.peers.get(sealed.from);
    if (!pk) return 'no-peer-key';
    const key = openSenderKey(sealed, pk, this.pairwise, this.me);
    onHead?.(key.head); // the sender's roster head, authenticated by the box
    return installSenderKey(this.receive, key, nowMs) ? 'installed' : 'duplicate';
  }

  /** Records a chat message's (sender, client id); false when it was seen already in this session (a copy). */
  noteClientId(sender: string, clientId: string): boolean {
    const key = `${sender} ${clientId}`;
    if (this.clientIds.has(key)) return false;
    this.clientIds.add(key);
    if (this.clientIds.size > MAX_CLIENT_IDS) this.clientIds.delete(this.clientIds.values().next().value as string);
    return true;
  }

  queueEnvelope(envelope: Envelope): void {
    this.pendingEnvelopes.push(envelope);
    if (this.pendingEnvelopes.length > MAX_PENDING_ENVELOPES) this.pendingEnvelopes.shift();
  }

  queueSealed(sealed: SealedSenderKey): void {
    this.pendingSealed.push(sealed);
    if (this.pendingSealed.length > MAX_PENDING_SEALED) this.pendingSealed.shift();
  }

  /** Erases every key of the session (sodium_memzero through the crypto layer) and forgets the queues. */
  wipe(): void {
    if (this.wiped) return;
    this.wiped = true;
    if (this.chain && !this.chain.wiped) wipeChain(this.chain);
    this.chain = null;
    wipeReceiveState(this.receive);
    this.pairwise.wipe();
    wipeSessionKey(this.keyPair);
    this.peers.clear();
    this.sealedTo.clear();
    this.pendingEnvelopes = [];
    this.pendingSealed = [];
    this.clientIds.clear();
  }

  private recipients(roster: RosterState, exclude: Set<string>): SenderKeyRecipient[] {
    const members = new Set(roster.members.map((m) => m.id));
    const out: SenderKeyRecipient[] = [];
    for (const [member, sessionPk] of this.peers) {
      if (member !== this.me && members.has(member) && !exclude.has(member)) out.push({ member, sessionPk });
    }
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Public keys, not secrets: a plain comparison is fine.
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
