/**
 * The message part of the reconnect buffer, kept off the V8 heap: each relayed envelope as its JSON bytes in
 * fixed-size chunks of native memory, with its seq, time and place in a few arrays of numbers. Bounded like
 * ReconnectBuffer by age and count, and also by bytes (what a session may hold no matter how large its messages).
 *
 * Why not objects: 100 busy sessions keep 50,000 envelopes, ~450,000 strings and objects that every major GC must
 * mark and that every message adds to the old generation; on one core that marking competes with the event loop
 * (docs/BENCHMARKS.md, finding 8). Here a buffered message is a few numbers in a ring of typed arrays (their memory
 * is off the V8 heap too, and a session at its bound reuses its slots: no array is regrown or copied per message,
 * finding 11); reading it back (only when a device resumes) parses its bytes again.
 *
 * Entries never span chunks. A message larger than a chunk gets a chunk of its own. A chunk is let go once no
 * entry is left in it; the last one let go is kept as a spare for the next, so a session at its bound allocates
 * nothing.
 */
import type { BufferLimits } from './bufferLimits';

const CHUNK_BYTES = 64 * 1024;
const FIRST_SLOTS = 16;

export interface LoggedText {
  seq: number;
  text: string;
}

/** The entries' numbers, one slot per entry, in a ring that grows by doubling up to `maxSlots`. */
class EntryRing {
  seqs = new Float64Array(0);
  times = new Float64Array(0);
  chunkOf = new Float64Array(0); // the serial of the chunk the entry is in (serials only grow)
  offsets = new Uint32Array(0);
  lengths = new Uint32Array(0);
  private start = 0;
  size = 0;

  constructor(private readonly maxSlots: number) {}

  /** The physical slot of the i-th entry, oldest first. */
  slot(i: number): number {
    const at = this.start + i;
    return at < this.seqs.length ? at : at - this.seqs.length;
  }

  append(seq: number, time: number, chunk: number, offset: number, length: number): void {
    if (this.size === this.seqs.length) this.grow(Math.min(Math.max(FIRST_SLOTS, this.size * 2), this.maxSlots));
    const k = this.slot(this.size);
    this.seqs[k] = seq;
    this.times[k] = time;
    this.chunkOf[k] = chunk;
    this.offsets[k] = offset;
    this.lengths[k] = length;
    this.size++;
  }

  dropOldest(): void {
    this.start = this.slot(1);
    this.size--;
  }

  /** Copies the entries, oldest first, into arrays of `slots` (more than `size`). */
  private grow(slots: number): void {
    // Slots in the old arrays, computed before any of them is replaced (slot() reads the current length).
    const from = Array.from({ length: this.size }, (_, i) => this.slot(i));
    const move = <A extends Float64Array | Uint32Array>(old: A, to: A): A => {
      from.forEach((k, i) => (to[i] = old[k]!));
      return to;
    };
    this.seqs = move(this.seqs, new Float64Array(slots));
    this.times = move(this.times, new Float64Array(slots));
    this.chunkOf = move(this.chunkOf, new Float64Array(slots));
    this.offsets = move(this.offsets, new Uint32Array(slots));
    this.lengths = move(this.lengths, new Uint32Array(slots));
    this.start = 0;
  }
}

export class TextLog {
  // One slot more than the count bound: a new entry goes in before prune drops the oldest.
  private entries: EntryRing;
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
    this.entries = new EntryRing(limits.maxItems + 1);
  }

  /** Buffers `text` under `seq` (seqs must grow). Returns false when it alone is over the byte bound: not kept. */
  push(seq: number, text: string, now: number): boolean {
    this.prune(now);
    if (this.limits.maxItems === 0) return false;
    const length = Buffer.byteLength(text, 'utf8');
    if (length > this.limits.maxBytes) return false;
    const chunk = this.room(length);
    chunk.write(text, this.fill, length, 'utf8');
    this.entries.append(seq, now, this.firstChunk + this.chunks.length - 1, this.fill, length);
    this.fill += length;
    this.prune(now);
    return true;
  }

  /** Entries after `seq` still within the bounds, oldest first. */
  readAfter(seq: number, now: number): LoggedText[] {
    this.prune(now);
    const e = this.entries;
    const out: LoggedText[] = [];
    for (let i = 0; i < e.size; i++) {
      const k = e.slot(i);
      if (e.seqs[k]! <= seq) continue;
      const chunk = this.chunks[e.chunkOf[k]! - this.firstChunk]!;
      const start = e.offsets[k]!;
      out.push({ seq: e.seqs[k]!, text: chunk.toString('utf8', start, start + e.lengths[k]!) });
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
    this.entries = new EntryRing(this.limits.maxItems + 1);
  }

  get size(): number {
    return this.entries.size;
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
    while (this.held + size > this.limits.maxBytes && this.entries.size > 0) this.dropOldest();
    const reuse = this.spare && this.spare.length >= size ? this.spare : null;
    if (reuse) this.spare = null;
    const chunk = reuse ?? Buffer.allocUnsafeSlow(size);
    this.chunks.push(chunk);
    this.held += chunk.length;
    this.fill = 0;
    return chunk;
  }

  private prune(now: number): void {
    const e = this.entries;
    while (e.size > 0 && (e.size > this.limits.maxItems || now - e.times[e.slot(0)]! > this.limits.ttlMs)) this.dropOldest();
  }

  private dropOldest(): void {
    const e = this.entries;
    e.dropOldest();
    // Chunks before the one the new oldest entry is in hold nothing any more (all of them once the log is empty).
    const keepFrom = e.size > 0 ? e.chunkOf[e.slot(0)]! : this.firstChunk + this.chunks.length;
    while (this.firstChunk < keepFrom) {
      const freed = this.chunks.shift()!;
      this.firstChunk++;
      this.held -= freed.length;
      if (freed.length === this.chunkSize) this.spare = freed;
    }
    if (this.chunks.length === 0) this.fill = 0;
  }
}
