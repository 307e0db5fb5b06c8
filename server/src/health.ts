/** GET /healthz for load balancers and orchestrators: 200 when storage answers, 503 when it does not. */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Storage } from './storage/storage';
import { sendError } from './httpErrors';

/** Health and metrics take no input; anything else in the query string is a malformed request. */
export const NoQuery = z.strictObject({});

export function registerHealth(app: FastifyInstance, storage: Storage): void {
  app.get('/healthz', { schema: { querystring: NoQuery } }, async (request, reply) => {
    try {
      await storage.ping();
      return reply.code(200).send({ status: 'ok' });
    } catch (e) {
      request.log.warn({ err: e instanceof Error ? e.name : 'unknown' }, 'storage did not answer the health check');
      return sendError(reply, 503, 'UNAVAILABLE');
    }
  });
}
