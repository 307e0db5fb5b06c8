/**
 * Keeping my place across a lost connection. The link view (state.ts, LinkView) says offline from the moment the
 * socket drops until the session is entered again, so a person sees at once that nothing goes out and that presence
 * is unknown. After each reconnect the session is re-entered (sessionEntry.resume); a re-entry that fails (a relay
 * node that hangs answers UNAVAILABLE) is tried again with backoff, for as long as the socket stays up, until it
 * succeeds or the session is over (a refusal that says so, or the roster's close), and the link view shows which.
 */
import { isKindredError, type ErrorCode } from '@kindred/shared/errors';
import type { ConnectionStatus } from './connection';
import type { CloseReason, EngineContext } from './engineContext';
import { ONLINE, type LinkView } from './state';

/** First wait after a failed re-entry, doubled after each further failure up to the maximum (ms). */
export const RESUME_RETRY_FIRST_MS = 500;
export const RESUME_RETRY_MAX_MS = 15_000;

/** Refusals of a re-entry that mean the session is over for this device: nothing to retry. */
const FINAL: Partial<Record<ErrorCode, CloseReason>> = { SESSION_NOT_OPEN: 'ended', BANNED: 'banned' };

export class Resumption {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private wasReady = false;
  /** Bumped on every drop, so that an attempt started on a lost socket changes nothing when it settles. */
  private generation = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly resume: () => Promise<void>,
  ) {}

  onStatus(status: ConnectionStatus): void {
    if (status === 'ready') {
      this.wasReady = true;
      return; // online is declared once the session is entered again (onAuthenticated)
    }
    if (status === 'closed') {
      this.cancel();
      return;
    }
    if (!this.wasReady) return; // still the first connection: nothing was lost yet
    this.cancel();
    const link = this.ctx.state.link;
    this.setLink({ offline: true, since: link.since ?? this.ctx.clock.now(), failures: this.failures, retryAt: null });
  }

  onAuthenticated(reconnect: boolean): void {
    if (reconnect) this.attempt();
  }

  private attempt(): void {
    const generation = this.generation;
    const ctx = this.ctx;
    this.resume().then(
      () => {
        if (generation !== this.generation) return;
        this.failures = 0;
        this.setLink(ONLINE);
      },
      (e: unknown) => {
        if (generation !== this.generation || ctx.closed) return;
        const final = isKindredError(e) ? FINAL[e.code] : undefined;
        if (final !== undefined || !ctx.secrets) {
          if (ctx.secrets) ctx.wipeSession(final ?? 'ended', true);
          this.failures = 0;
          this.setLink(ONLINE);
          return;
        }
        ctx.warnFromError(e, 'resume');
        this.failures += 1;
        const delay = Math.min(RESUME_RETRY_FIRST_MS * 2 ** (this.failures - 1), RESUME_RETRY_MAX_MS);
        const link = ctx.state.link;
        this.setLink({ offline: true, since: link.since ?? ctx.clock.now(), failures: this.failures, retryAt: ctx.clock.now() + delay });
        this.timer = setTimeout(() => {
          this.timer = null;
          if (generation === this.generation && ctx.connection.status === 'ready') this.attempt();
        }, delay);
      },
    );
  }

  private cancel(): void {
    this.generation += 1;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private setLink(link: LinkView): void {
    this.ctx.update((s) => (sameLink(s.link, link) ? s : { ...s, link }));
  }
}

function sameLink(a: LinkView, b: LinkView): boolean {
  return a.offline === b.offline && a.since === b.since && a.failures === b.failures && a.retryAt === b.retryAt;
}
