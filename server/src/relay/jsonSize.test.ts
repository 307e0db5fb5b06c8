import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { jsonSize } from './jsonSize';

const bytesOf = (v: unknown): number => {
  const text = JSON.stringify(v);
  return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
};

// Strings of every kind of UTF-16 unit: control characters, quotes and backslashes, BMP, pairs, lone surrogates.
const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }));
const anyValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    anyString,
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
    fc.constant(() => 1),
    fc.array(tie('value'), { maxLength: 6 }),
    fc.dictionary(anyString, tie('value'), { maxKeys: 6 }),
  ),
})).value;

describe('jsonSize', () => {
  it('is the UTF-8 length of JSON.stringify for any value (escapes, surrogates, skipped members, non-finite numbers)', () => {
    fc.assert(
      fc.property(anyValue, (v) => {
        expect(jsonSize(v)).toBe(bytesOf(v));
      }),
      { seed: 20261125, numRuns: 3000 },
    );
  });

  it('follows toJSON (with its key) and unwraps Number, String and Boolean objects', () => {
    const values: unknown[] = [
      { at: new Date(0), buf: Buffer.from('héllo'), keyed: { toJSON: (k: string) => `key:${k}` } },
      [Object(5), Object('s"'), Object(false), Symbol('x'), undefined, () => 0, Number.NaN, -0, 1e21, 5e-7],
      { a: undefined, b: () => 1, c: Symbol('y') },
      'a\u2028b\u{1F600}\ud800\udc00\udfff\u0000\u001f\b\t\n\f\r"\\',
    ];
    for (const v of values) expect(jsonSize(v)).toBe(bytesOf(v));
    expect(jsonSize(undefined)).toBe(0);
    expect(jsonSize(() => 1)).toBe(0);
  });

  it('is Infinity where JSON.stringify throws: a cycle, a BigInt, nesting deeper than the stack', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => JSON.stringify(cyclic)).toThrow();
    expect(jsonSize(cyclic)).toBe(Number.POSITIVE_INFINITY);
    expect(jsonSize({ n: 10n })).toBe(Number.POSITIVE_INFINITY);
    let deep: unknown = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(jsonSize(deep)).toBe(Number.POSITIVE_INFINITY);
    // The same object twice, not nested in itself, is not a cycle.
    const shared = { x: 'y' };
    expect(jsonSize([shared, shared])).toBe(bytesOf([shared, shared]));
  });

  it('stops soon after the total passes the limit, answering a number over it', () => {
    let walked = 0;
    const element = { toJSON: () => (walked++, { s: 'x'.repeat(100) }) };
    const big = { list: Array.from({ length: 10_000 }, () => element) };
    expect(jsonSize(big, 1000)).toBeGreaterThan(1000);
    expect(walked).toBeLessThan(20); // it did not walk the rest
    walked = 0;
    const size = jsonSize(big);
    expect(walked).toBe(10_000);
    expect(size).toBe(bytesOf(big));
  });
});
