import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ClientEvents, Envelope, RelayedMessage, SealedSenderKey } from '@kindred/shared/protocol';
import { compileCheck } from './compiledCheck';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64 = (len: number): fc.Arbitrary<string> => fc.string({ unit: fc.constantFrom(...B64), minLength: len, maxLength: len });

const header = fc.record({
  v: fc.constant(2),
  groupId: b64(22),
  sessionId: b64(22),
  epoch: fc.integer({ min: 0, max: 1_000_000 }),
  rosterHash: b64(43),
  headEpoch: fc.integer({ min: 0, max: 1_000_000 }),
  headHash: b64(43),
  sender: b64(43),
  keyId: b64(22),
  counter: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
  type: fc.constantFrom('chat', 'signal'),
  ttl: fc.integer({ min: 1, max: 7 * 24 * 3600 }),
});
const envelope = fc.record({ header, nonce: b64(32), ct: fc.integer({ min: 1, max: 600 }).chain(b64), sig: b64(86) });
const request = fc.record({ envelope });

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value inside `v` (the root included). */
function paths(v: unknown, at: string[] = []): string[][] {
  const out = [at];
  if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

/** A copy of `v` with the value at `path` replaced by `replace(old)` (undefined deletes it). */
function edit(v: unknown, path: string[], replace: (old: unknown) => unknown): unknown {
  if (path.length === 0) return replace(v);
  if (v === null || typeof v !== 'object') return v; // an earlier edit took the object away
  const copy = Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) };
  const [k, ...rest] = path as [string, ...string[]];
  const next = edit((v as Record<string, unknown>)[k], rest, replace);
  if (next === undefined) delete (copy as Record<string, unknown>)[k];
  else (copy as Record<string, unknown>)[k] = next;
  return copy;
}

/** Values near each rule's edge, of every JSON type, and the ones JSON cannot carry but a caller could. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom<unknown>(undefined, 0, -0, 1, -1, 0.5, 2 ** 32, 2 ** 32 - 1, 2 ** 53, 1_000_001, 604_801, NaN, Infinity, -Infinity, '', '1', 'chat', 'Chat', 'signal ', [], {}, null, true),
  fc.integer({ min: 0, max: 100 }).chain((n) => fc.oneof(b64(n), fc.string({ minLength: n, maxLength: n }))),
  fc.constantFrom(21, 22, 23, 31, 32, 33, 42, 43, 44, 85, 86, 87).chain((n) => fc.oneof(b64(n), b64(n - 1).map((s) => `${s}=`), b64(n - 1).map((s) => `${s}+`))),
);

/** A valid request, then one or two edits: a value replaced or removed, or a key added (`__proto__` included). */
const mutated: fc.Arbitrary<unknown> = fc
  .tuple(request, fc.nat(), fc.nat(), oddValue, fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'envelope', 'header', 'v')), fc.nat(3))
  .map(([req, p1, p2, value, key, kind]) => {
    const all = paths(req);
    const at = all[p1 % all.length]!;
    if (kind === 0) return edit(req, at, () => value);
    if (kind === 1) return edit(req, at, () => undefined) ?? null;
    if (kind === 2) {
      // An extra key where an object is, written as JSON so that `__proto__` becomes an own key as it does off the wire.
      const objects = all.filter((p) => { const x = p.reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], req); return x !== null && typeof x === 'object'; });
      const target = objects[p2 % objects.length]!;
      const text = JSON.stringify(edit(req, target, (o) => ({ ...(o as object), [key === '__proto__' ? 'PROTO_KEY' : key]: value ?? null })));
      return JSON.parse(text.replace('"PROTO_KEY"', '"__proto__"')) as Json;
    }
    return edit(edit(req, at, () => value), all[p2 % all.length]!, () => value);
  });

describe('compileCheck', () => {
  const sendSchema = ClientEvents['message.send'][0];
  const check = compileCheck(sendSchema);

  it('accepts every valid message.send request zod accepts', () => {
    fc.assert(
      fc.property(request, (req) => {
        expect(sendSchema.safeParse(req).success).toBe(true);
        expect(check(req)).toBe(true);
      }),
      { seed: 20261204, numRuns: 500 },
    );
  });

  it('answers exactly as zod on edited requests (wrong types, bounds, lengths, alphabets, missing and extra keys)', () => {
    let refused = 0;
    fc.assert(
      fc.property(mutated, (req) => {
        const zod = sendSchema.safeParse(req).success;
        if (!zod) refused++;
        expect(check(req)).toBe(zod);
      }),
      { seed: 20261204, numRuns: 5_000 },
    );
    // The generator must actually produce refusals, or this test would show nothing.
    expect(refused).toBeGreaterThan(2_500);
  }, 30_000); // 5,000 runs over the two-field-longer v2 header: beyond vitest's default 5 s on a loaded 2-core machine

  it('refuses the hand-made cases a relay meets', () => {
    const [good] = fc.sample(request, { seed: 7, numRuns: 1 });
    const text = JSON.stringify(good);
    const cases: unknown[] = [
      undefined, null, 'text', 42, [], [good], { envelope: null }, { envelope: [] },
      JSON.parse(text.replace('{"envelope":', '{"__proto__":{},"envelope":')),
      JSON.parse(text.replace('"header":{', '"header":{"__proto__":null,')),
      JSON.parse(text.replace('"v":2', '"v":1')), // a version 1 envelope
      JSON.parse(text.replace('"v":2', '"v":"2"')),
      JSON.parse(text.replace(/"headEpoch":\d+/, '"headEpoch":-1')),
      JSON.parse(text.replace(/"headHash":"[^"]*",/, '')),
      JSON.parse(text.replace('"type":"', '"type":"x')),
      JSON.parse(text.replace(/"ct":"[^"]*"/, '"ct":""')),
      JSON.parse(text.replace(/"ct":"[^"]*"/, `"ct":"${'A'.repeat(93_335)}"`)),
      JSON.parse(text.replace(/"nonce":"[^"]*"/, `"nonce":"${'A'.repeat(31)}+"`)),
      JSON.parse(text.replace(/"counter":\d+/, '"counter":4294967296')),
      JSON.parse(text.replace(/"epoch":\d+/, '"epoch":-1')),
      JSON.parse(text.replace(/"ttl":\d+/, '"ttl":0')),
      JSON.parse(text.replace(/"ttl":\d+/, '"ttl":1.5')),
    ];
    for (const c of cases) {
      expect(sendSchema.safeParse(c).success).toBe(false);
      expect(check(c)).toBe(false);
    }
    expect(check(good)).toBe(true);
    expect(check(JSON.parse(text.replace(/"ct":"[^"]*"/, `"ct":"${'A'.repeat(93_334)}"`)))).toBe(true); // the bound itself
  });

  it('refuses an object whose prototype carries an enumerable key, as zod does', () => {
    const [good] = fc.sample(request, { seed: 8, numRuns: 1 });
    const inherited = Object.assign(Object.create({ extra: 1 }) as object, good);
    expect(sendSchema.safeParse(inherited).success).toBe(false);
    expect(check(inherited)).toBe(false);
  });

  it('compiles the other strict wire objects and agrees with zod on them', () => {
    for (const schema of [Envelope, RelayedMessage, SealedSenderKey] as z.ZodType[]) {
      const c = compileCheck(schema);
      fc.assert(
        fc.property(fc.oneof(envelope, fc.record({ seq: fc.oneof(fc.nat(), fc.double()), envelope }), fc.jsonValue()), (v) => {
          expect(c(v)).toBe(schema.safeParse(v).success);
        }),
        { seed: 3, numRuns: 300 },
      );
    }
  });

  it('agrees with zod on numbers without the integer format, booleans and literals', () => {
    const schema = z.strictObject({ n: z.number().min(0).max(10), x: z.number().gt(-1).lt(1), b: z.boolean(), l: z.literal(['x', 2]) });
    const c = compileCheck(schema);
    const num = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 10, -1, 1, 10.000001, -0.999));
    fc.assert(
      fc.property(fc.record({ n: num, x: num, b: fc.oneof(fc.boolean(), fc.constantFrom(0, 'true', null)), l: fc.constantFrom('x', 2, '2', 'X', null) }), (v) => {
        expect(c(v)).toBe(schema.safeParse(v).success);
      }),
      { seed: 11, numRuns: 2_000 },
    );
  });

  it('agrees with zod on optional fields: absent, undefined, or checked as their schema', () => {
    const schema = z.strictObject({ a: z.string().max(3).optional(), n: z.number().int().min(0).optional(), o: z.strictObject({ x: z.boolean() }).optional() });
    const c = compileCheck(schema);
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.constant(undefined), fc.constantFrom(null, 1, 'abcd', -1, 0.5, {}, { x: 'no' }));
    fc.assert(
      fc.property(fc.record({ a: maybe(fc.string({ maxLength: 4 })), n: maybe(fc.integer({ min: -2, max: 5 })), o: maybe(fc.record({ x: fc.boolean() })) }, { requiredKeys: [] }), (v) => {
        expect(c(v)).toBe(schema.safeParse(v).success);
      }),
      { seed: 13, numRuns: 2_000 },
    );
  });

  it('refuses at compile time what it cannot answer exactly', () => {
    const unsupported: [z.ZodType, RegExp][] = [
      [z.object({ a: z.string() }), /non-strict object/],
      [z.strictObject({ a: z.array(z.string()).optional() }), /type array at a /],
      [z.strictObject({ a: z.array(z.string()) }), /type array at a /],
      [z.union([z.string(), z.number()]), /type union at the top/],
      [z.string().refine((s) => s.length > 2), /custom/],
      [z.string().trim(), /overwrite/],
      [z.coerce.number(), /coercion/],
      [z.strictObject({ a: z.string() }).refine(() => true), /refinements/],
      [z.string().email(), /email/],
      [z.string().regex(/a/g), /regex/],
      [z.literal(undefined), /literal undefined/],
      [z.string().default('x'), /type default/],
    ];
    for (const [schema, message] of unsupported) expect(() => compileCheck(schema)).toThrow(message);
  });
});
