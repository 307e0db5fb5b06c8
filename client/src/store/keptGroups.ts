/** The groups the engine's device vault keeps (for "My groups"); none without an engine or a kept key. */
import type { StoredGroup } from '../engine';
import { currentEngine } from './engineHost';

export async function keptGroups(): Promise<StoredGroup[]> {
  return (await currentEngine()?.storedGroups().catch(() => [])) ?? [];
}
