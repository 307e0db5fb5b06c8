/**
 * The device vault: what a kept-key device remembers about its groups between runs (docs/PROTOCOL.md part A,
 * "Device vault"). It never travels: it is sealed by shared/src/crypto/vault.ts under a key derived from the identity
 * seed and kept as one IndexedDB record. These schemas check the record and its content after opening, because
 * storage is not trusted either.
 */
import { z } from 'zod';
import { b64Bytes, b64Max, Hash32, Nonce24, OpaqueId } from './primitives';
import { SignedGroupCard, SignedRosterEntry } from './objects';

/** Version of the vault formats (the record and its content); independent of the wire version. */
export const VAULT_VERSION = 1 as const;
/** Groups one device keeps (the oldest-used is dropped beyond it). */
export const MAX_VAULT_GROUPS = 64;
/** Invite secrets kept per group (the most recent ones). */
export const MAX_VAULT_INVITES = 16;
/** Largest sealed content: the largest padding bucket (VAULT_BUCKETS in crypto/vault.ts) plus the AEAD tag. */
export const MAX_VAULT_CIPHERTEXT = 16 * 1024 * 1024 + 16;

/** A verified roster head: the epoch and the hash of its entry. */
export const RosterHead = z.strictObject({ epoch: z.number().int().min(0).max(2 ** 31 - 1), hash: Hash32 });
export type RosterHead = z.infer<typeof RosterHead>;

export const VaultGroup = z.strictObject({
  groupId: OpaqueId,
  /** The creator's fingerprint from the invite link (the root of trust the chain is verified against). */
  creatorFingerprint: b64Bytes(16),
  /** The group's name, as the last verified card had it (shown in "My groups"). */
  name: z.string().max(120),
  /** The verified roster chain from genesis (re-verified on load). */
  roster: z.array(SignedRosterEntry).min(1),
  /** The last verified card (facilitators make invites from it; its rules are what members accept). */
  card: SignedGroupCard.nullable(),
  /** Invite secrets this device made or came in by (the card key and gate token derive from each). */
  invites: z.array(z.strictObject({ inviteId: OpaqueId, secret: b64Bytes(32) })).max(MAX_VAULT_INVITES),
  /** When this device last used the group (its own clock, ms), to order "My groups". */
  usedAt: z.number().int().min(0),
});
export type VaultGroup = z.infer<typeof VaultGroup>;

/** The plaintext of the vault (before padding). */
export const VaultContent = z.strictObject({
  v: z.literal(VAULT_VERSION),
  groups: z.array(VaultGroup).max(MAX_VAULT_GROUPS),
});
export type VaultContent = z.infer<typeof VaultContent>;

/** The record at rest: nothing in it but the format version, a nonce and a padded ciphertext. */
export const SealedVault = z.strictObject({
  v: z.literal(VAULT_VERSION),
  nonce: Nonce24,
  ct: b64Max(MAX_VAULT_CIPHERTEXT),
});
export type SealedVault = z.infer<typeof SealedVault>;

