/**
 * The messages of the relay benchmark: schema-valid Envelopes whose ciphertext starts with a timing stamp. The relay
 * treats `ct` as opaque bytes (only clients decrypt and verify the signature), so the first 18 bytes of the
 * "ciphertext" carry the message's sequence number and its scheduled send time, and the receivers read them
 * without decrypting. Both targets get byte-identical frames, built once per sender and filled in per message
 * by string concatenation so that the generator does not JSON-serialize on its hot path.
 */
import { randomBytes } from 'node:crypto';
import type { Envelope, MessageHeader } from '@kindred/shared/protocol';

/** Bytes of the stamp: magic (2), sequence number (u32), scheduled send time (f64 ms, performance.now()). */
const STAMP_BYTES = 18; // a multiple of 3, so its base64url is exactly 24 characters with no padding bits
const STAMP_CHARS = 24;
const MAGIC = 0x4b42; // "KB"
/**
 * Ciphertext size of one benchmark message: a chat message padded to the 256-byte bucket plus the 16-byte
 * XChaCha20-Poly1305 tag, the common case of a support-group chat line.
 */
export const BENCH_CIPHERTEXT_BYTES = 256 + 16;
const CT_MARK = 'CTMARK';
const COUNTER_MARK = 4_294_967_295; // 2^32 - 1: never a real counter of the benchmark

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** The per-run random tail of every ciphertext (constant: the relay never looks at it). */
const FILLER = b64url(randomBytes(BENCH_CIPHERTEXT_BYTES - STAMP_BYTES));

/** One sender's prebuilt `message.send` body, with holes for the counter and the stamp. */
export class MessageTemplate {
  private readonly parts: [string, string, string];
  private counter = 0;

  /** `header` is everything but the counter, which the template increments per message. */
  constructor(header: Omit<MessageHeader, 'counter'>) {
    const envelope: Envelope = {
      header: { ...header, counter: COUNTER_MARK },
      nonce: b64url(randomBytes(24)),
      ct: CT_MARK,
      // The relay does not verify message signatures (clients do, with the epoch signing key): random bytes keep
      // the schema valid at no cost to the generator.
      sig: b64url(randomBytes(64)),
    };
    const json = JSON.stringify(['message.send', { envelope }]);
    const [a, rest] = splitOnce(json, String(COUNTER_MARK));
    const [b, c] = splitOnce(rest, CT_MARK);
    this.parts = [a, b, c];
  }

  /** The event body (`["message.send",{...}]`) for message `seq` scheduled at `scheduledMs`. */
  body(seq: number, scheduledMs: number): string {
    const counter = this.counter++;
    return this.parts[0] + counter + this.parts[1] + encodeStamp(seq, scheduledMs) + FILLER + this.parts[2];
  }
}

function splitOnce(s: string, mark: string): [string, string] {
  const i = s.indexOf(mark);
  if (i < 0 || s.indexOf(mark, i + 1) >= 0) throw new Error(`template mark ${mark} not found exactly once`);
  return [s.slice(0, i), s.slice(i + mark.length)];
}

const stampBuf = Buffer.alloc(STAMP_BYTES);
export function encodeStamp(seq: number, scheduledMs: number): string {
  stampBuf.writeUInt16BE(MAGIC, 0);
  stampBuf.writeUInt32BE(seq >>> 0, 2);
  stampBuf.writeDoubleBE(scheduledMs, 6);
  return stampBuf.toString('base64url');
}

export interface Stamp {
  seq: number;
  scheduledMs: number;
}

const MESSAGE_PREFIX = Buffer.from('42["message"');
const CT_KEY = Buffer.from('"ct":"');

/**
 * Reads the stamp of a delivered `message` frame (`42["message",{...,"ct":"<stamp>..."}]`) from its bytes, without
 * decoding or parsing the JSON; undefined for any other frame.
 */
export function readStamp(frame: Buffer): Stamp | undefined {
  const n = MESSAGE_PREFIX.length;
  if (frame.length <= n || frame.compare(MESSAGE_PREFIX, 0, n, 0, n) !== 0) return undefined;
  const i = frame.indexOf(CT_KEY, n);
  if (i < 0) return undefined;
  const start = i + CT_KEY.length;
  const buf = Buffer.from(frame.toString('latin1', start, start + STAMP_CHARS), 'base64url');
  if (buf.length !== STAMP_BYTES || buf.readUInt16BE(0) !== MAGIC) return undefined;
  return { seq: buf.readUInt32BE(2), scheduledMs: buf.readDoubleBE(6) };
}
