/**
 * Safety numbers (two members compare their identity keys) and epoch codes (members compare the roster head out
 * of band). Both are BLAKE2b (`crypto_generichash`) under their own label, shown as decimal digit groups.
 */
import { KindredError } from '../errors';
import { fromBase64Url } from '../encoding';
import { labelled } from './canonical';
import { LABEL } from './labels';
import { memberKey } from './signedObject';
import { sodium } from './sodium';

/**
 * Bytes → groups of decimal digits: each group takes the next 5 bytes as a 40-bit big-endian integer, mod
 * 10^digits. The bias is at most 10^digits / 2^40 (< 10^-7 for 5 digits): the most likely group value is
 * likelier than the least by that relative amount, which moves no guessing attack measurably (Signal uses the
 * same 5-byte chunks for the same reason).
 */
function digitGroups(bytes: Uint8Array, groups: number, digits: number): string[] {
  const out: string[] = [];
  const mod = 10 ** digits;
  for (let g = 0; g < groups; g++) {
    let n = 0;
    for (let i = 0; i < 5; i++) n = n * 256 + bytes[g * 5 + i]!; // < 2^40: exact in a double
    out.push(String(n % mod).padStart(digits, '0'));
  }
  return out;
}

/** The two member ids in a fixed order (UTF-16 code-unit order, as canonical JSON sorts keys): order-independent. */
function sortedPair(a: string, b: string): [string, string] {
  memberKey(a);
  memberKey(b);
  return a < b ? [a, b] : [b, a];
}

/**
 * The safety number of two identity keys: BLAKE2b-512 over `LABEL.SAFETY_NUMBER || 0x00 || canonical({"keys":
 * [lo, hi]})`, the first 60 bytes as 12 groups of 5 digits (60 digits, ~199 bits: far beyond what an attacker
 * can match by generating keys). The same for (a, b) and (b, a). Throws BAD_LENGTH/MALFORMED on a bad id.
 */
export function safetyNumber(memberIdA: string, memberIdB: string): string {
  const keys = sortedPair(memberIdA, memberIdB);
  const digest = sodium().crypto_generichash(64, labelled(LABEL.SAFETY_NUMBER, { keys }), null);
  return digitGroups(digest, 12, 5).join(' ');
}

const QR_PREFIX = 'kindred-sn:v1:';

/**
 * What the QR code shows: `kindred-sn:v1:<lo>.<hi>`, the two member ids in safety-number order. The scanning
 * device checks it with verifySafetyNumberQr against the key it holds for the other person.
 */
export function safetyNumberQrPayload(memberIdA: string, memberIdB: string): string {
  const [lo, hi] = sortedPair(memberIdA, memberIdB);
  return `${QR_PREFIX}${lo}.${hi}`;
}

/** True when a scanned payload names exactly my key and the key I hold for them. Never throws. */
export function verifySafetyNumberQr(payload: string, myId: string, theirId: string): boolean {
  try {
    return typeof payload === 'string' && myId !== theirId && payload === safetyNumberQrPayload(myId, theirId);
  } catch {
    return false;
  }
}

/**
 * The epoch code of a roster head: BLAKE2b-256 over `LABEL.EPOCH_CODE || 0x00 || canonical({"head": head})`,
 * 3 groups of 4 digits (~40 bits). The head hash already commits to the group, the epoch and the whole chain.
 * 40 bits is a trade-off for reading aloud: a relay cannot forge a roster at all (it cannot sign), and a
 * dishonest facilitator who forks the roster would need ~2^40 signed attempts to give both branches one code.
 */
export function epochCode(rosterHead: string): string {
  if (typeof rosterHead !== 'string' || fromBase64Url(rosterHead).length !== 32) throw new KindredError('BAD_LENGTH', 'roster head');
  const digest = sodium().crypto_generichash(32, labelled(LABEL.EPOCH_CODE, { head: rosterHead }), null);
  return digitGroups(digest, 3, 4).join(' ');
}
