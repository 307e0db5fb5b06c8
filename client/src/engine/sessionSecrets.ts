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
  randomBytes,
  rekey,
  sealSenderKey,
  sealToMembers,
  stateHead,
  verifySessionKey,
  wipe as wipeBytes,
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
import {
  MAX_KEPT_SEALED,
  MAX_KEPT_SEALED_PER_SENDER,
  MAX_KEPT_SHOWN,
  type Envelope,
  type KeptSealedKey,
  type SealedSenderKey,
  type SignedAcceptance,
  type SignedSessionKey,
  type WaitingToSend,
} from '@kindred/shared/protocol';

/** Most envelopes kept while waiting for their sender key (a burst behind a slow key distribution). */
export const MAX_PENDING_ENVELOPES = 500;
/** Chat client ids remembered per session for de-duplication (a copy arriving later than this many is shown). */
export const MAX_CLIENT_IDS = 10_000;
/** Most sealed keys kept while waiting for their sender's session key. */
export const MAX_PENDING_SEALED = 500;

export class SessionSecrets {
  /** The seed of the session key: kept (and wiped with it) so that a reloaded tab can remake the same key. */
  readonly seed: Uint8Array;
  readonly keyPair: SessionKeyPair;
  readonly signedKey: SignedSessionKey;
  readonly pairwise: PairwiseKeys;
  readonly receive: ReceiveState;
  /** Verified session public keys of the others in the session, by member id. */
  readonly peers = new Map<string, Uint8Array>();
  /** The signed form of each key in `peers` (kept beside a sealed key it opened, for a reload). */
  private readonly peerKeys = new Map<string, SignedSessionKey>();
  /**
   * The sealed sender keys that installed here, by `${from} ${keyId}` in arrival order, each with the session key that
   * sealed it; my own chains sealed to myself. What a reloaded tab opens again (sessionSnapshot.ts). Bounded.
   */
  readonly kept = new Map<string, KeptSealedKey>();
  /** `id → expiresAt` of the chat messages shown in this session (a message that comes back keeps its expiry). */
  readonly shown = new Map<string, number>();
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
  /**
   * A reloaded tab, until its first entry: the sealed keys it kept (opened once the present members are known) and
   * the messages it had shown (those that do not come back are reported gone). Null otherwise.
   */
  restoring: { sealed: KeptSealedKey[]; shown: [string, number][]; waiting: WaitingToSend[] } | null = null;
  /** True while a reloaded tab's first entry hands its replay of the relay's buffer to messaging (sessionEntry.ts). */
  replaying = false;
  /** Called when what a reload would need changed (kept keys, shown messages, peers' keys): the engine saves it. */
  onKeptChange: (() => void) | null = null;
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
    readonly generation = 0,
    /** A reloaded tab's own session key seed (copied); a fresh random one otherwise. */
    seed?: Uint8Array,
  ) {
    this.seed = seed ? Uint8Array.from(seed) : randomBytes(32);
    const created = createSessionKey(ik, groupId, sessionId, { generation, seed: this.seed });
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
    this.peerKeys.set(member, signed);
    this.onKeptChange?.();
  }

  removePeer(member: string): void {
    this.peers.delete(member);
    this.peerKeys.delete(member);
    this.sealedTo.delete(member);
    this.profileSeenBy.delete(member); // whoever comes back under this id starts with no names
  }

  /** A new own chain at the roster's epoch; the old one is wiped. Returns the boxes for the present members. */
  rekey(roster: RosterState, nowMs: number): SealedSenderKey[] {
    if (this.wiped) throw new KindredError('SESSION_NOT_OPEN', 'session secrets were wiped');
    const recipients = this.recipients(roster, new Set());
    const { chain, sealed } = rekey({ old: this.chain ?? undefined, roster, sender: this.me, recipients, me: this.pairwise, nowMs });
    this.chain = chain;
    // Sealed to myself and kept: a reloaded tab reads my own messages the relay still buffers, and shows them as mine.
    this.keep(sealSenderKey(chain, { member: this.me, sessionPk: this.keyPair.publicKey, gen: this.generation }, this.pairwise), this.signedKey);
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

  /**
   * Opens and installs a sealed sender key from a roster member whose session key we hold: 'no-peer-key' if we lack
   * it, 'stale' (nothing done) if it states it was sealed to an older session key of mine.
   */
  openSealed(sealed: SealedSenderKey, nowMs: number, onHead?: (head: { epoch: number; hash: string }) => void): 'installed' | 'duplicate' | 'no-peer-key' | 'stale' {
    // Sealed to an older session key of mine (a peer that had not yet seen my new one, e.g. just after I rejoined): it
    // cannot open, and it is no attack; the peer seals its chain to my new key once it has it.
    if (sealed.toGen !== undefined && sealed.toGen < this.generation) return 'stale';
    const pk = this.peers.get(sealed.from);
    if (!pk) return 'no-peer-key';
    const key = openSenderKey(sealed, pk, this.pairwise, this.me);
    onHead?.(key.head); // the sender's roster head, authenticated by the box
    if (!installSenderKey(this.receive, key, nowMs)) return 'duplicate';
    const signed = this.peerKeys.get(sealed.from);
    if (signed) this.keep(sealed, signed);
    return 'installed';
  }

  /**
   * Opens a sealed key this tab kept before a reload, with the session key it kept beside it (verified again, and
   * noted in the install record: an older generation than one seen is KEY_REPLAY). Throws on any failure; the caller
   * drops it silently (it is this tab's own storage, and a stale entry is no attack).
   */
  reopenKept(entry: KeptSealedKey, nowMs: number): 'installed' | 'duplicate' {
    const { sealed, senderKey } = entry;
    const pk = verifySessionKey(senderKey, { groupId: this.groupId, sessionId: this.sessionId, member: sealed.from });
    if (sealed.from !== this.me) this.record?.noteSessionKey(sealed.from, senderKey.body.gen, senderKey.body.sessionPk);
    const key = openSenderKey(sealed, pk, this.pairwise, this.me);
    if (!installSenderKey(this.receive, key, nowMs)) return 'duplicate';
    this.keep(sealed, senderKey);
    return 'installed';
  }

  /** Notes the expiry of a chat message shown (its id), the oldest forgotten past MAX_KEPT_SHOWN. */
  noteShown(id: string, expiresAt: number): void {
    this.shown.delete(id);
    this.shown.set(id, expiresAt);
    if (this.shown.size > MAX_KEPT_SHOWN) this.shown.delete(this.shown.keys().next().value as string);
    this.onKeptChange?.();
  }

  private keep(sealed: SealedSenderKey, senderKey: SignedSessionKey): void {
    const k = `${sealed.from} ${sealed.keyId}`;
    if (this.kept.has(k)) return; // the first one installed reads the most
    this.kept.set(k, { sealed, senderKey });
    const fromSender = [...this.kept.keys()].filter((x) => x.startsWith(`${sealed.from} `));
    if (fromSender.length > MAX_KEPT_SEALED_PER_SENDER) this.kept.delete(fromSender[0] as string);
    if (this.kept.size > MAX_KEPT_SEALED) this.kept.delete(this.kept.keys().next().value as string);
    this.onKeptChange?.();
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
    wipeBytes(this.seed);
    this.peers.clear();
    this.peerKeys.clear();
    this.kept.clear();
    this.shown.clear();
    this.restoring = null;
    this.onKeptChange = null;
    this.sealedTo.clear();
    this.pendingEnvelopes = [];
    this.pendingSealed = [];
    this.clientIds.clear();
  }

  private recipients(roster: RosterState, exclude: Set<string>): SenderKeyRecipient[] {
    const members = new Set(roster.members.map((m) => m.id));
    const out: SenderKeyRecipient[] = [];
    for (const [member, sessionPk] of this.peers) {
      if (member !== this.me && members.has(member) && !exclude.has(member)) out.push({ member, sessionPk, gen: this.peerKeys.get(member)?.body.gen ?? 0 });
    }
    return out;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  // Public keys, not secrets: a plain comparison is fine.
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
