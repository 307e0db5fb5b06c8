/**
 * The message part of the reconnect buffer, kept off the V8 heap: each relayed envelope as its JSON bytes in
 * fixed-size chunks of native memory, with its seq, time and place in a few arrays of numbers. Bounded like
 * ReconnectBuffer by age and count, and also by bytes (what a session may hold no matter how large its messages).
 *
 * Why not objects: 100 busy sessions keep 50,000 envelopes, ~450,000 strings and objects that every major GC must
 * mark and that every message adds to the old generation; on one core that marking competes with the event loop
 * (docs/BENCHMARKS.md, finding 8). Here a buffered message is a few numbers in packed arrays; reading it back
 * (only when a device resumes) parses its bytes again.
 *
 * Entries never span chunks. A message larger than a chunk gets a chunk of its own. A chunk is let go once no
 * entry is left in it; the last one let go is kept as a spare for the next, so a session at its bound allocates
 * nothing.
 */
import type { BufferLimits } from './sessionLog';

const CHUNK_BYTES = 64 * 1024;
const COMPACT_AFTER = 64;

export interface LoggedText {
  seq: number;
  text: string;
}

export class TextLog {
  // Entries, oldest first from `head`: seq, time, the serial of the chunk they are in, offset and length there.
  private seqs: number[] = [];
  private times: number[] = [];
  private chunkOf: number[] = [];
  private offsets: number[] = [];
  private lengths: number[] = [];
  private head = 0;
  // Chunks still holding entries, oldest first; chunk serial `firstChunk + i` is chunks[i].
  private chunks: Buffer[] = [];
  private firstChunk = 0;
  private fill = 0; // bytes used in the last chunk
  private held = 0; // bytes of all chunks in `chunks`
  private spare: Buffer | null = null;
  private readonly chunkSize: number;

  constructor(
    /** maxBytes bounds the bytes of the chunks held, the one being filled included. */
    private readonly limits: BufferLimits,
    chunkBytes = CHUNK_BYTES,
  ) {
    // At least eight chunks under the bound, so that letting the oldest go never empties much of the buffer.
    this.chunkSize = Math.min(chunkBytes, Math.max(1024, Math.floor(limits.maxBytes / 8)));
  }

  /** Buffers `text` under `seq` (seqs must grow). Returns false when it alone is over the byte bound: not kept. */
  push(seq: number, text: string, now: number): boolean {
    this.prune(now);
    if (this.limits.maxItems === 0) return false;
    const length = Buffer.byteLength(text, 'utf8');
    if (length > this.limits.maxBytes) return false;
    const chunk = this.room(length);
    chunk.write(text, this.fill, length, 'utf8');
    this.seqs.push(seq);
    this.times.push(now);
    this.chunkOf.push(this.firstChunk + this.chunks.length - 1);
    this.offsets.push(this.fill);
    this.lengths.push(length);
    this.fill += length;
    this.prune(now);
    return true;
  }

  /** Entries after `seq` still within the bounds, oldest first. */
  readAfter(seq: number, now: number): LoggedText[] {
    this.prune(now);
    const out: LoggedText[] = [];
    for (let i = this.head; i < this.seqs.length; i++) {
      if (this.seqs[i]! <= seq) continue;
      const chunk = this.chunks[this.chunkOf[i]! - this.firstChunk]!;
      const start = this.offsets[i]!;
      out.push({ seq: this.seqs[i]!, text: chunk.toString('utf8', start, start + this.lengths[i]!) });
    }
    return out;
  }

  /** Drops every entry and wipes the chunks' bytes before letting them go (the session ended). */
  clear(): void {
    for (const chunk of this.chunks) chunk.fill(0);
    this.spare?.fill(0);
    this.spare = null;
    this.firstChunk += this.chunks.length;
    this.chunks = [];
    this.held = 0;
    this.fill = 0;
    this.seqs = [];
    this.times = [];
    this.chunkOf = [];
    this.offsets = [];
    this.lengths = [];
    this.head = 0;
  }

  get size(): number {
    return this.seqs.length - this.head;
  }

  /** Bytes of native memory held (whole chunks, the spare not counted). */
  get bytes(): number {
    return this.held;
  }

  /** The chunk that `length` more bytes go into: the last one if they fit, else a new one (the bound kept). */
  private room(length: number): Buffer {
    const last = this.chunks[this.chunks.length - 1];
    if (last && this.fill + length <= last.length) return last;
    const size = Math.max(this.chunkSize, length);
    // Make room under the byte bound by dropping the oldest entries (and with them their chunks).
    while (this.held + size > this.limits.maxBytes && this.head < this.seqs.length) this.dropOldest();
    const reuse = this.spare && this.spare.length >= size ? this.spare : null;
    if (reuse) this.spare = null;
    const chunk = reuse ?? Buffer.allocUnsafeSlow(size);
    this.chunks.push(chunk);
    this.held += chunk.length;
    this.fill = 0;
    return chunk;
  }

  private prune(now: number): void {
    // Live lengths: dropOldest may compact the arrays.
    while (this.size > 0 && (this.size > this.limits.maxItems || now - this.times[this.head]! > this.limits.ttlMs)) this.dropOldest();
  }

  private dropOldest(): void {
    this.head++;
    // Chunks before the one the new oldest entry is in hold nothing any more (all of them once the log is empty).
    const keepFrom = this.head < this.seqs.length ? this.chunkOf[this.head]! : this.firstChunk + this.chunks.length;
    while (this.firstChunk < keepFrom) {
      const freed = this.chunks.shift()!;
      this.firstChunk++;
      this.held -= freed.length;
      if (freed.length === this.chunkSize) this.spare = freed;
    }
    if (this.chunks.length === 0) this.fill = 0;
    if (this.head >= COMPACT_AFTER && this.head * 2 >= this.seqs.length) this.compact();
  }

  private compact(): void {
    const h = this.head;
    this.seqs = this.seqs.slice(h);
    this.times = this.times.slice(h);
    this.chunkOf = this.chunkOf.slice(h);
    this.offsets = this.offsets.slice(h);
    this.lengths = this.lengths.slice(h);
    this.head = 0;
  }
}
