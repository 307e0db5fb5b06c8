/**
 * My sender-key chain and everyone else's: makes sure my chain is fresh and sealed to every present roster member
 * (ensureChain), sends the sealed keys to the relay in bounded requests (distribute), rekeys on a timer, opens the
 * keys others seal to me, and retries what waited for a key. The rekey rule is docs/PROTOCOL.md part B, "Rekey".
 */
import { needsRekey, pruneReceiveState } from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import { KEYS_REQUEST_BUDGET_BYTES, type Envelope, type KeptSealedKey, type SealedSenderKey } from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';
import { chunkSealedKeys, keysRequestBytes } from './keyChunks';
import type { SessionSecrets } from './sessionSecrets';

const PRUNE_INTERVAL_MS = 60_000;

export type ChainReason = 'session' | 'send' | 'newcomer' | 'roster' | 'age';

export class KeyDistribution {
  private rekeyTimer: ReturnType<typeof setTimeout> | null = null;
  private pruneTimer: ReturnType<typeof setTimeout> | null = null;
  private distributing: Promise<void> = Promise.resolve();
  /** keys.distribute jobs queued or running (a send waits until none is, so its chain has reached the relay). */
  private distributionsInFlight = 0;
  /** Bytes per keys.distribute request; halved for this relay when it answers PAYLOAD_TOO_LARGE. */
  private keysRequestBudget = KEYS_REQUEST_BUDGET_BYTES;

  /**
   * `receive` decrypts an envelope that waited for a sender key (messaging); `observeHead` is told the roster head
   * each opened sealed key states (headSync).
   */
  constructor(
    private readonly ctx: EngineContext,
    private readonly receive: (secrets: SessionSecrets, envelope: Envelope) => void,
    private readonly observeHead: (from: string, head: { epoch: number; hash: string }) => void,
  ) {
    ctx.onWipe(() => {
      if (this.rekeyTimer !== null) clearTimeout(this.rekeyTimer);
      this.rekeyTimer = null;
      if (this.pruneTimer !== null) clearTimeout(this.pruneTimer);
      this.pruneTimer = null;
    });
  }

  /** Resolves when every distribution of mine queued so far has finished (accepted or failed). */
  settled(): Promise<void> {
    return this.distributing;
  }

  /** True while a keys.distribute job is queued or running. */
  get inFlight(): boolean {
    return this.distributionsInFlight > 0;
  }

  /**
   * Makes sure my chain is fresh (rekeyPolicy) and sealed to every present roster member. A stale chain is replaced
   * at once when sending or entering, or in a small session; otherwise (a roster change or the age timer in a session
   * of more than eagerRekeyMaxPresent) it is only wiped, and the next send makes the new one (see
   * EAGER_REKEY_MAX_PRESENT in shared/src/crypto/rekeyPolicy.ts). Resolves when this call's keys were accepted by the relay.
   */
  async ensureChain(reason: ChainReason): Promise<void> {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    const roster = ctx.group?.tracker.state;
    if (!secrets || secrets.wiped || !roster || ctx.state.session?.status !== 'joined') return;
    if (!ctx.entered || !roster.members.some((m) => m.id === ctx.me)) return; // resume re-enters, then reconciles
    const now = ctx.clock.now();
    let sealed: SealedSenderKey[];
    const why = secrets.chain ? needsRekey(secrets.chain, roster, now) : 'session';
    if (why !== null || (secrets.chain && now - secrets.chain.createdAt >= ctx.rekeyAfterMs)) {
      if (!roster.session?.open || roster.session.id !== secrets.sessionId) return;
      if (reason !== 'send' && reason !== 'session' && (ctx.state.session?.present.length ?? 0) > ctx.eagerRekeyMaxPresent) {
        secrets.retireChain(); // lazy: nothing encrypts with the old chain any more; my next send makes a new one
        if (this.rekeyTimer !== null) clearTimeout(this.rekeyTimer);
        this.rekeyTimer = null;
        return;
      }
      sealed = secrets.rekey(roster, now);
      const chain = secrets.chain as NonNullable<SessionSecrets['chain']>;
      this.armRekeyTimer(chain.createdAt);
      ctx.events.emit('rekeyed', { epoch: chain.epoch, keyId: chain.keyId });
    } else {
      sealed = secrets.sealForNewcomers(roster);
    }
    if (sealed.length === 0) return;
    this.distributionsInFlight += 1;
    const job = this.distributing
      .then(() => this.distribute(secrets, sealed))
      .finally(() => {
        this.distributionsInFlight -= 1;
      });
    this.distributing = job.catch(() => undefined);
    await job;
  }

  /**
   * Sends sealed keys in requests of at most keysRequestBudget bytes (keyChunks.ts). The relay's bound is not known
   * here: when it answers PAYLOAD_TOO_LARGE the budget is halved (for this relay, from now on) and the rest is cut
   * again; a single key refused as too large fails the distribution.
   */
  private async distribute(secrets: SessionSecrets, sealed: SealedSenderKey[]): Promise<void> {
    const ctx = { groupId: secrets.groupId, sessionId: secrets.sessionId };
    let chunks = chunkSealedKeys(ctx, sealed, this.keysRequestBudget);
    let next = 0;
    while (next < chunks.length) {
      const part = chunks[next] as SealedSenderKey[];
      try {
        const { recipients } = await this.ctx.connection.request('keys.distribute', { ...ctx, sealed: part });
        // A recipient the relay refused (not in the session right now) does not fail the others, nor hold up my
        // sends: it is no longer a peer until it is announced present again, and then it gets my chain as a newcomer.
        for (const r of recipients) if (r.outcome === 'refused') secrets.removePeer(r.to);
        next += 1;
      } catch (e) {
        if (isKindredError(e, 'PAYLOAD_TOO_LARGE') && part.length > 1) {
          this.keysRequestBudget = Math.min(this.keysRequestBudget, Math.floor(keysRequestBytes(ctx, part) / 2));
          chunks = chunkSealedKeys(ctx, chunks.slice(next).flat(), this.keysRequestBudget);
          next = 0;
          continue;
        }
        // What was not accepted is sealed again on the next send or reconcile (a reconnect re-enters and reconciles),
        // unless the chain was replaced meanwhile (the new one is sealed to everyone anyway).
        for (const s of chunks.slice(next).flat()) if (secrets.chain?.keyId === s.keyId) secrets.sealedTo.delete(s.to);
        throw e;
      }
    }
  }

  private armRekeyTimer(createdAt: number): void {
    if (this.rekeyTimer !== null) clearTimeout(this.rekeyTimer);
    const delay = Math.max(0, createdAt + this.ctx.rekeyAfterMs - this.ctx.clock.now());
    this.rekeyTimer = setTimeout(() => {
      this.rekeyTimer = null;
      void this.ensureChain('age').catch((e) => this.ctx.warnFromError(e, 'rekey'));
    }, delay);
  }

  /** Erases expired skipped keys and ended chains once a minute (the crypto has no timers of its own). */
  armPruneTimer(): void {
    if (this.pruneTimer !== null) return;
    this.pruneTimer = setTimeout(() => {
      this.pruneTimer = null;
      const secrets = this.ctx.secrets;
      const roster = this.ctx.group?.tracker.state;
      if (!secrets || secrets.wiped || !roster) return;
      pruneReceiveState(secrets.receive, roster, this.ctx.clock.now());
      this.armPruneTimer();
    }, PRUNE_INTERVAL_MS);
  }

  /** A keys.sealed push: opened when it is for my current session. */
  onSealed(sealed: SealedSenderKey): void {
    const secrets = this.ctx.secrets;
    if (!secrets || secrets.wiped || sealed.groupId !== secrets.groupId || sealed.sessionId !== secrets.sessionId) return;
    this.openSealed(secrets, sealed);
  }

  /**
   * `when`: 'current' for a key pushed to, or buffered for, the session key in use. 'fresh' (the first entry with a new
   * session key): it cannot be for that key, so failing to open it is expected, not an attack. 'restored' (the first
   * entry of a reloaded tab): a key sealed before the tab's kept state, e.g. to an older key of mine or of a chain read
   * to its end already (KEY_REPLAY), is refused as well, and without an alarm.
   */
  openSealed(secrets: SessionSecrets, sealed: SealedSenderKey, when: 'current' | 'fresh' | 'restored' = 'current'): void {
    const roster = this.ctx.group?.tracker.state;
    if (!roster || !roster.members.some((m) => m.id === sealed.from)) {
      secrets.queueSealed(sealed); // may be a newcomer whose admission we have not seen yet
      return;
    }
    try {
      const r = secrets.openSealed(sealed, this.ctx.clock.now(), (head) => this.observeHead(sealed.from, head));
      if (r === 'no-peer-key') return secrets.queueSealed(sealed);
      if (r === 'installed') this.retryPending(secrets);
    } catch (e) {
      if (when !== 'current' && isKindredError(e) && (e.code === 'DECRYPT_FAILED' || (when === 'restored' && e.code === 'KEY_REPLAY'))) return;
      this.ctx.warnFromError(e, 'sender key');
    }
  }

  /**
   * A reloaded tab's kept sealed keys (sessionSnapshot.ts), from roster members only. One that no longer opens or
   * installs (its sender re-keyed, it was read to its end) is dropped without a warning: it is this tab's own storage.
   */
  reopenKept(secrets: SessionSecrets, kept: readonly KeptSealedKey[]): void {
    const roster = this.ctx.group?.tracker.state;
    if (!roster) return;
    const members = new Set(roster.members.map((m) => m.id));
    let installed = false;
    for (const entry of kept) {
      if (!members.has(entry.sealed.from)) continue;
      try {
        installed = secrets.reopenKept(entry, this.ctx.clock.now()) === 'installed' || installed;
      } catch {
        // stale: see above
      }
    }
    if (installed) this.retryPending(secrets);
  }

  /** Opens again the sealed keys that waited for their sender's admission or session key. */
  retrySealed(secrets: SessionSecrets): void {
    const queued = secrets.pendingSealed;
    secrets.pendingSealed = [];
    for (const s of queued) this.openSealed(secrets, s);
  }

  /** Decrypts again the messages that waited for a sender key or a roster epoch. */
  retryPending(secrets: SessionSecrets): void {
    const queued = secrets.pendingEnvelopes;
    secrets.pendingEnvelopes = [];
    for (const env of queued) this.receive(secrets, env);
  }
}
