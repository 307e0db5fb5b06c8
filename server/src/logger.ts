/**
 * The relay's logger: pino, handed to Fastify. Logs carry opaque ids, event names, status codes and error codes,
 * never bodies, payloads, headers, addresses or keys (SECURITY.md: the logs are untrusted and a canary test
 * searches them for plaintext). Redaction is the second line: it blanks the usual carriers of content if some
 * code logs an object it should not have.
 */
import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type { Config } from './config';

/** Field names that may hold content or secrets: blanked at the top level and one level down. */
const SENSITIVE_FIELDS = [
  'body',
  'payload',
  'envelope',
  'ct',
  'card',
  'box',
  'sealed',
  'gateToken',
  'challenge',
  'sig',
  'entry',
  'genesis',
  'acceptance',
  'sessionKey',
  'headers',
  'authorization',
  'cookie',
  'remoteAddress',
  'ip',
  'databaseUrl',
  'redisUrl',
];

export const REDACT_PATHS = SENSITIVE_FIELDS.flatMap((f) => [f, `*.${f}`]);

interface RequestLike {
  id?: unknown;
  method?: string;
  routeOptions?: { url?: string };
  url?: string;
}

export function createLogger(config: Pick<Config, 'logLevel'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined, // no pid or hostname in every line
      serializers: {
        // The route pattern ("/healthz", "/*"), never the concrete URL: no ids, no query strings.
        req: (req: RequestLike) => ({ id: req.id, method: req.method, route: req.routeOptions?.url ?? 'unmatched' }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    destination,
  );
}
