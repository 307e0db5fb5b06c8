/** Boundary check of wire objects entering the crypto layer: zod shape, with the version told apart from the rest. */
import type { z } from 'zod';
import { KindredError } from '../errors';
import { PROTOCOL_VERSION } from '../protocol/objects';

function versionOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as { v?: unknown; header?: unknown; body?: unknown };
  if ('v' in o) return o.v;
  for (const inner of [o.header, o.body]) {
    if (typeof inner === 'object' && inner !== null && 'v' in inner) return (inner as { v?: unknown }).v;
  }
  return undefined;
}

/** Parses `value` with `schema`: BAD_VERSION for another protocol version, MALFORMED for any other mismatch. */
export function parseWire<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const v = versionOf(value);
  if (v !== undefined && v !== PROTOCOL_VERSION) throw new KindredError('BAD_VERSION', what);
  const r = schema.safeParse(value);
  if (!r.success) throw new KindredError('MALFORMED', what, { cause: r.error });
  return r.data;
}
