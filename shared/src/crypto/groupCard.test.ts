import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import type { GroupCardBody } from '../protocol/objects';
import { canonicalBytes, labelled } from './canonical';
import { decryptGroupCard, encryptGroupCard, MAX_GROUP_CARD_PLAINTEXT, rulesDigest, signGroupCard, verifyGroupCard } from './groupCard';
import { fingerprint, memberIdOf } from './identity';
import { createInviteSecret, INVITE_SUBKEY_ID } from './invite';
import { KDF_CONTEXT, LABEL } from './labels';
import { CARD_BUCKETS } from './padding';
import { applyRosterEntry, createGenesis, signRosterEntry } from './roster';
import { initCrypto, sodium } from './sodium';
import { expectCode, GROUP, OTHER_GROUP, POLICY, seededIdentity } from './testkit';
import type { IdentityKeyPair, RosterState } from './types';

const BODY: Omit<GroupCardBody, 'signer'> = {
  salt: 'Q'.repeat(43),
  v: 2,
  groupId: GROUP,
  name: 'Tuesday grief circle',
  groundRules: 'What is said here stays here.',
  codeOfConduct: 'Speak from your own experience.',
  confidentialityLimits: 'Facilitators must act on a risk of serious harm.',
  crisisResources: 'Call your local crisis line.',
  expirySeconds: 3600,
  requireSignedAgreement: true,
  revision: 1,
};
let creator: IdentityKeyPair, ann: IdentityKeyPair, bob: IdentityKeyPair, eve: IdentityKeyPair;
let roster: RosterState;

beforeAll(async () => {
  await initCrypto();
  [creator, ann, bob, eve] = [1, 2, 3, 5].map(seededIdentity) as [IdentityKeyPair, IdentityKeyPair, IdentityKeyPair, IdentityKeyPair];
  let s = applyRosterEntry(null, createGenesis(creator, GROUP, POLICY));
  for (const op of [
    { type: 'admit', member: memberIdOf(ann.publicKey) },
    { type: 'admit', member: memberIdOf(bob.publicKey) },
    { type: 'role', member: memberIdOf(ann.publicKey), role: 'facilitator' },
  ] as const) s = applyRosterEntry(s, signRosterEntry(s, op, creator));
  roster = s;
});

describe('group card signatures', () => {
  it('verifies a card by the creator (fingerprint) and by any facilitator of the roster', () => {
    const card = signGroupCard(BODY, creator);
    expect(card.body.signer).toBe(memberIdOf(creator.publicKey));
    expect(verifyGroupCard(card, { creatorFingerprint: fingerprint(creator.publicKey) })).toEqual(card);
    expect(verifyGroupCard(card, roster)).toEqual(card);
    expect(verifyGroupCard(signGroupCard(BODY, ann), roster).body.signer).toBe(memberIdOf(ann.publicKey));
  });

  it('refuses a card signed by a non-facilitator (NOT_FACILITATOR) or by anyone but the creator (FINGERPRINT_MISMATCH)', () => {
    expectCode(() => verifyGroupCard(signGroupCard(BODY, bob), roster), 'NOT_FACILITATOR');
    expectCode(() => verifyGroupCard(signGroupCard(BODY, eve), roster), 'NOT_FACILITATOR');
    expectCode(() => verifyGroupCard(signGroupCard(BODY, ann), { creatorFingerprint: fingerprint(creator.publicKey) }), 'FINGERPRINT_MISMATCH');
    expectCode(() => verifyGroupCard(signGroupCard({ ...BODY, groupId: OTHER_GROUP }, creator), roster), 'WRONG_SESSION');
  });

  it('refuses any changed field (BAD_SIGNATURE) and every changed signature bit', () => {
    const card = signGroupCard(BODY, creator);
    const trust = { creatorFingerprint: fingerprint(creator.publicKey) };
    const changes: Partial<GroupCardBody>[] = [
      { name: 'Tuesday grief circle!' },
      { groundRules: 'Anything goes.' },
      { codeOfConduct: 'x' },
      { confidentialityLimits: 'none' },
      { crisisResources: 'none' },
      { expirySeconds: 60 },
      { requireSignedAgreement: false },
      { revision: 2 },
      { groupId: OTHER_GROUP },
    ];
    for (const c of changes) expectCode(() => verifyGroupCard({ body: { ...card.body, ...c }, sig: card.sig }, trust), 'BAD_SIGNATURE');
    const sig = fromBase64Url(card.sig);
    for (let bit = 0; bit < 512; bit += 7) {
      const s = sig.slice();
      s[bit >> 3]! ^= 1 << (bit & 7);
      expectCode(() => verifyGroupCard({ body: card.body, sig: toBase64Url(s) }, trust), 'BAD_SIGNATURE');
    }
    expectCode(() => verifyGroupCard({ ...card, extra: 1 }, trust), 'MALFORMED');
    expectCode(() => signGroupCard({ ...BODY, signer: memberIdOf(ann.publicKey) }, creator), 'MALFORMED');
    expectCode(() => signGroupCard({ ...BODY, name: '' }, creator), 'MALFORMED');
  });

  it('rulesDigest names one exact revision', () => {
    const d1 = rulesDigest(signGroupCard(BODY, creator).body);
    expect(fromBase64Url(d1)).toHaveLength(32);
    expect(rulesDigest(signGroupCard(BODY, creator).body)).toBe(d1);
    expect(rulesDigest(signGroupCard({ ...BODY, revision: 2 }, creator).body)).not.toBe(d1);
    expect(rulesDigest(signGroupCard(BODY, ann).body)).not.toBe(d1);
  });

  it('rulesDigest is keyed by the card salt: a new card gets a fresh salt, so the same text gives another digest', () => {
    const { salt: _salt, ...unsalted } = BODY;
    const a = signGroupCard(unsalted, creator).body;
    const b = signGroupCard(unsalted, creator).body;
    expect(fromBase64Url(a.salt)).toHaveLength(32);
    expect(a.salt).not.toBe(b.salt);
    expect(rulesDigest(a)).not.toBe(rulesDigest(b));
    // An edit keeps the salt (the engine passes the body on): digests of both revisions are computable by facilitators.
    const next = signGroupCard({ ...a, revision: 2 }, creator).body;
    expect(next.salt).toBe(a.salt);
    expect(rulesDigest(next)).not.toBe(rulesDigest(a));
    // The digest is not the unkeyed hash of the body (what a relay could compute from a guess).
    expect(rulesDigest(a)).not.toBe(toBase64Url(sodium().crypto_generichash(32, labelled(LABEL.RULES_DIGEST, a), null)));
  });

  it('a digest does not confirm a guessed card without its salt (the relay cannot test names offline)', () => {
    const real = signGroupCard({ ...BODY, salt: toBase64Url(sodium().randombytes_buf(32)) }, creator).body;
    const digest = rulesDigest(real);
    // The attacker knows every field but the salt (template text, signer, group, revision) and guesses the name right.
    for (const salt of [BODY.salt, 'A'.repeat(43), toBase64Url(new Uint8Array(32))]) {
      expect(rulesDigest({ ...real, salt })).not.toBe(digest);
    }
    const { salt: _s, ...withoutSalt } = real;
    expect(toBase64Url(sodium().crypto_generichash(32, labelled(LABEL.RULES_DIGEST, withoutSalt), null))).not.toBe(digest);
  });

  it('a body of an older version (no salt) has no digest (MALFORMED), and its stored card reads BAD_VERSION', () => {
    const { salt: _salt, ...old } = signGroupCard(BODY, creator).body;
    expectCode(() => rulesDigest(old as never), 'MALFORMED');
    const secret = createInviteSecret();
    const key = sodium().crypto_kdf_derive_from_key(32, INVITE_SUBKEY_ID.CARD_KEY, KDF_CONTEXT.CARD_KEY, secret);
    const ad = labelled(LABEL.GROUP_CARD_AD, { v: 1, groupId: GROUP });
    const plaintext = sodium().pad(canonicalBytes({ body: old, sig: 'A'.repeat(86) }), CARD_BUCKETS[0]!);
    const nonce = sodium().randombytes_buf(24);
    const enc = { v: 1, nonce: toBase64Url(nonce), ct: toBase64Url(sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key)) };
    expectCode(() => decryptGroupCard(enc, secret, GROUP), 'BAD_VERSION');
  });
});

describe('group card encryption', () => {
  it('round-trips under the invite secret', () => {
    const card = signGroupCard(BODY, creator);
    const secret = createInviteSecret();
    const enc = encryptGroupCard(card, secret);
    expect(decryptGroupCard(JSON.parse(JSON.stringify(enc)), secret, GROUP)).toEqual(card);
    expect(encryptGroupCard(card, secret).nonce).not.toBe(enc.nonce);
  });

  it('refuses tampered ciphertext, nonce, wrong secret or wrong group (DECRYPT_FAILED)', () => {
    const card = signGroupCard(BODY, creator);
    const secret = createInviteSecret();
    const enc = encryptGroupCard(card, secret);
    const ct = fromBase64Url(enc.ct);
    for (const i of [0, 1, Math.floor(ct.length / 2), ct.length - 17, ct.length - 1]) {
      const c = ct.slice();
      c[i]! ^= 0x80;
      expectCode(() => decryptGroupCard({ ...enc, ct: toBase64Url(c) }, secret, GROUP), 'DECRYPT_FAILED');
    }
    const n = fromBase64Url(enc.nonce);
    n[0]! ^= 1;
    expectCode(() => decryptGroupCard({ ...enc, nonce: toBase64Url(n) }, secret, GROUP), 'DECRYPT_FAILED');
    expectCode(() => decryptGroupCard({ ...enc, ct: toBase64Url(ct.slice(0, -1)) }, secret, GROUP), 'DECRYPT_FAILED');
    expectCode(() => decryptGroupCard(enc, createInviteSecret(), GROUP), 'DECRYPT_FAILED');
    expectCode(() => decryptGroupCard(enc, secret, OTHER_GROUP), 'DECRYPT_FAILED');
    expectCode(() => decryptGroupCard({ ...enc, v: 2 }, secret, GROUP), 'MALFORMED');
    expectCode(() => decryptGroupCard(enc, new Uint8Array(16), GROUP), 'BAD_LENGTH');
  });

  /** A card signed by the creator whose canonical JSON is exactly `bytes` long (ASCII, then 3-byte characters). */
  function cardOfSize(bytes: number): ReturnType<typeof signGroupCard> {
    const rest = bytes - canonicalBytes(signGroupCard(BODY, creator)).length;
    const room = [8000 - BODY.groundRules.length, 8000 - BODY.confidentialityLimits.length, 4000 - BODY.crisisResources.length];
    const asciiRoom = room.reduce((a, b) => a + b, 0);
    // What ASCII cannot hold goes to codeOfConduct as '\u20ac' (3 UTF-8 bytes), the ASCII giving back what 3 overshoots.
    const euros = rest <= asciiRoom ? 0 : Math.ceil((rest - asciiRoom) / 3);
    let ascii = rest - 3 * euros;
    const fill = (i: number): string => {
      const n = Math.min(room[i]!, ascii);
      ascii -= n;
      return 'a'.repeat(n);
    };
    const body = {
      ...BODY,
      groundRules: BODY.groundRules + fill(0),
      confidentialityLimits: BODY.confidentialityLimits + fill(1),
      crisisResources: BODY.crisisResources + fill(2),
      codeOfConduct: BODY.codeOfConduct + '\u20ac'.repeat(euros),
    };
    const card = signGroupCard(body, creator);
    expect(canonicalBytes(card).length).toBe(bytes);
    return card;
  }

  it('pads the card to a bucket: the ciphertext length shows the bucket, never the card length', () => {
    const secret = createInviteSecret();
    const ctBytes = (card: ReturnType<typeof signGroupCard>): number => fromBase64Url(encryptGroupCard(card, secret).ct).length;
    const short = signGroupCard(BODY, creator);
    const longer = signGroupCard({ ...BODY, groundRules: BODY.groundRules + ' Be kind.'.repeat(20) }, creator);
    expect(canonicalBytes(longer).length).toBeGreaterThan(canonicalBytes(short).length + 150);
    expect(ctBytes(short)).toBe(CARD_BUCKETS[0]! + 16);
    expect(ctBytes(longer)).toBe(ctBytes(short));
    // At each bucket's edge: one byte less than the bucket fits it (sodium_pad adds at least the 0x80 marker).
    for (const [i, bucket] of CARD_BUCKETS.entries()) {
      if (i > 0) expect(ctBytes(cardOfSize(CARD_BUCKETS[i - 1]!))).toBe(bucket + 16);
      const full = cardOfSize(bucket - 1);
      expect(ctBytes(full)).toBe(bucket + 16);
      expect(decryptGroupCard(encryptGroupCard(full, secret), secret, GROUP)).toEqual(full);
    }
    expect(MAX_GROUP_CARD_PLAINTEXT).toBe(CARD_BUCKETS.at(-1)! - 1);
    expect(CARD_BUCKETS.at(-1)! + 16).toBe(40_000); // what EncryptedGroupCard's ct allows
    expectCode(() => encryptGroupCard(cardOfSize(MAX_GROUP_CARD_PLAINTEXT + 1), secret), 'PAYLOAD_TOO_LARGE');
  });

  it('refuses a card whose plaintext is not padded to a card bucket (MALFORMED)', () => {
    const secret = createInviteSecret();
    const key = sodium().crypto_kdf_derive_from_key(32, INVITE_SUBKEY_ID.CARD_KEY, KDF_CONTEXT.CARD_KEY, secret);
    const ad = labelled(LABEL.GROUP_CARD_AD, { v: 1, groupId: GROUP });
    const plain = canonicalBytes(signGroupCard(BODY, creator));
    const sealWith = (plaintext: Uint8Array) => {
      const nonce = sodium().randombytes_buf(24);
      const ct = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
      return { v: 1, nonce: toBase64Url(nonce), ct: toBase64Url(ct) };
    };
    expect(decryptGroupCard(sealWith(sodium().pad(plain, CARD_BUCKETS[0]!)), secret, GROUP).body.name).toBe(BODY.name); // the control
    expectCode(() => decryptGroupCard(sealWith(plain), secret, GROUP), 'MALFORMED'); // an unpadded card (earlier builds)
    expectCode(() => decryptGroupCard(sealWith(sodium().pad(plain, 2048)), secret, GROUP), 'MALFORMED'); // not a card bucket
    const zeros = new Uint8Array(CARD_BUCKETS[0]!);
    zeros.set(plain);
    expectCode(() => decryptGroupCard(sealWith(zeros), secret, GROUP), 'MALFORMED'); // no 0x80 marker
  });

  it('refuses a card too large for the relay (PAYLOAD_TOO_LARGE)', () => {
    const big = '\u20ac'.repeat(8000); // 3 UTF-8 bytes each
    const card = signGroupCard({ ...BODY, groundRules: big, codeOfConduct: big }, creator);
    expectCode(() => encryptGroupCard(card, createInviteSecret()), 'PAYLOAD_TOO_LARGE');
  });
});

describe('the next session on the card (optional field)', () => {
  const NEXT = { startsAt: 1_797_098_400_000, utcOffsetMinutes: 60, durationMinutes: 90 }; // 2026-12-12T18:00Z

  it('signs, verifies, digests and round-trips through encryption; a change of it is BAD_SIGNATURE and another digest', () => {
    const card = signGroupCard({ ...BODY, nextSession: NEXT }, creator);
    expect(verifyGroupCard(card, roster).body.nextSession).toEqual(NEXT);
    const secret = createInviteSecret();
    expect(decryptGroupCard(encryptGroupCard(card, secret), secret, GROUP)).toEqual(card);
    const moved = { ...card, body: { ...card.body, nextSession: { ...NEXT, startsAt: NEXT.startsAt + 3_600_000 } } };
    expectCode(() => verifyGroupCard(moved, roster), 'BAD_SIGNATURE');
    const without = signGroupCard(BODY, creator);
    expect(rulesDigest(card.body)).not.toBe(rulesDigest(without.body));
    // A card without the field encodes exactly as before it existed: no key, not even an empty one.
    expect(new TextDecoder().decode(canonicalBytes(without))).not.toContain('nextSession');
  });

  it('refuses a next session that is not a whole minute, an offset beyond ±14 h, a duration out of 5..1440 min, or extra keys', () => {
    for (const bad of [
      { ...NEXT, startsAt: NEXT.startsAt + 1 },
      { ...NEXT, startsAt: -60_000 },
      { ...NEXT, utcOffsetMinutes: 841 },
      { ...NEXT, utcOffsetMinutes: 1.5 },
      { ...NEXT, durationMinutes: 4 },
      { ...NEXT, durationMinutes: 1441 },
      { ...NEXT, place: 'the usual room' },
      { startsAt: NEXT.startsAt },
    ]) {
      expectCode(() => signGroupCard({ ...BODY, nextSession: bad as typeof NEXT }, creator), 'MALFORMED');
    }
  });
});
