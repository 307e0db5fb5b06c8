/**
 * Crypto benchmark (`pnpm bench:crypto`): microseconds per operation of the composed protocol functions beside the
 * raw libsodium primitives they call, measured in the same run through the same sodium instance, and the ratio.
 * Each figure is the median of ROUNDS rounds, after a warm-up round. Target (issue): composed encrypt+sign and
 * verify+decrypt at most 1.5x the raw primitives.
 *
 * "Raw" is the exact list of libsodium calls the composed function makes, with inputs of the same sizes (so
 * signing covers the same number of bytes); what the composed side adds is encoding (canonical JSON, base64url,
 * UTF-8), wire validation (zod), the receive-state bookkeeping and wiping.
 */
import { fromBase64Url, toBase64Url } from '../src/encoding';
import { initCrypto, sodium } from '../src/crypto/sodium';
import { labelled } from '../src/crypto/canonical';
import { KDF_CONTEXT, LABEL } from '../src/crypto/labels';
import { csprngBytes } from '../src/crypto/csprng';
import { createSessionKey } from '../src/crypto/sessionKey';
import { createOwnSenderChain, type OwnSenderChain } from '../src/crypto/senderKeyChain';
import { openSenderKey, sealSenderKey } from '../src/crypto/keyDistribution';
import { createMemoryReceiveState, installSenderKey, type ReceiveState } from '../src/crypto/receiveState';
import { decryptMessage, encryptMessage } from '../src/crypto/messageCipher';
import { createPairwiseKeys } from '../src/crypto/pairwiseBox';
import { rekey } from '../src/crypto/rekeyPolicy';
import { applyRosterEntry, createGenesis, signRosterEntry, verifyRosterChain } from '../src/crypto/roster';
import type { Envelope, SignedRosterEntry } from '../src/protocol/objects';
import type { IdentityKeyPair, RosterState } from '../src/crypto/types';

// shared/ compiles without the DOM and Node libraries; the benchmark needs only these two globals (both in Node).
declare const performance: { now(): number };
declare const console: { log(...args: unknown[]): void };

const ROUNDS = 7;

await initCrypto();
const s = sodium();

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  return a[a.length >> 1]!;
}

interface Side<T> {
  /** Untimed: builds the inputs of one round of n operations. */
  prepare: (n: number) => T;
  /** Timed: performs n operations. */
  run: (input: T, n: number) => void;
}

/**
 * µs per op of the composed and the raw side, measured in alternation (composed then raw, then raw then composed,
 * ...) so that a machine busy with something else slows both alike. One warm-up round each, then ROUNDS rounds;
 * the medians are reported, and the ratio is the median of the per-round ratios.
 */
function measurePair<A, B>(n: number, composed: Side<A>, raw: Side<B>): { composed: number; raw: number; ratio: number } {
  const time = <T>(side: Side<T>): number => {
    const input = side.prepare(n);
    const t0 = performance.now();
    side.run(input, n);
    return ((performance.now() - t0) * 1000) / n;
  };
  time(composed);
  time(raw);
  const c: number[] = [];
  const r: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let tc: number;
    let tr: number;
    if (i % 2 === 0) {
      tc = time(composed);
      tr = time(raw);
    } else {
      tr = time(raw);
      tc = time(composed);
    }
    c.push(tc);
    r.push(tr);
    ratios.push(tc / tr);
  }
  return { composed: median(c), raw: median(r), ratio: median(ratios) };
}

const rows: { name: string; composed: number; raw: number; ratio: number; rawWhat: string }[] = [];
const none = () => null;

function identity(): IdentityKeyPair {
  const kp = s.crypto_sign_keypair();
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

// ---------- a two-member session for message benchmarks ----------
const groupId = toBase64Url(s.randombytes_buf(16));
const sessionId = toBase64Url(s.randombytes_buf(16));
const ikA = identity();
const ikB = identity();
const idA = toBase64Url(ikA.publicKey);
const idB = toBase64Url(ikB.publicKey);
const skA = createSessionKey(ikA, groupId, sessionId);
const skB = createSessionKey(ikB, groupId, sessionId);
const roster: RosterState = {
  groupId,
  epoch: 1,
  head: toBase64Url(s.randombytes_buf(32)),
  creator: idA,
  members: [
    { id: idA, role: 'facilitator' as const, muted: false },
    { id: idB, role: 'member' as const, muted: false },
  ].sort((a, b) => (a.id < b.id ? -1 : 1)),
  banned: [],
  locked: false,
  policy: { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false },
  session: { id: sessionId, open: true },
  rekeyEpoch: 1,
  invites: [],
  revokedInvites: [],
};
const newChain = (): OwnSenderChain =>
  createOwnSenderChain({ groupId, sessionId, epoch: roster.epoch, rosterHash: roster.head, sender: idA, nowMs: 0 });

function messageRows(label: string, plaintextBytes: number, bucket: number, n: number): void {
  const plaintext = s.randombytes_buf(plaintextBytes);
  const probe = encryptMessage(newChain(), { type: 'chat', ttl: 600 }, plaintext);
  // The raw side works on inputs of exactly the sizes the composed side feeds libsodium.
  const ad = s.randombytes_buf(labelled(LABEL.MESSAGE_AD, probe.header).length);
  const sigMsg = s.randombytes_buf(labelled(LABEL.MESSAGE_SIGNATURE, { header: probe.header, nonce: probe.nonce, ct: probe.ct }).length);
  const signKp = s.crypto_sign_keypair();

  const enc = measurePair(
    n,
    { prepare: () => newChain(), run: (chain, k) => { for (let i = 0; i < k; i++) encryptMessage(chain, { type: 'chat', ttl: 600 }, plaintext); } },
    {
      prepare: () => s.randombytes_buf(32),
      run: (ck, k) => {
        for (let i = 0; i < k; i++) {
          const nonce = csprngBytes(24);
          const mk = s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.MESSAGE_KEY, ck);
          s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.CHAIN_KEY, ck);
          const padded = s.pad(plaintext, bucket);
          s.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, ad, null, nonce, mk);
          s.crypto_sign_detached(sigMsg, signKp.privateKey);
        }
      },
    },
  );
  rows.push({ name: `encrypt+sign, ${label}`, ...enc, rawWhat: 'csprng nonce + 2 kdf + pad + xchacha20poly1305 + ed25519 sign' });

  // A fresh receiver per round, envelopes delivered in order (the common case).
  const prepareDec = (k: number): { rx: ReceiveState; envs: Envelope[] } => {
    const chain = newChain();
    const rx = createMemoryReceiveState(groupId, sessionId);
    const sealed = sealSenderKey(chain, { member: idB, sessionPk: skB.keyPair.publicKey }, skA.keyPair);
    installSenderKey(rx, openSenderKey(sealed, skA.keyPair.publicKey, skB.keyPair, idB), 0);
    return { rx, envs: Array.from({ length: k }, () => encryptMessage(chain, { type: 'chat', ttl: 600 }, plaintext)) };
  };
  const ck = s.randombytes_buf(32);
  const mk0 = s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.MESSAGE_KEY, ck);
  const nonce = s.randombytes_buf(24);
  const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(s.pad(plaintext, bucket), ad, null, nonce, mk0);
  const sig = s.crypto_sign_detached(sigMsg, signKp.privateKey);
  const dec = measurePair(
    n,
    { prepare: prepareDec, run: ({ rx, envs }, k) => { for (let i = 0; i < k; i++) decryptMessage(rx, roster, envs[i], 0); } },
    {
      prepare: none,
      run: (_, k) => {
        for (let i = 0; i < k; i++) {
          s.crypto_sign_verify_detached(sig, sigMsg, signKp.publicKey);
          const mk = s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.MESSAGE_KEY, ck);
          s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.CHAIN_KEY, ck);
          s.unpad(s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ct, ad, nonce, mk), bucket);
        }
      },
    },
  );
  rows.push({ name: `verify+decrypt, ${label}`, ...dec, rawWhat: 'ed25519 verify + 2 kdf + xchacha20poly1305 open + unpad' });
}

messageRows('256 B bucket (200 B text)', 200, 256, 300);
messageRows('4 KiB bucket (4,000 B text)', 4000, 4096, 150);

// ---------- rekey of a 100-member group: a new chain and 99 sealed sender keys ----------
{
  const others = Array.from({ length: 99 }, () => {
    const ik = identity();
    return { member: toBase64Url(ik.publicKey), sessionPk: createSessionKey(ik, groupId, sessionId).keyPair.publicKey };
  });
  const big: RosterState = {
    ...roster,
    members: [{ id: idA, role: 'facilitator' as const, muted: false }, ...others.map((o) => ({ id: o.member, role: 'member' as const, muted: false }))].sort((a, b) =>
      a.id < b.id ? -1 : 1,
    ),
  };
  const boxLen = fromBase64Url(sealSenderKey(newChain(), others[0]!, skA.keyPair).box).length - 16;
  const pt = s.randombytes_buf(boxLen);
  const pw = createPairwiseKeys(skA.keyPair);
  for (const o of others) pw.sharedKey(o.sessionPk); // computed once per session, at the first distribution
  const shared = others.map((o) => s.crypto_box_beforenm(o.sessionPk, skA.keyPair.secretKey));
  const newChainRaw = () => {
    s.crypto_sign_seed_keypair(csprngBytes(32));
    csprngBytes(32);
    csprngBytes(16);
  };
  const cached = measurePair(
    5,
    { prepare: none, run: (_, k) => { for (let i = 0; i < k; i++) rekey({ roster: big, sender: idA, recipients: others, me: pw, nowMs: 0 }); } },
    {
      prepare: none,
      run: (_, k) => {
        for (let i = 0; i < k; i++) {
          newChainRaw();
          for (const key of shared) s.crypto_box_easy_afternm(pt, csprngBytes(24), key);
        }
      },
    },
  );
  rows.push({ name: 'rekey, 100 members (shared keys cached)', ...cached, rawWhat: 'seed keypair + 99 crypto_box_easy_afternm' });
  const cold = measurePair(
    2,
    { prepare: none, run: (_, k) => { for (let i = 0; i < k; i++) rekey({ roster: big, sender: idA, recipients: others, me: skA.keyPair, nowMs: 0 }); } },
    {
      prepare: none,
      run: (_, k) => {
        for (let i = 0; i < k; i++) {
          newChainRaw();
          for (const o of others) s.crypto_box_easy(pt, csprngBytes(24), o.sessionPk, skA.keyPair.secretKey);
        }
      },
    },
  );
  rows.push({ name: 'rekey, 100 members (first of the session)', ...cold, rawWhat: 'seed keypair + 99 crypto_box_easy' });
}

// ---------- verifying a 100-entry roster chain (genesis + 99 admits), part A's verifyRosterChain ----------
{
  const creator = identity();
  const genesis = createGenesis(creator, groupId, { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false });
  let state = applyRosterEntry(null, genesis);
  const entries: SignedRosterEntry[] = [genesis];
  for (let i = 0; i < 99; i++) {
    const e = signRosterEntry(state, { type: 'admit', member: toBase64Url(identity().publicKey) }, creator);
    state = applyRosterEntry(state, e);
    entries.push(e);
  }
  const signedMsgs = entries.map((e) => labelled(LABEL.ROSTER_ENTRY, e.body));
  const hashedMsgs = entries.map((e) => labelled(LABEL.ROSTER_HASH, { body: e.body, sig: e.sig }));
  const sigs = entries.map((e) => fromBase64Url(e.sig));
  const r = measurePair(
    3,
    { prepare: none, run: (_, k) => { for (let i = 0; i < k; i++) verifyRosterChain(entries, { groupId }); } },
    {
      prepare: none,
      run: (_, k) => {
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < entries.length; j++) {
            s.crypto_sign_verify_detached(sigs[j]!, signedMsgs[j]!, creator.publicKey);
            s.crypto_generichash(32, hashedMsgs[j]!, null);
          }
        }
      },
    },
  );
  rows.push({ name: 'verify roster chain, 100 entries', ...r, rawWhat: '100 x (ed25519 verify + blake2b-256)' });
}

// ---------- the table ----------
const num = (x: number, w: number) => x.toFixed(1).padStart(w);
const head = `${'operation'.padEnd(44)}${'composed µs'.padStart(12)}${'raw µs'.padStart(10)}${'ratio'.padStart(8)}  raw primitives (same sizes, same sodium instance)`;
console.log(`crypto benchmark: medians of ${ROUNDS} alternating rounds after a warm-up; libsodium-wrappers-sumo (WebAssembly)`);
console.log(head);
console.log('-'.repeat(head.length));
for (const r of rows) console.log(`${r.name.padEnd(44)}${num(r.composed, 12)}${num(r.raw, 10)}${r.ratio.toFixed(2).padStart(7)}x  ${r.rawWhat}`);
const target = rows.filter((r) => r.name.startsWith('encrypt+sign') || r.name.startsWith('verify+decrypt'));
const worst = Math.max(...target.map((r) => r.ratio));
console.log(`\ntarget: encrypt+sign and verify+decrypt at most 1.50x the raw primitives; worst ratio ${worst.toFixed(2)}x: ${worst <= 1.5 ? 'met' : 'NOT met'}`);
