/**
 * My chat messages on their way to the relay, one at a time in the order they were written. The caller shows each at
 * once as "waiting to send"; here it is encrypted once the session is entered, and posted.
 *
 * Waiting has no limit but the message's own expiry: a message written during an outage waits for the connection and
 * the re-entry, however long, and only the session's end, a refusal, or the moment it would have expired (EXPIRED:
 * it is never posted after that) stops it. It goes out with the time it has left as its ttl. A lost answer (UNAVAILABLE, or an answer that came back
 * after the socket it was sent on was lost) posts the IDENTICAL envelope again once the session is entered again, or
 * after a backoff when the socket stayed up: the relay recognises the copy by (sender, keyId, counter) and answers
 * with the first seq, and receivers refuse a used counter as a replay, silently. Only when my chain was replaced
 * meanwhile (a rekey on the re-entry) is the message encrypted again, under the same client message id, which
 * receivers de-duplicate on. Any other refusal (muted, slow mode...) is final: the message is dropped, its promise
 * rejects.
 */
import { KindredError, isKindredError } from '@kindred/shared/errors';
import type { Envelope } from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';

/** Backoff between posts of the same envelope while the socket stays up but the relay does not answer (ms). */
const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 10_000;

export interface OutboxItem {
  /**
   * Encrypts the message on my current chain (waiting for my chain to be accepted); called again after a rekey. Refuses
   * (EXPIRED) once `expiresAt` has passed, in the same turn as it encrypts, and states the time left as the ttl.
   */
  encrypt(): Promise<Envelope>;
  /** The encrypted form last posted: posted again, unchanged, after a lost answer. */
  envelope: Envelope | null;
  /** When the message expires (ms, the engine's clock): it is not posted from then on. */
  expiresAt: number;
}

/**
 * A lost answer re-posts the identical envelope, whose ttl was counted from its first encryption. Once the message has
 * waited so long that this ttl would keep it on receivers' screens more than this much past its expiry, it is
 * encrypted again with the time it has left (receivers de-duplicate on its client message id).
 */
const TTL_SLACK_MS = 60_000;

export class Outbox {
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly ctx: EngineContext) {}

  /** Queues `item` behind the messages written before it; resolves with the relay's seq once it took it. */
  post(item: OutboxItem): Promise<{ envelope: Envelope; seq: number }> {
    const run = this.tail.then(() => this.deliver(item));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async deliver(item: OutboxItem): Promise<{ envelope: Envelope; seq: number }> {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    let backoff = RETRY_FIRST_MS;
    for (;;) {
      if (!secrets || secrets.wiped || ctx.secrets !== secrets) throw new KindredError('SESSION_NOT_OPEN', 'the session ended before the message went out');
      if (!ctx.entered) {
        await ctx.untilEntered();
        continue;
      }
      const sentOn = ctx.connection.authentications;
      try {
        const left = item.expiresAt - ctx.clock.now();
        if (left <= 0) throw new KindredError('EXPIRED', 'the message expired before it could be sent');
        // First post, my chain was replaced or retired since, or it waited so long that its ttl overstates: encrypt (again).
        const stale = item.envelope && (item.envelope.header.keyId !== secrets.chain?.keyId || item.envelope.header.ttl * 1000 > left + TTL_SLACK_MS);
        if (!item.envelope || stale) item.envelope = await item.encrypt();
        const envelope = item.envelope;
        const { seq } = await ctx.connection.request('message.send', { envelope });
        return { envelope, seq };
      } catch (e) {
        const lost = sentOn !== ctx.connection.authentications || !ctx.entered;
        if (!lost && !isKindredError(e, 'UNAVAILABLE') && !isKindredError(e, 'RATE_LIMITED')) throw e;
        if (!lost) {
          // Connected but unanswered: try the same envelope again a little later, or as soon as a re-entry happens.
          await this.pause(backoff);
          backoff = Math.min(backoff * 2, RETRY_MAX_MS);
        }
      }
    }
  }

  /** Waits `ms`, or less when the connection drops (the loop then waits for the re-entry). */
  private pause(ms: number): Promise<void> {
    const ctx = this.ctx;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const off = ctx.connection.on('status', (s) => s !== 'ready' && done());
      function done(): void {
        clearTimeout(timer);
        off();
        resolve();
      }
    });
  }
}
