/** The protocol core: pure functions over libsodium, no I/O, no timers. Exact formats: docs/PROTOCOL.md. */
export { initCrypto, bytesEqual, randomBytes, wipe } from './sodium';
export { canonicalJson, canonicalBytes, labelled } from './canonical';
export { LABEL, KDF_CONTEXT } from './labels';
export type * from './types';
export { signObject, verifyObject, requireSignature, hashObject, hashObjectBytes, memberKey } from './signedObject';
// Part A: identity, invites, group card, roster, acceptance (docs/PROTOCOL.md part A).
export { generateIdentity, identityFromSeed, identitySeed, memberIdOf, fingerprint, requireFingerprint, FINGERPRINT_BYTES } from './identity';
export { wrapIdentity, unwrapIdentity, WRAP_PARAMS_AT_REST, WRAP_PARAMS_INTERACTIVE, WRAP_PARAMS_MIN } from './identityWrap';
export type { WrapParams, WrapTestingOptions } from './identityWrap';
export { createAuthChallenge, signAuthChallenge, verifyAuthChallenge, AUTH_CHALLENGE_BYTES } from './authChallenge';
export { safetyNumber, safetyNumberQrPayload, verifySafetyNumberQr, epochCode } from './safetyNumber';
export { signGroupCard, verifyGroupCard, rulesDigest, encryptGroupCard, decryptGroupCard, MAX_GROUP_CARD_PLAINTEXT, CARD_SALT_BYTES } from './groupCard';
export type { CardTrust } from './groupCard';
export {
  createInviteSecret, inviteGateToken, inviteGateHash, checkInviteGate, formatInviteFragment, parseInviteFragment, inviteSigningKeyPair,
  invitePublicKey, INVITE_SECRET_BYTES,
} from './invite';
export type { InviteLink } from './invite';
export {
  createGenesis, signRosterEntry, signRosterBody, rosterEntryHash, applyRosterEntry, verifyRosterChain,
  rosterMember, isFacilitator, memberMaySend, MAX_ROSTER_MEMBERS, MAX_ROSTER_BANNED, MAX_LIVE_INVITES, MAX_REVOKED_INVITES,
} from './roster';
export type { ApplyOptions, VerifyChainOptions } from './roster';
export { RosterTracker, ROSTER_STATE_WINDOW } from './rosterTracker';
export type { RosterStorage, SerializedRoster } from './rosterTracker';
export { signAcceptance, verifyAcceptance } from './acceptance';
export type { AcceptanceInput, ExpectedAcceptance } from './acceptance';
export { signKnockProof, verifyKnockProof, acceptanceHash, knockProofHash } from './knockProof';
export type { KnockToProve } from './knockProof';
// Part B: session keys, sender-key chains, key distribution, messages, padding, rekey, direct boxes (docs/PROTOCOL.md part B).
export { sealVault, openVault, vaultKey, emptyVault, VAULT_BUCKETS } from './vault';
export { createSessionKey, verifySessionKey, wipeSessionKey } from './sessionKey';
export type { CreatedSessionKey } from './sessionKey';
export { createOwnSenderChain, advanceOwnChain, stepChainKey, stateHead, wipeChain, MAX_COUNTER } from './senderKeyChain';
export type { ChainContext, OwnSenderChain, FixedChainInputs } from './senderKeyChain';
export { createPairwiseKeys } from './pairwiseBox';
export type { PairwiseKeys } from './pairwiseBox';
export { sealSenderKey, openSenderKey } from './keyDistribution';
export type { SenderKeyRecipient, ReceivedSenderKey } from './keyDistribution';
export { MESSAGE_BUCKETS, DIRECT_BUCKETS, CARD_BUCKETS, maxPlaintext, paddedLength, padToBucket, unpadFromBucket } from './padding';
export {
  createMemoryReceiveState, installSenderKey, wipeReceiveState, noteRoster, epochAccepted, pruneReceiveState, wipeReceivingChain,
  MAX_FORWARD_JUMP, MAX_SKIPPED, SKIPPED_KEY_LIFETIME_MS, PREVIOUS_EPOCH_GRACE_MS, MAX_USED_COUNTERS, MAX_CHAINS_PER_SENDER,
} from './receiveState';
export type { ReceiveState, ReceivingChain, RekeyMark, SkippedKey } from './receiveState';
export { InstallRecord, type InstallRecordData, MAX_INSTALLED_KEYS, MAX_INSTALLED_PER_SENDER, MAX_RECORDED_MEMBERS } from './installRecord';
export { encryptMessage, decryptMessage, isMuted } from './messageCipher';
export type { DecryptedMessage, DecryptOptions, FixedMessageInputs } from './messageCipher';
export { needsRekey, rekey, sealToMembers, EAGER_REKEY_MAX_PRESENT, REKEY_AFTER_MESSAGES, REKEY_AFTER_MS } from './rekeyPolicy';
export type { RekeyReason } from './rekeyPolicy';
export { sealDirect, openDirect, sealToFacilitators } from './directMessage';
export { sealPeer, openPeer } from './peerBox';
export { HeadWatch, ASK_PEERS_AFTER_MS, WITHHELD_AFTER_MS, PEER_SEND_INTERVAL_MS } from './headWatch';
export type { Head, HeadVerdict, Proof } from './headWatch';
export type { DirectContext } from './directMessage';
