/**
 * Every domain-separation label and KDF context in the protocol, in one place so that no two purposes share
 * one (SECURITY.md, "one key used for two purposes, or one label for two message types"). Signature and hash
 * labels are ASCII strings prefixed to the canonical bytes with a 0x00 separator. KDF contexts are exactly
 * 8 bytes, as `crypto_kdf_derive_from_key` requires.
 */
export const LABEL = {
  /** Ed25519 over a relay's authentication challenge. */
  AUTH_CHALLENGE: 'kindred/v1/auth-challenge',
  /** Ed25519 by a facilitator's identity key over the group card body. */
  GROUP_CARD: 'kindred/v1/group-card',
  /** AEAD associated data of the encrypted group card. */
  GROUP_CARD_AD: 'kindred/v1/group-card-ad',
  /** Ed25519 by a facilitator of the previous roster over a roster entry body. */
  ROSTER_ENTRY: 'kindred/v1/roster-entry',
  /** BLAKE2b hash of a signed roster entry, chained into the next entry. */
  ROSTER_HASH: 'kindred/v1/roster-hash',
  /** Ed25519 by a member's identity key over its session X25519 public key. */
  SESSION_KEY: 'kindred/v1/session-key',
  /** Plaintext prefix inside the crypto_box that carries a sender key to one recipient. */
  SENDER_KEY_DISTRIBUTION: 'kindred/v1/sender-key-distribution',
  /** Ed25519 by a per-epoch ephemeral signing key over message header and ciphertext. */
  MESSAGE_SIGNATURE: 'kindred/v1/message',
  /** AEAD associated data of a message: the label then the canonical header. */
  MESSAGE_AD: 'kindred/v1/message-ad',
  /** Plaintext prefix inside a crypto_box sent privately to facilitators. */
  DIRECT_MESSAGE: 'kindred/v1/direct-message',
  /** Plaintext prefix inside a crypto_box between two members: roster entries one lacks (protocol v2). */
  PEER_BOX: 'kindred/v1/peer-box',
  /** Ed25519 by a member's identity key over the rules digest and session id. */
  RULES_ACCEPTANCE: 'kindred/v1/rules-acceptance',
  /** BLAKE2b digest of a group card body, keyed under KDF_CONTEXT.RULES_DIGEST_KEY (what an acceptance signs). */
  RULES_DIGEST: 'kindred/v1/rules-digest',
  /** BLAKE2b over the two identity keys, for safety numbers. */
  SAFETY_NUMBER: 'kindred/v1/safety-number',
  /** BLAKE2b over a roster head hash, for the short epoch code members compare out of band. */
  EPOCH_CODE: 'kindred/v1/epoch-code',
  /** BLAKE2b over an identity key, the fingerprint carried in invite links. */
  FINGERPRINT: 'kindred/v1/fingerprint',
  /** AEAD associated data of an identity key wrapped at rest. */
  IDENTITY_WRAP_AD: 'kindred/v1/identity-wrap',
  /** BLAKE2b over an invite gate token: what the relay stores to gate the waiting room. */
  INVITE_GATE_HASH: 'kindred/v1/invite-gate-hash',
  /** AEAD associated data of the device vault (a kept-key device's groups and verified rosters at rest). */
  VAULT_AD: 'kindred/v1/vault',
  /** Ed25519 by an invite's signing key over a knock (group, session, member, session key, invite, acceptance). */
  KNOCK_PROOF: 'kindred/v1/knock',
  /** BLAKE2b of a signed acceptance, bound into the knock proof. */
  ACCEPTANCE_HASH: 'kindred/v1/acceptance-hash',
  /** BLAKE2b of a signed knock proof, bound into the introduction that names the knocker. */
  KNOCK_PROOF_HASH: 'kindred/v1/knock-proof-hash',
} as const;

/** 8-byte contexts for `crypto_kdf_derive_from_key`. */
export const KDF_CONTEXT = {
  /** From an invite secret: the key that encrypts the group card. */
  CARD_KEY: 'KdCardKy',
  /** From an invite secret: the gate token presented to the relay (the relay stores its hash). */
  INVITE_GATE: 'KdInvGat',
  /** From an invite secret: the seed of the invite's Ed25519 signing key (knock proofs). */
  INVITE_SIGNING: 'KdInvSig',
  /** From a card's random salt: the BLAKE2b key of its rules digest (the relay cannot test guesses). */
  RULES_DIGEST_KEY: 'KdRulDig',
  /** From a sender chain key: the message key for the current counter. */
  MESSAGE_KEY: 'KdMsgKey',
  /** From a sender chain key: the next chain key. */
  CHAIN_KEY: 'KdChainK',
  /** From the identity seed: the key that seals the device vault. */
  VAULT_KEY: 'KdVaultK',
} as const;
