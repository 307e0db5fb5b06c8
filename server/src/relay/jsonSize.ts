/**
 * The size in UTF-8 bytes of `JSON.stringify(value)`, found by walking the value instead of building the text.
 * The dispatcher measures every request against the payload bound; serializing it again after Socket.IO parsed it
 * made a throw-away copy of every message (a few KB of garbage each, finding 7 of docs/BENCHMARKS.md).
 *
 * Exact for what JSON.stringify does without a replacer: `toJSON` (called with the key), Number/String/Boolean
 * wrappers, `undefined`, functions and symbols (skipped in objects, `null` in arrays, nothing at the top), non-finite
 * numbers (`null`), escapes (`\"`, `\\`, the short control escapes, `\u00XX`, lone surrogates as `\uXXXX`).
 * Where JSON.stringify throws (a cycle, a BigInt, nesting deeper than the stack) the size is Infinity. It stops once
 * the total passes `limit` and answers a number over it: a huge request costs no more than the bound.
 */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/; // needs no escape and is one byte per character

function stringSize(s: string): number {
  if (PLAIN.test(s)) return s.length + 2;
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) n += 2;
    else if (c < 0x20) n += c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d ? 2 : 6;
    else if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (next >= 0xdc00 && next <= 0xdfff) {
        n += 4; // a pair: one 4-byte code point
        i++;
      } else n += 6; // a lone high surrogate is escaped
    } else if (c >= 0xdc00 && c <= 0xdfff) n += 6; // a lone low surrogate is escaped
    else n += 3;
  }
  return n;
}

class TooDeepOrCyclic extends Error {}

export function jsonSize(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  const open: object[] = []; // the objects being walked (a cycle makes JSON.stringify throw)
  let total = 0;
  const over = (): boolean => total > limit;

  /** Adds the size of `v` (the value at `key` of its holder) and returns true, or false where JSON has nothing. */
  const walk = (raw: unknown, key: string): boolean => {
    let v = raw;
    if (v !== null && (typeof v === 'object' || typeof v === 'bigint')) {
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') v = (toJSON as (k: string) => unknown).call(v, key);
    }
    if (v instanceof Number) v = Number(v);
    else if (v instanceof String) v = String(v);
    else if (v instanceof Boolean) v = v.valueOf();
    switch (typeof v) {
      case 'string':
        total += stringSize(v);
        return true;
      case 'number':
        total += Number.isFinite(v) ? String(v).length : 4;
        return true;
      case 'boolean':
        total += v ? 4 : 5;
        return true;
      case 'bigint':
        throw new TooDeepOrCyclic();
      case 'object': {
        if (v === null) {
          total += 4;
          return true;
        }
        if (open.includes(v)) throw new TooDeepOrCyclic();
        open.push(v);
        if (Array.isArray(v)) {
          total += 2 + Math.max(0, v.length - 1); // brackets and commas
          for (let i = 0; i < v.length && !over(); i++) if (!walk(v[i], String(i))) total += 4; // null
        } else {
          total += 2; // braces
          let members = 0;
          for (const k of Object.keys(v)) {
            if (over()) break;
            const before = total;
            total += stringSize(k) + 1; // "key":
            if (walk((v as Record<string, unknown>)[k], k)) members++;
            else total = before;
          }
          total += Math.max(0, members - 1); // commas
        }
        open.pop();
        return true;
      }
      default:
        return false; // undefined, a function, a symbol
    }
  };

  try {
    return walk(value, '') ? total : 0;
  } catch (e) {
    if (e instanceof TooDeepOrCyclic || e instanceof RangeError || e instanceof TypeError) return Number.POSITIVE_INFINITY;
    throw e;
  }
}
