/**
 * Integration support: the REAL relay (test/support/relayUnderTest) on a temporary SQLite directory with a person's
 * rate limit, nothing recorded and its own clock real, and the engine clients of test/support/engineClients talking
 * to it over real websockets. Waiting is event-driven (a state subscription), never a fixed sleep.
 */
import { startRelay as startTestRelay, type RelayUnderTest } from '../support/relayUnderTest';

export type { RelayUnderTest } from '../support/relayUnderTest';
export {
  admitThroughInvite,
  card,
  newClient,
  nextEvent,
  policy,
  sessionWith,
  texts,
  until,
  type ClientOptions,
} from '../support/engineClients';

// Captured at load: the relay's own clock stays real even when a test fakes the engine's timers.
const realNow = Date.now.bind(Date);

export function startRelay(opts: { bufferTtlSeconds?: number } = {}): Promise<RelayUnderTest> {
  return startTestRelay({
    storage: 'disk',
    record: false,
    now: realNow,
    config: {
      rateLimit: { perSecond: 1000, burst: 10_000 },
      ...(opts.bufferTtlSeconds !== undefined ? { bufferTtlSeconds: opts.bufferTtlSeconds } : {}),
    },
  });
}
