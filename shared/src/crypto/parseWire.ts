/** Boundary check of wire objects entering the crypto layer: zod shape, with the version told apart from the rest. */
import { z } from 'zod';
import { KindredError } from '../errors';

function versionOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as { v?: unknown; header?: unknown; body?: unknown };
  if ('v' in o) return o.v;
  for (const inner of [o.header, o.body]) {
    if (typeof inner === 'object' && inner !== null && 'v' in inner) return (inner as { v?: unknown }).v;
  }
  return undefined;
}

const expected = new WeakMap<z.ZodType, unknown>();

/**
 * The version literal a schema requires (its own `v`, or its `header`'s or `body`'s), read once from the schema: a
 * message header and a sealed sender key are at the protocol version, other objects at their own format version
 * (objects.ts), so the version to compare with is the schema's, never one constant.
 */
function versionOfSchema(schema: z.ZodType): unknown {
  if (expected.has(schema)) return expected.get(schema);
  let found: unknown;
  const shapeOf = (s: unknown): Record<string, unknown> | undefined => (s instanceof z.ZodObject ? (s.shape as Record<string, unknown>) : undefined);
  const shape = shapeOf(schema);
  for (const candidate of [shape?.['v'], shapeOf(shape?.['header'])?.['v'], shapeOf(shape?.['body'])?.['v']]) {
    if (candidate instanceof z.ZodLiteral) {
      found = candidate.value;
      break;
    }
  }
  expected.set(schema, found);
  return found;
}

/** Parses `value` with `schema`: BAD_VERSION for another version than the schema's, MALFORMED for any other mismatch. */
export function parseWire<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const v = versionOf(value);
  const want = versionOfSchema(schema);
  if (v !== undefined && want !== undefined && v !== want) throw new KindredError('BAD_VERSION', what);
  const r = schema.safeParse(value);
  if (!r.success) throw new KindredError('MALFORMED', what, { cause: r.error });
  return r.data;
}
