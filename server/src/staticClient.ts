/**
 * Serves the built web client (client/dist) and falls back to its index.html for client-side routes. When the
 * client is not built, GET / says so in plain text and the relay still runs. Everything else unknown is a 404
 * in the catalogue's error shape.
 */
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Config } from './config';
import { sendError } from './httpErrors';

/** Paths that belong to the relay, never to the client's router: an unknown one is a JSON 404, not the app. */
export const RESERVED_PREFIXES = ['/api', '/socket.io', '/healthz', '/metrics'] as const;

export const CLIENT_NOT_BUILT =
  'The Kindred relay is running, but the web client is not built.\n' +
  'Run `pnpm start` from the repository root (it builds the client first), or `pnpm --filter @kindred/client build` and restart the relay.\n';

/** Vite names files under assets/ by content hash, so they never change: cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The page the client router owns: a plain GET or HEAD that wants HTML and is not one of the relay's paths. */
export function wantsClientPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (!(request.headers.accept ?? '').includes('text/html')) return false;
  const path = request.url.split('?')[0] ?? '';
  return !RESERVED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/** Query strings on the client's pages are the client's business (invite secrets travel in the fragment). */
const AnyQuery = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** Registers the client's files (if built) and the not-found handler. Returns whether the client was found. */
export async function registerStaticClient(app: FastifyInstance, config: Pick<Config, 'clientDir'>): Promise<{ built: boolean }> {
  const built = existsSync(join(config.clientDir, 'index.html'));
  if (built) {
    const assetsDir = join(config.clientDir, 'assets') + sep;
    await app.register(fastifyStatic, {
      root: config.clientDir,
      index: ['index.html'],
      // The build writes .br and .gz beside each text file (client/compressAssets.ts): sent by Accept-Encoding,
      // with Vary: accept-encoding; a client that accepts neither gets the plain file.
      preCompressed: true,
      cacheControl: false,
      setHeaders(reply, path) {
        reply.header('cache-control', path.startsWith(assetsDir) ? IMMUTABLE : path.endsWith('.html') ? 'no-store' : 'no-cache');
      },
    });
  } else {
    app.get('/', { schema: { querystring: AnyQuery } }, async (_request, reply) =>
      reply.code(200).type('text/plain; charset=utf-8').send(CLIENT_NOT_BUILT),
    );
  }

  app.setNotFoundHandler(async (request, reply) => {
    if (built && wantsClientPage(request)) return reply.header('cache-control', 'no-store').sendFile('index.html');
    return sendError(reply, 404, 'NOT_FOUND');
  });
  return { built };
}
