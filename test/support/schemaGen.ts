/**
 * Inputs generated from the zod schemas of the event catalogue (shared/src/protocol/events.ts): `validFor` walks a
 * schema's definition and builds a value it accepts; `mutate` breaks such a value on purpose (wrong types, missing
 * and extra fields, huge strings and arrays, deep nesting, `__proto__` and `constructor` keys, lone surrogates,
 * binary where text is expected). Both are driven by a seeded Prng, so a run replays from its seed.
 *
 * Only the zod kinds the catalogue uses are walked (object, string, number, boolean, literal, enum, array, union,
 * optional); anything else throws, so a new kind in the catalogue is noticed here instead of silently skipped.
 */
import type { Prng } from './prng';

/** The parts of zod 4's schema definition this generator reads (zod's internals are not exported as types). */
interface ZodDefLike {
  type: string;
  shape?: Record<string, ZodLike>;
  checks?: { _zod: { def: Record<string, unknown> } }[];
  values?: unknown[];
  entries?: Record<string, string>;
  element?: ZodLike;
  options?: ZodLike[];
  innerType?: ZodLike;
}
export interface ZodLike {
  _zod: { def: ZodDefLike };
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

interface StringBounds {
  min: number;
  max: number;
  base64url: boolean;
}

function stringBounds(def: ZodDefLike): StringBounds {
  const b: StringBounds = { min: 0, max: 64, base64url: false };
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'length_equals') b.min = b.max = d.length as number;
    if (d.check === 'min_length') b.min = d.minimum as number;
    if (d.check === 'max_length') b.max = d.maximum as number;
    if (d.check === 'string_format' && d.pattern instanceof RegExp && d.pattern.source.includes('A-Za-z0-9_-')) b.base64url = true;
  }
  return b;
}

function numberBounds(def: ZodDefLike): { min: number; max: number; int: boolean } {
  const b = { min: -1e6, max: 1e6, int: false };
  for (const c of def.checks ?? []) {
    const d = c._zod.def;
    if (d.check === 'number_format' && (d.format === 'safeint' || d.format === 'int32')) b.int = true;
    if (d.check === 'greater_than') b.min = d.value as number;
    if (d.check === 'less_than') b.max = d.value as number;
  }
  return b;
}

/** A value `schema` accepts. Long strings are kept short (at most `maxString` chars) unless their length is fixed. */
export function validFor(schema: ZodLike, rng: Prng, maxString = 200): unknown {
  const def = schema._zod.def;
  switch (def.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(def.shape ?? {})) {
        if (v._zod.def.type === 'optional' && rng.bool(0.5)) continue;
        out[k] = validFor(v, rng, maxString);
      }
      return out;
    }
    case 'optional':
      return validFor(def.innerType as ZodLike, rng, maxString);
    case 'string': {
      const b = stringBounds(def);
      const len = b.min === b.max ? b.min : rng.int(Math.max(b.min, 1), Math.max(Math.min(b.max, maxString), b.min, 1));
      let s = '';
      for (let i = 0; i < len; i++) s += b.base64url ? B64URL[rng.int(0, 63)] : String.fromCharCode(rng.int(32, 126));
      return s;
    }
    case 'number': {
      const b = numberBounds(def);
      // Edges are where bugs live: pick a bound half of the time.
      const n = rng.bool(0.5) ? rng.pick([b.min, b.max]) : b.min + rng.next() * (b.max - b.min);
      return b.int ? Math.round(n) : n;
    }
    case 'boolean':
      return rng.bool();
    case 'literal':
      return rng.pick(def.values ?? []);
    case 'enum':
      return rng.pick(Object.values(def.entries ?? {}));
    case 'array': {
      let min = 0;
      let max = 3;
      for (const c of def.checks ?? []) {
        const d = c._zod.def;
        if (d.check === 'min_length') min = d.minimum as number;
        if (d.check === 'max_length') max = Math.min(max, d.maximum as number);
      }
      const n = rng.int(min, Math.max(min, max));
      return Array.from({ length: n }, () => validFor(def.element as ZodLike, rng, maxString));
    }
    case 'union':
      return validFor(rng.pick(def.options ?? []), rng, maxString);
    default:
      throw new Error(`schemaGen: zod kind ${def.type} is not handled`);
  }
}

/** Values of every JSON type and a few that only exist before serialization. */
function wrongValue(rng: Prng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => 0,
    () => -1,
    () => 1.5,
    () => 2 ** 53 + 2,
    () => -0,
    () => 1e308,
    () => Number.NaN, // JSON turns it into null
    () => '',
    () => 'x',
    () => true,
    () => [],
    () => ({}),
    () => [1, 'a', null],
    () => ({ a: { b: { c: 1 } } }),
    () => Buffer.from(rng.bytes(rng.int(0, 64))), // sent as a binary attachment
    () => '\ud800', // lone high surrogate
    () => '\udfff\ud800', // reversed pair
    () => 'a\u0000b',
    () => '\u202e\u200b\ufeff',
    () => '😀'.repeat(20),
  ])();
}

function hugeString(rng: Prng): string {
  return rng.pick(['A', '\u00e9', '\ud83d\ude00', '\ud800']).repeat(rng.pick([10_000, 60_000, 200_000]));
}

function deepNest(depth: number, asArray: boolean): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = asArray ? [v] : { a: v };
  return v;
}

const NASTY_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', '\ud800'];

/** Sets an own property even for `__proto__` (a plain assignment would change the prototype instead). */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, configurable: true, writable: true });
}

/** Paths to every node of a JSON-like value. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  }
  return out;
}

function clone(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (Array.isArray(value)) return value.map(clone);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, clone(v));
    return out;
  }
  return value;
}

export interface Mutation {
  /** What was broken, for the failure message (key names and indexes only). */
  what: string;
  value: unknown;
}

/** Breaks `valid` in one way chosen by `rng`. The result may still be valid (e.g. an optional field removed). */
export function mutate(valid: unknown, rng: Prng): Mutation {
  const value = clone(valid);
  const all = paths(value);
  const path = rng.pick(all);
  const where = path.join('.') || '(root)';
  const replaceAt = (replacement: unknown): unknown => {
    if (path.length === 0) return replacement;
    let parent = value as Record<string | number, unknown>;
    for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
    const last = path[path.length - 1] as string | number;
    if (Array.isArray(parent)) parent[last as number] = replacement;
    else setOwn(parent, String(last), replacement);
    return value;
  };
  const container = (): Record<string, unknown> | unknown[] | null => {
    let node: unknown = value;
    for (const p of path) node = (node as Record<string | number, unknown>)[p];
    return node !== null && typeof node === 'object' && !Buffer.isBuffer(node) ? (node as Record<string, unknown>) : null;
  };
  const kind = rng.int(0, 9);
  switch (kind) {
    case 0:
      return { what: `wrong type at ${where}`, value: replaceAt(wrongValue(rng)) };
    case 1: {
      const c = container();
      if (c && !Array.isArray(c)) {
        const keys = Object.keys(c);
        if (keys.length > 0) {
          const k = rng.pick(keys);
          delete (c as Record<string, unknown>)[k];
          return { what: `missing ${where}.${k}`, value };
        }
      }
      return { what: `null at ${where}`, value: replaceAt(null) };
    }
    case 2: {
      const c = container();
      const key = rng.pick(NASTY_KEYS.concat(['extra', 'v', 'ok']));
      if (c && !Array.isArray(c)) {
        setOwn(c, key, rng.bool() ? { polluted: true } : wrongValue(rng));
        return { what: `extra key ${JSON.stringify(key)} at ${where}`, value };
      }
      const obj: Record<string, unknown> = {};
      setOwn(obj, key, { polluted: true });
      return { what: `object with ${JSON.stringify(key)} at ${where}`, value: replaceAt(obj) };
    }
    case 3:
      return { what: `huge string at ${where}`, value: replaceAt(hugeString(rng)) };
    case 4:
      return { what: `huge array at ${where}`, value: replaceAt(new Array(rng.pick([1_000, 20_000])).fill(rng.bool() ? 0 : 'A')) };
    case 5:
      return { what: `deep nesting at ${where}`, value: replaceAt(deepNest(rng.pick([50, 1_000, 3_000]), rng.bool())) };
    case 6: {
      // Corrupt a string in place: a lone surrogate, a character outside base64url, or one char too many.
      const node = path.length === 0 ? value : path.reduce<unknown>((n, p) => (n as Record<string | number, unknown>)[p], value);
      if (typeof node === 'string') {
        const bad = rng.pick([`${node}\ud800`, `${node.slice(1)}=`, `${node}A`, node.slice(0, -1), `${node.slice(0, 3)}+/${node.slice(5)}`]);
        return { what: `corrupted string at ${where}`, value: replaceAt(bad) };
      }
      return { what: `binary at ${where}`, value: replaceAt(Buffer.from(rng.bytes(32))) };
    }
    case 7: {
      const node = path.length === 0 ? value : path.reduce<unknown>((n, p) => (n as Record<string | number, unknown>)[p], value);
      if (typeof node === 'number') {
        return { what: `out-of-range number at ${where}`, value: replaceAt(rng.pick([node + 1, node - 1, -node - 1, node + 0.5, 2 ** 31, -(2 ** 31), 1e21])) };
      }
      return { what: `wrong type at ${where}`, value: replaceAt(wrongValue(rng)) };
    }
    case 8:
      return { what: 'request replaced', value: rng.pick<unknown>([null, [], 'request', 42, true, [value], { request: value }]) };
    default:
      return { what: `binary at ${where}`, value: replaceAt(Buffer.from(rng.bytes(rng.int(1, 256)))) };
  }
}
