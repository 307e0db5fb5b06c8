/**
 * The device vault of a kept key, as the web client uses it: the opened content in memory while the identity is
 * unlocked, every change sealed again (shared/src/crypto/vault.ts) and written as the one record through a backend
 * (IndexedDB in the browser: vaultRecord.ts; memory in tests). It is the engine's RosterStorage, so a relay that
 * serves a roster older than the one this device verified before a restart is refused (ROSTER_ROLLBACK), and it keeps
 * the device's groups for "My groups".
 */
import { emptyVault, fingerprint, openVault, sealVault, type IdentityKeyPair, type RosterStorage, type SerializedRoster } from '@kindred/shared/crypto';
import { isKindredError, type ErrorCode } from '@kindred/shared/errors';
import { MAX_VAULT_GROUPS, MAX_VAULT_INVITES, type SealedVault, type VaultContent, type VaultGroup } from '@kindred/shared/protocol';

/** Where the sealed record lives. */
export interface VaultBackend {
  load(): Promise<unknown>;
  save(record: SealedVault): Promise<void>;
}

/** A backend in memory (tests, and browsers without IndexedDB): `record` is what would be at rest. */
export function memoryVaultBackend(): VaultBackend & { record: SealedVault | undefined } {
  const backend = {
    record: undefined as SealedVault | undefined,
    load: () => Promise.resolve(backend.record),
    save: (r: SealedVault) => {
      backend.record = r;
      return Promise.resolve();
    },
  };
  return backend;
}

export class DeviceVault implements RosterStorage {
  #content: VaultContent;
  #writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly identity: IdentityKeyPair,
    private readonly backend: VaultBackend,
    content: VaultContent,
    /** Why the stored record could not be opened (damaged or another identity's), or null. It is then replaced. */
    readonly openError: ErrorCode | null,
  ) {
    this.#content = content;
  }

  /** Opens the stored record (an absent one is an empty vault; one that does not open is replaced, see openError). */
  static async open(identity: IdentityKeyPair, backend: VaultBackend): Promise<DeviceVault> {
    const stored = await backend.load();
    if (stored === undefined || stored === null) return new DeviceVault(identity, backend, emptyVault(), null);
    try {
      return new DeviceVault(identity, backend, openVault(identity, stored), null);
    } catch (e) {
      return new DeviceVault(identity, backend, emptyVault(), isKindredError(e) ? e.code : 'INTERNAL');
    }
  }

  /** The device's groups, most recently used first. */
  groups(): readonly VaultGroup[] {
    return [...this.#content.groups].sort((a, b) => b.usedAt - a.usedAt);
  }

  group(groupId: string): VaultGroup | undefined {
    return this.#content.groups.find((g) => g.groupId === groupId);
  }

  loadRoster(groupId: string): SerializedRoster | undefined {
    const g = this.group(groupId);
    return g ? { v: 1, groupId, creatorFingerprint: g.creatorFingerprint, entries: g.roster } : undefined;
  }

  /** Keeps a verified chain (the engine saves each new epoch); never replaces a longer chain by a shorter one. */
  saveRoster(groupId: string, data: SerializedRoster): Promise<void> {
    const g = this.group(groupId);
    if (g && g.roster.length > data.entries.length) return this.#writing;
    const genesis = data.entries[0];
    if (!genesis) return this.#writing;
    const creatorFingerprint = data.creatorFingerprint ?? (genesis.body.op.type === 'genesis' ? fingerprint(genesis.body.op.creator) : '');
    return this.update(groupId, (old) => ({ ...old, creatorFingerprint, roster: [...data.entries] }));
  }

  /** Keeps what a device needs to reopen a group without a link: its name, card and the invite secrets it may use. */
  rememberGroup(groupId: string, patch: { name?: string; card?: VaultGroup['card']; invite?: VaultGroup['invites'][number] }): Promise<void> {
    if (!this.group(groupId)) return this.#writing; // only groups whose verified roster is kept
    return this.update(groupId, (old) => ({
      ...old,
      ...(patch.name !== undefined ? { name: patch.name.slice(0, 120) } : {}),
      ...(patch.card !== undefined ? { card: patch.card } : {}),
      ...(patch.invite ? { invites: [...old.invites.filter((i) => i.inviteId !== patch.invite!.inviteId), patch.invite].slice(-MAX_VAULT_INVITES) } : {}),
    }));
  }

  /** Forgets a group on this device. */
  forget(groupId: string): Promise<void> {
    this.#content = { ...this.#content, groups: this.#content.groups.filter((g) => g.groupId !== groupId) };
    return this.persist();
  }

  /** Resolves once every change so far is written. */
  flushed(): Promise<void> {
    return this.#writing;
  }

  private update(groupId: string, change: (old: VaultGroup) => VaultGroup): Promise<void> {
    const old = this.group(groupId) ?? { groupId, creatorFingerprint: '', name: '', roster: [], card: null, invites: [], usedAt: 0 };
    const next = { ...change(old), usedAt: Date.now() };
    const others = this.#content.groups.filter((g) => g.groupId !== groupId);
    // Beyond the bound the group used longest ago is dropped.
    const kept = others.sort((a, b) => b.usedAt - a.usedAt).slice(0, MAX_VAULT_GROUPS - 1);
    this.#content = { ...this.#content, groups: [next, ...kept] };
    return this.persist();
  }

  /** Seals the content as it is now and writes it after the writes before it (one record, last write wins). */
  private persist(): Promise<void> {
    const sealed = sealVault(this.identity, this.#content);
    this.#writing = this.#writing.catch(() => undefined).then(() => this.backend.save(sealed));
    return this.#writing;
  }
}
