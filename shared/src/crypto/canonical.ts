/**
 * Canonical encoding of the objects that are signed or hashed: JSON with keys sorted by UTF-16 code unit,
 * no whitespace, only strings, safe integers, booleans, null, arrays and plain objects. Bytes are carried as
 * base64url strings. One object has exactly one encoding, so a signature over it is reproducible by any
 * implementation (see docs/PROTOCOL.md, "Canonical encoding").
 */
import { KindredError } from '../errors';
import { utf8, concatBytes } from '../encoding';

export type Canonical = string | number | boolean | null | Canonical[] | { [key: string]: Canonical };

function encodeValue(v: unknown, depth: number): string {
  if (depth > 32) throw new KindredError('MALFORMED', 'canonical: nesting too deep');
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(v)) throw new KindredError('MALFORMED', 'canonical: only safe integers');
      return String(v);
    case 'object': {
      if (Array.isArray(v)) return `[${v.map((x) => encodeValue(x, depth + 1)).join(',')}]`;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new KindredError('MALFORMED', 'canonical: plain objects only');
      const keys = Object.keys(v as object).sort();
      const parts: string[] = [];
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined) continue;
        parts.push(`${JSON.stringify(k)}:${encodeValue(x, depth + 1)}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new KindredError('MALFORMED', `canonical: ${typeof v} not encodable`);
  }
}

export function canonicalJson(value: unknown): string {
  return encodeValue(value, 0);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return utf8(canonicalJson(value));
}

/** `label || 0x00 || canonical(value)`: the bytes that are signed or hashed, domain-separated by label. */
export function labelled(label: string, value: unknown): Uint8Array {
  return concatBytes(utf8(label), new Uint8Array([0]), canonicalBytes(value));
}
