import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import { WrappedIdentity } from '../protocol/objects';
import { identityFromSeed, memberIdOf } from './identity';
import { unwrapIdentity, wrapIdentity, WRAP_PARAMS_AT_REST, WRAP_PARAMS_INTERACTIVE } from './identityWrap';
import { initCrypto } from './sodium';
import { expectCode } from './testkit';
import type { IdentityKeyPair } from './types';

/** Tiny Argon2id parameters keep these tests fast; they are allowed only with allowWeakParams. */
const FAST = { opslimit: 1, memlimit: 8192 };
const WEAK = { allowWeakParams: true };
let ik: IdentityKeyPair;

beforeAll(async () => {
  await initCrypto();
  ik = identityFromSeed(new Uint8Array(32).fill(3));
});

describe('identity wrapping', () => {
  it('round-trips, validates as WrappedIdentity, and uses a fresh salt and nonce each time', () => {
    const w = wrapIdentity(ik, 'correct horse', FAST, WEAK);
    expect(WrappedIdentity.parse(JSON.parse(JSON.stringify(w)))).toEqual(w);
    expect(w).toMatchObject({ v: 1, alg: 'argon2id13', opslimit: 1, memlimit: 8192, publicKey: memberIdOf(ik.publicKey) });
    expect(unwrapIdentity(w, 'correct horse', WEAK)).toEqual(ik);
    const w2 = wrapIdentity(ik, 'correct horse', FAST, WEAK);
    expect(w2.salt).not.toBe(w.salt);
    expect(w2.nonce).not.toBe(w.nonce);
  });

  it('refuses a wrong passphrase (UNWRAP_FAILED)', () => {
    const w = wrapIdentity(ik, 'correct horse', FAST, WEAK);
    expectCode(() => unwrapIdentity(w, 'correct hors', WEAK), 'UNWRAP_FAILED');
    expectCode(() => unwrapIdentity(w, 'Correct horse', WEAK), 'UNWRAP_FAILED');
    expectCode(() => unwrapIdentity(w, '', WEAK), 'UNWRAP_FAILED');
  });

  it('normalises the passphrase (NFKC): composed and decomposed accents unwrap alike', () => {
    const w = wrapIdentity(ik, 'caf\u00e9', FAST, WEAK);
    expect(unwrapIdentity(w, 'cafe\u0301', WEAK)).toEqual(ik);
  });

  it('refuses any damaged field (UNWRAP_FAILED)', () => {
    const w = wrapIdentity(ik, 'pw', FAST, WEAK);
    const flip = (b64: string, i: number) => {
      const b = fromBase64Url(b64);
      b[i]! ^= 1;
      return toBase64Url(b);
    };
    const other = memberIdOf(identityFromSeed(new Uint8Array(32).fill(4)).publicKey);
    const damaged: unknown[] = [
      ...[0, 20, 31, 32, 47].map((i) => ({ ...w, ct: flip(w.ct, i) })),
      { ...w, nonce: flip(w.nonce, 0) },
      { ...w, salt: flip(w.salt, 0) },
      { ...w, publicKey: other },
      { ...w, opslimit: 2 },
      { ...w, memlimit: 16384 },
      { ...w, v: 2 },
      { ...w, alg: 'argon2i13' },
      { ...w, ct: w.ct.slice(2) },
      { ...w, memlimit: 4 * 1024 * 1024 * 1024 },
      { ...w, extra: true },
      null,
      'x',
    ];
    for (const d of damaged) expectCode(() => unwrapIdentity(d, 'pw', WEAK), 'UNWRAP_FAILED');
  });

  it('refuses weak parameters unless a test allows them', () => {
    expectCode(() => wrapIdentity(ik, 'pw', FAST), 'BAD_REQUEST');
    expectCode(() => wrapIdentity(ik, 'pw', { opslimit: 1, memlimit: WRAP_PARAMS_INTERACTIVE.memlimit }), 'BAD_REQUEST');
    expectCode(() => wrapIdentity(ik, 'pw', { opslimit: 1, memlimit: 4096 }, WEAK), 'BAD_REQUEST'); // below libsodium's own floor
    expectCode(() => wrapIdentity(ik, '', FAST, WEAK), 'BAD_REQUEST');
    const w = wrapIdentity(ik, 'pw', FAST, WEAK);
    expectCode(() => unwrapIdentity(w, 'pw'), 'UNWRAP_FAILED');
  });

  it('round-trips with INTERACTIVE parameters, the production floor', () => {
    const w = wrapIdentity(ik, 'pw', WRAP_PARAMS_INTERACTIVE);
    expect(unwrapIdentity(w, 'pw')).toEqual(ik);
  });

  it('defaults to the at-rest parameters', () => {
    expect(WRAP_PARAMS_AT_REST).toEqual({ opslimit: 3, memlimit: 128 * 1024 * 1024 });
    const w = wrapIdentity(ik, 'pw');
    expect(w.opslimit).toBe(3);
    expect(w.memlimit).toBe(128 * 1024 * 1024);
  });
});
