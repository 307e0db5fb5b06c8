import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromBase64Url, toBase64Url, utf8 } from '../encoding';
import type { Envelope, MessageHeader } from '../protocol/objects';
import { labelled } from './canonical';
import { LABEL } from './labels';
import { decryptMessage, encryptMessage, isMuted } from './messageCipher';
import { MESSAGE_BUCKETS } from './padding';
import {
  MAX_FORWARD_JUMP,
  MAX_SKIPPED,
  PREVIOUS_EPOCH_GRACE_MS,
  SKIPPED_KEY_LIFETIME_MS,
  createMemoryReceiveState,
  installSenderKey,
  noteRoster,
} from './receiveState';
import { advanceOwnChain, stepChainKey } from './senderKeyChain';
import { bytesEqual, initCrypto, sodium, wipe } from './sodium';
import { openSenderKey, sealSenderKey } from './keyDistribution';
import { distribute, hash32, id16, newPeer, nextRoster, setupGroup, startChain, type Peer } from './groupFixture.testkit';
import { codeOf } from './testkit';
import type { RosterState } from './types';

beforeAll(initCrypto);

const text = (s: string) => utf8(s);
const send = (p: Peer, s: string, type: 'chat' | 'signal' = 'chat') => encryptMessage(p.chain, { type, ttl: 600 }, text(s));
const open = (p: Peer, roster: RosterState, env: unknown, now = 0) => decryptMessage(p.rx, roster, env, now);
const asText = (b: Uint8Array) => new TextDecoder().decode(b);

/** Re-signs an envelope with the sender's epoch signing key: a sender (or its key) forging what it likes. */
function resign(p: Peer, env: Envelope): Envelope {
  const sig = sodium().crypto_sign_detached(labelled(LABEL.MESSAGE_SIGNATURE, { header: env.header, nonce: env.nonce, ct: env.ct }), p.chain.signingKeyPair.secretKey);
  return { ...env, sig: toBase64Url(sig) };
}

function flipBit(b64: string, bit: number): string {
  const bytes = fromBase64Url(b64);
  bytes[bit >> 3]! ^= 1 << (bit & 7);
  return toBase64Url(bytes);
}

describe('encryptMessage / decryptMessage', () => {
  it('round-trips every message type and reports the local expiry', () => {
    const g = setupGroup(3);
    const [a, b] = g.peers as [Peer, Peer];
    for (const type of ['chat', 'signal'] as const) {
      const env = send(a, `hello ${type}`, type);
      expect(env.header.type).toBe(type);
      const out = open(b, g.roster, env, 5_000);
      expect(asText(out.plaintext)).toBe(`hello ${type}`);
      expect(out.header).toEqual(env.header);
      expect(out.expiresAt).toBe(5_000 + 600_000);
    }
    // A ttl longer than the group's expiry policy is capped by it: a sender cannot make a message outlive the policy.
    const long = encryptMessage(a.chain, { type: 'chat', ttl: 7 * 24 * 3600 }, text('long'));
    expect(open(b, g.roster, long, 0).expiresAt).toBe(g.roster.policy.expirySeconds * 1000);
  });

  it('signs exactly labelled(MESSAGE_SIGNATURE, {header, nonce, ct}) and binds the header as AEAD data', () => {
    const g = setupGroup(2);
    const [a] = g.peers as [Peer];
    const env = send(a, 'x');
    const signed = labelled(LABEL.MESSAGE_SIGNATURE, { header: env.header, nonce: env.nonce, ct: env.ct });
    expect(sodium().crypto_sign_verify_detached(fromBase64Url(env.sig), signed, a.chain.signingKeyPair.publicKey)).toBe(true);
    expect(env.header.counter).toBe(0);
    expect(fromBase64Url(env.ct).length).toBe(256 + 16);
  });

  it('refuses each header field changed, with the code of the first check it fails', () => {
    const g = setupGroup(3);
    const [a, b, c] = g.peers as [Peer, Peer, Peer];
    const env = send(a, 'original');
    const other = hash32();
    const cases: [Partial<MessageHeader> | { v: number }, string][] = [
      [{ v: 1 }, 'BAD_VERSION'],
      [{ v: 3 }, 'BAD_VERSION'],
      [{ groupId: id16() }, 'WRONG_SESSION'],
      [{ sessionId: id16() }, 'WRONG_SESSION'],
      [{ epoch: env.header.epoch - 1 }, 'BAD_SIGNATURE'],
      [{ rosterHash: other }, 'BAD_SIGNATURE'],
      [{ headEpoch: env.header.headEpoch + 1 }, 'BAD_SIGNATURE'],
      [{ headHash: other }, 'BAD_SIGNATURE'],
      [{ sender: other }, 'SENDER_NOT_IN_ROSTER'],
      [{ sender: c.id }, 'UNKNOWN_SENDER_KEY'],
      [{ keyId: id16() }, 'UNKNOWN_SENDER_KEY'],
      [{ counter: 1 }, 'BAD_SIGNATURE'],
      [{ type: 'signal' }, 'BAD_SIGNATURE'],
      [{ ttl: 601 }, 'BAD_SIGNATURE'],
      [{ ttl: 0 }, 'MALFORMED'],
    ];
    for (const [change, code] of cases) {
      expect([change, codeOf(() => open(b, g.roster, { ...env, header: { ...env.header, ...change } }))]).toEqual([change, code]);
    }
    expect(asText(open(b, g.roster, env).plaintext)).toBe('original'); // none of the refusals burned counter 0
  });

  it('refuses every single-bit change of every byte-valued header field', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const env = send(a, 'bits');
    const expected: Record<string, string> = { groupId: 'WRONG_SESSION', sessionId: 'WRONG_SESSION', rosterHash: 'BAD_SIGNATURE', sender: 'SENDER_NOT_IN_ROSTER', keyId: 'UNKNOWN_SENDER_KEY' };
    for (const [field, code] of Object.entries(expected)) {
      const bits = fromBase64Url(env.header[field as 'groupId']).length * 8;
      for (let i = 0; i < bits; i++) {
        const header = { ...env.header, [field]: flipBit(env.header[field as 'groupId'], i) };
        expect(`${field}:${i}:${codeOf(() => open(b, g.roster, { ...env, header }))}`).toBe(`${field}:${i}:${code}`);
      }
    }
    for (const field of ['epoch', 'counter', 'ttl'] as const) {
      for (let i = 0; i < 31; i++) {
        const value = env.header[field] ^ (1 << i);
        const inRange = value >= (field === 'ttl' ? 1 : 0) && value <= (field === 'epoch' ? 1_000_000 : field === 'ttl' ? 604_800 : 2 ** 32 - 1);
        const header = { ...env.header, [field]: value };
        expect(`${field}:${i}:${codeOf(() => open(b, g.roster, { ...env, header }))}`).toBe(`${field}:${i}:${inRange ? 'BAD_SIGNATURE' : 'MALFORMED'}`);
      }
    }
    expect(asText(open(b, g.roster, env).plaintext)).toBe('bits');
  });

  it('refuses every single-bit change of nonce, ciphertext and signature (BAD_SIGNATURE)', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const env = send(a, 'flip');
    for (const part of ['nonce', 'ct', 'sig'] as const) {
      const bits = fromBase64Url(env[part]).length * 8;
      for (let i = 0; i < bits; i++) {
        const code = codeOf(() => open(b, g.roster, { ...env, [part]: flipBit(env[part], i) }));
        if (code !== 'BAD_SIGNATURE') expect(`${part}:${i}:${code}`).toBe(`${part}:${i}:BAD_SIGNATURE`);
      }
    }
    expect(asText(open(b, g.roster, env).plaintext)).toBe('flip');
  });

  it('refuses a sender-signed envelope whose header does not match the AEAD data (DECRYPT_FAILED)', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const env = send(a, 'ad');
    expect(codeOf(() => open(b, g.roster, resign(a, { ...env, header: { ...env.header, ttl: 601 } })))).toBe('DECRYPT_FAILED');
    expect(codeOf(() => open(b, g.roster, resign(a, { ...env, header: { ...env.header, type: 'signal' } })))).toBe('DECRYPT_FAILED');
  });

  it('refuses a member who holds the chain key but not the signing key forging as the sender (BAD_SIGNATURE)', () => {
    const g = setupGroup(3);
    const [a, b, c] = g.peers as [Peer, Peer, Peer];
    // c holds a's chain (it receives a's messages) and builds a perfectly encrypted message with it, signed by c's own key.
    const forgedChain = { ...a.chain, chainKey: Uint8Array.from(a.chain.chainKey), signingKeyPair: c.chain.signingKeyPair };
    const forged = encryptMessage(forgedChain, { type: 'chat', ttl: 600 }, text('I quit'));
    expect(codeOf(() => open(b, g.roster, forged))).toBe('BAD_SIGNATURE');
    expect(asText(open(b, g.roster, send(a, 'real')).plaintext)).toBe('real');
  });

  it('refuses with a wrong key (DECRYPT_FAILED) and does not advance the chain', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const rx = createMemoryReceiveState(g.groupId, g.sessionId);
    installSenderKey(
      rx,
      { groupId: g.groupId, sessionId: g.sessionId, epoch: a.chain.epoch, rosterHash: a.chain.rosterHash, head: a.chain.head, sender: a.id, recipient: b.id, keyId: a.chain.keyId, chainKey: sodium().randombytes_buf(32), counter: 0, signingPk: a.chain.signingKeyPair.publicKey },
      0,
    );
    const env = send(a, 'k');
    expect(codeOf(() => decryptMessage(rx, g.roster, env, 0))).toBe('DECRYPT_FAILED');
    expect(rx.getChain(a.id, a.chain.keyId)!.nextCounter).toBe(0);
  });

  it('refuses a replayed counter (REPLAY), in order and after out-of-order delivery', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const m = [send(a, '0'), send(a, '1'), send(a, '2')];
    open(b, g.roster, m[0]);
    expect(codeOf(() => open(b, g.roster, m[0]))).toBe('REPLAY');
    open(b, g.roster, m[2]);
    open(b, g.roster, m[1]); // from a skipped key
    for (const e of m) expect(codeOf(() => open(b, g.roster, e))).toBe('REPLAY');
  });

  it('decrypts out of order within the bound; refuses a jump past MAX_FORWARD_JUMP (COUNTER_TOO_FAR)', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const first = send(a, 'first');
    for (let i = 1; i < MAX_FORWARD_JUMP; i++) wipe(advanceOwnChain(a.chain).messageKey);
    const atBound = send(a, 'at bound'); // counter MAX_FORWARD_JUMP: a jump of exactly the bound from 0
    const beyond = send(a, 'beyond');
    expect(codeOf(() => open(b, g.roster, beyond))).toBe('COUNTER_TOO_FAR');
    expect(asText(open(b, g.roster, atBound).plaintext)).toBe('at bound');
    expect(asText(open(b, g.roster, first).plaintext)).toBe('first');
    expect(asText(open(b, g.roster, beyond).plaintext)).toBe('beyond'); // the refusal left the state untouched
    expect(atBound.header.counter).toBe(MAX_FORWARD_JUMP);
  });

  it('keeps skipped keys for SKIPPED_KEY_LIFETIME_MS and at most MAX_SKIPPED per chain (COUNTER_TOO_OLD after)', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const early = [send(a, 'e0'), send(a, 'e1')];
    const late = send(a, 'late');
    open(b, g.roster, late, 1_000);
    expect(asText(open(b, g.roster, early[0], 1_000 + SKIPPED_KEY_LIFETIME_MS).plaintext)).toBe('e0');
    expect(codeOf(() => open(b, g.roster, early[1], 1_001 + SKIPPED_KEY_LIFETIME_MS))).toBe('COUNTER_TOO_OLD');

    // Three jumps of the full bound leave 3 * MAX_FORWARD_JUMP skipped counters: the oldest beyond MAX_SKIPPED go.
    const keep: Envelope[] = [];
    for (let j = 0; j < 3; j++) {
      keep.push(send(a, `skipped-${j}`));
      for (let i = 1; i < MAX_FORWARD_JUMP; i++) wipe(advanceOwnChain(a.chain).messageKey);
      open(b, g.roster, send(a, `jump ${j}`), 2_000);
    }
    const chain = b.rx.getChain(a.id, a.chain.keyId)!;
    expect(chain.skipped.size).toBe(MAX_SKIPPED);
    expect(codeOf(() => open(b, g.roster, keep[0], 2_000))).toBe('COUNTER_TOO_OLD');
    expect(asText(open(b, g.roster, keep[2], 2_000).plaintext)).toBe('skipped-2');
  });

  it('refuses a sender not in the current roster and a muted sender, including mute-all-but-facilitators', () => {
    const g = setupGroup(3);
    const [f, a, b] = g.peers as [Peer, Peer, Peer];
    const m = send(a, 'hi');
    const without = { ...g.roster, members: g.roster.members.filter((x) => x.id !== a.id) };
    expect(codeOf(() => open(b, without, m))).toBe('SENDER_NOT_IN_ROSTER');
    const muted = { ...g.roster, members: g.roster.members.map((x) => (x.id === a.id ? { ...x, muted: true } : x)) };
    expect(codeOf(() => open(b, muted, m))).toBe('SENDER_MUTED');
    const muteAll = { ...g.roster, policy: { ...g.roster.policy, muteAllButFacilitators: true } };
    expect(codeOf(() => open(b, muteAll, m))).toBe('SENDER_MUTED');
    expect(asText(open(b, muteAll, send(f, 'facilitator speaks')).plaintext)).toBe('facilitator speaks');
    expect(isMuted(muteAll.members.find((x) => x.id === f.id)!, muteAll)).toBe(false);
    expect(asText(open(b, g.roster, m).plaintext)).toBe('hi'); // unmuted again: counter 0 was never burned
  });

  it('refuses a message of another session held in the state (WRONG_SESSION)', () => {
    const g = setupGroup(2);
    const [a] = g.peers as [Peer];
    const other = createMemoryReceiveState(g.groupId, id16());
    expect(codeOf(() => decryptMessage(other, g.roster, send(a, 'x'), 0))).toBe('WRONG_SESSION');
  });

  it('refuses a chain from a roster epoch not yet verified (EPOCH_AHEAD) or naming another roster (ROSTER_FORK)', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const ahead = nextRoster(g.roster, g.roster.members, false);
    a.chain = startChain(a, ahead);
    distribute(a, [b]);
    const m = send(a, 'from the future');
    expect(codeOf(() => open(b, g.roster, m))).toBe('EPOCH_AHEAD');
    expect(codeOf(() => open(b, { ...ahead, head: hash32() }, m))).toBe('ROSTER_FORK');
    expect(asText(open(b, ahead, m).plaintext)).toBe('from the future');
    const later = nextRoster(ahead, ahead.members, false);
    const m2 = send(a, 'older epoch, checked against history');
    expect(codeOf(() => decryptMessage(b.rx, later, m2, 0, { rosterHashAt: () => hash32() }))).toBe('ROSTER_FORK');
    expect(asText(decryptMessage(b.rx, later, m2, 0, { rosterHashAt: (e) => (e === ahead.epoch ? ahead.head : undefined) }).plaintext)).toBe(
      'older epoch, checked against history',
    );
  });

  it('locks a removed member out: it holds every old key but cannot read the new epoch', () => {
    const g = setupGroup(4);
    const [f, a, b, gone] = g.peers as [Peer, Peer, Peer, Peer];
    // Before the removal, `gone` reads everything.
    expect(asText(open(gone, g.roster, send(a, 'before')).plaintext)).toBe('before');
    const after = nextRoster(g.roster, g.roster.members.filter((m) => m.id !== gone.id), true);
    const stay = [f, a, b];
    noteRoster(b.rx, after, 10_000);
    for (const p of stay) {
      p.chain = startChain(p, after, 10_000);
      distribute(p, stay.filter((q) => q !== p), 10_000);
    }
    // The new chain's sealed copies are of no use to it: addressed to others (WRONG_KEY), and readdressed to itself
    // they do not open, since crypto_box is keyed to b's session key (DECRYPT_FAILED).
    const toB = sealSenderKey(a.chain, { member: b.id, sessionPk: b.sessionPk }, a.session.keyPair);
    expect(codeOf(() => openSenderKey(toB, a.sessionPk, gone.session.keyPair, gone.id))).toBe('WRONG_KEY');
    expect(codeOf(() => openSenderKey({ ...toB, to: gone.id }, a.sessionPk, gone.session.keyPair, gone.id))).toBe('DECRYPT_FAILED');
    const secret = send(a, 'after the removal');
    expect(asText(open(b, after, secret, 10_001).plaintext)).toBe('after the removal');
    // The removed member, with its full old state and either roster, has no key for the new chain.
    expect(codeOf(() => open(gone, g.roster, secret))).toBe('UNKNOWN_SENDER_KEY');
    expect(codeOf(() => open(gone, after, secret))).toBe('UNKNOWN_SENDER_KEY');
    // And its own messages are refused by those who stay.
    expect(codeOf(() => open(b, after, send(gone, 'still here?'), 10_001))).toBe('SENDER_NOT_IN_ROSTER');
  });

  it('accepts the previous epoch for PREVIOUS_EPOCH_GRACE_MS after a rekey, then STALE_EPOCH', () => {
    const g = setupGroup(3);
    const [, a, b] = g.peers as [Peer, Peer, Peer];
    open(b, g.roster, send(a, 'warm'), 0);
    const inFlight = [send(a, 'in flight 1'), send(a, 'in flight 2')];
    const after = nextRoster(g.roster, g.roster.members, true);
    noteRoster(b.rx, after, 50_000);
    expect(asText(open(b, after, inFlight[0], 50_000 + PREVIOUS_EPOCH_GRACE_MS).plaintext)).toBe('in flight 1');
    expect(codeOf(() => open(b, after, inFlight[1], 50_001 + PREVIOUS_EPOCH_GRACE_MS))).toBe('STALE_EPOCH');
  });

  it('gives a newcomer the current chain only: it cannot read what was sent before it joined', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const before = [send(a, 'b0'), send(a, 'b1'), send(a, 'b2')];
    const newcomer = { ...newPeer(g.groupId, g.sessionId, 'member'), chain: undefined } as unknown as Peer;
    const admitted = nextRoster(g.roster, [...g.roster.members, { id: newcomer.id, role: 'member', muted: false }], false);
    distribute(a, [newcomer]);
    const chain = newcomer.rx.getChain(a.id, a.chain.keyId)!;
    expect(chain.firstCounter).toBe(3);
    for (const e of before) expect(codeOf(() => open(newcomer, admitted, e))).toBe('COUNTER_TOO_OLD');
    expect(asText(open(newcomer, admitted, send(a, 'welcome')).plaintext)).toBe('welcome');
    expect(asText(open(b, admitted, before[2]).plaintext)).toBe('b2');
  });

  it('does not burn a counter or a skipped key when decryption fails after a valid signature', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const m0 = send(a, 'm0');
    const m1 = send(a, 'm1');
    send(a, 'm2'); // never delivered
    const m2real = send(a, 'm3');
    // A signed envelope for counter 2 whose ciphertext is m1's: signature valid, AEAD fails after deriving keys 0..2.
    const bad = resign(a, { ...m2real, header: { ...m2real.header, counter: 2 }, ct: m1.ct, nonce: m1.nonce });
    expect(codeOf(() => open(b, g.roster, bad))).toBe('DECRYPT_FAILED');
    let chain = b.rx.getChain(a.id, a.chain.keyId)!;
    expect([chain.nextCounter, chain.skipped.size, chain.used.size]).toEqual([0, 0, 0]);
    expect(asText(open(b, g.roster, m2real).plaintext)).toBe('m3'); // counter 3: skips 0, 1, 2
    // Now a failure on a skipped key (counter 0) leaves that key in place.
    const bad0 = resign(a, { ...m0, ct: m1.ct });
    expect(codeOf(() => open(b, g.roster, bad0))).toBe('DECRYPT_FAILED');
    chain = b.rx.getChain(a.id, a.chain.keyId)!;
    expect(chain.skipped.has(0)).toBe(true);
    expect(asText(open(b, g.roster, m0).plaintext)).toBe('m0');
    expect(asText(open(b, g.roster, m1).plaintext)).toBe('m1');
  });

  it('steps the chain exactly as documented (message key for the counter, then the next chain key)', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    const ck = Uint8Array.from(a.chain.chainKey);
    const env = send(a, 'kdf');
    const { messageKey, nextChainKey } = stepChainKey(ck);
    expect(toBase64Url(a.chain.chainKey)).toBe(toBase64Url(nextChainKey));
    const ad = utf8(`${LABEL.MESSAGE_AD}\u0000`);
    const header = labelled(LABEL.MESSAGE_AD, env.header);
    expect(header.subarray(0, ad.length)).toEqual(ad);
    const padded = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromBase64Url(env.ct), header, fromBase64Url(env.nonce), messageKey);
    expect(asText(sodium().unpad(padded, 256))).toBe('kdf');
    expect(asText(open(b, g.roster, env).plaintext)).toBe('kdf');
  });
});

describe('properties', () => {
  it('padded length reveals only the bucket, for sizes 0..70000', () => {
    const g = setupGroup(2);
    const [a, b] = g.peers as [Peer, Peer];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 70_000 }), (n) => {
        const pt = new Uint8Array(n).fill(n & 255);
        const bucket = MESSAGE_BUCKETS.find((x) => n < x);
        if (bucket === undefined) {
          expect(codeOf(() => encryptMessage(a.chain, { type: 'chat', ttl: 60 }, pt))).toBe('PAYLOAD_TOO_LARGE');
          return;
        }
        const env = encryptMessage(a.chain, { type: 'chat', ttl: 60 }, pt);
        expect(fromBase64Url(env.ct).length).toBe(bucket + 16);
        expect(bytesEqual(open(b, g.roster, env).plaintext, pt)).toBe(true);
      }),
      { seed: 20_240_611, numRuns: 60, examples: [[0], [255], [256], [65_535], [65_536], [70_000]] },
    );
  });

  it('any delivery order within the bound decrypts every message exactly once; duplicates are refused', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) =>
          fc.tuple(fc.constant(n), fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }), fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 6 })),
        ),
        fc.array(fc.nat(), { maxLength: 6 }),
        ([n, order, dups], positions) => {
          const g = setupGroup(2);
          const [a, b] = g.peers as [Peer, Peer];
          const msgs = Array.from({ length: n }, (_, i) => send(a, `m${i}`));
          // Insert each duplicate somewhere in the delivery sequence.
          const seq: number[] = [...order];
          dups.forEach((d, k) => seq.splice((positions[k] ?? 0) % (seq.length + 1), 0, d));
          const seen = new Set<number>();
          for (const i of seq) {
            const code = codeOf(() => expect(asText(open(b, g.roster, msgs[i]).plaintext)).toBe(`m${i}`));
            if (seen.has(i)) expect(code).toBe('REPLAY');
            else expect(code).toBe('none');
            seen.add(i);
          }
          expect(seen.size).toBe(n);
        },
      ),
      { seed: 77, numRuns: 40 },
    );
  });
});
