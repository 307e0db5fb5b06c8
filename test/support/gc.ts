/**
 * Heap measurement after a full collection. Vitest's workers do not run with --expose-gc, so the flag is set at
 * run time and the `gc` function taken from a fresh context (a documented V8 idiom); if that fails, the measure is
 * taken without it and callers use a generous bound.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gcFn: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (gcFn !== undefined) return gcFn;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return (gcFn = existing);
  try {
    setFlagsFromString('--expose-gc');
    gcFn = runInNewContext('gc') as () => void;
  } catch {
    gcFn = null;
  }
  return gcFn;
}

/** heapUsed in bytes after letting pending I/O settle and collecting garbage (twice: weak callbacks run between). */
export async function settledHeap(): Promise<{ heapUsed: number; collected: boolean }> {
  await new Promise((r) => setImmediate(r));
  const gc = collector();
  if (gc) {
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
  }
  return { heapUsed: process.memoryUsage().heapUsed, collected: gc !== null };
}

export const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
