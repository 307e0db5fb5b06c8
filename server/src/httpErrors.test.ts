import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { KindredError } from '@kindred/shared/errors';
import { classifyError, registerErrorHandlers, registerZodValidation } from './httpErrors';

async function appWithRoutes() {
  const app = Fastify({ logger: false, bodyLimit: 1024 });
  registerZodValidation(app);
  registerErrorHandlers(app);
  app.post('/echo', { schema: { body: z.strictObject({ name: z.string().max(10) }) } }, async (request) => ({ got: request.body }));
  app.get('/boom', async () => {
    throw new Error('database password is hunter2');
  });
  app.get('/conflict', async () => {
    throw new KindredError('CONFLICT', 'epoch 7 of group abc');
  });
  await app.ready();
  return app;
}

describe('HTTP error handling', () => {
  it('validates bodies with zod: valid passes through, invalid is a 400 BAD_REQUEST', async () => {
    const app = await appWithRoutes();
    const ok = await app.inject({ method: 'POST', url: '/echo', payload: { name: 'ada' } });
    expect(ok.json()).toEqual({ got: { name: 'ada' } });
    const bad = await app.inject({ method: 'POST', url: '/echo', payload: { name: 'ada', extra: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'The request did not match the expected format.' } });
    const notJson = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"name":' });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBe('BAD_REQUEST');
    await app.close();
  });

  it('answers an oversized body with 413 PAYLOAD_TOO_LARGE', async () => {
    const app = await appWithRoutes();
    const r = await app.inject({ method: 'POST', url: '/echo', payload: { name: 'x'.repeat(5000) } });
    expect(r.statusCode).toBe(413);
    expect(r.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    await app.close();
  });

  it('never leaks a message, detail or stack: a code and its sentence only', async () => {
    const app = await appWithRoutes();
    const boom = await app.inject({ method: 'GET', url: '/boom' });
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toEqual({ error: { code: 'INTERNAL', message: 'Something went wrong on the relay; the request was not applied.' } });
    expect(boom.body).not.toContain('hunter2');
    const conflict = await app.inject({ method: 'GET', url: '/conflict' });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error.code).toBe('CONFLICT');
    expect(conflict.body).not.toContain('epoch 7');
    await app.close();
  });

  it('maps error codes and Fastify status codes to HTTP statuses', () => {
    expect(classifyError(new KindredError('NOT_FOUND'))).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(classifyError(new KindredError('FORBIDDEN'))).toEqual({ status: 403, code: 'FORBIDDEN' });
    // A code with no HTTP meaning (a crypto failure) must not escape as itself.
    expect(classifyError(new KindredError('DECRYPT_FAILED'))).toEqual({ status: 500, code: 'INTERNAL' });
    expect(classifyError(Object.assign(new Error('x'), { statusCode: 415 }))).toEqual({ status: 415, code: 'BAD_REQUEST' });
    expect(classifyError(Object.assign(new Error('x'), { statusCode: 503 }))).toEqual({ status: 503, code: 'UNAVAILABLE' });
    expect(classifyError('a string')).toEqual({ status: 500, code: 'INTERNAL' });
  });
});
