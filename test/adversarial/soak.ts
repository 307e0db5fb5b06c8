/**
 * `pnpm soak`: the load scenario for longer (KINDRED_SOAK_MINUTES, default 5) with more groups, printing the heap
 * every few seconds and a summary. Not part of CI.
 */
import { runLoad } from './loadRun';

const minutes = Number(process.env.KINDRED_SOAK_MINUTES ?? 5);
const result = await runLoad(
  { groups: Number(process.env.KINDRED_SOAK_GROUPS ?? 5), membersPerGroup: 6, durationMs: minutes * 60_000, ratePerClient: 2 },
  (l) => console.log(`[soak] ${l}`),
);
console.log(`[soak] ${JSON.stringify({ ...result, duplicates: result.duplicates.length, missing: result.missing.length, leaked: result.leaked.length })}`);
process.exit(result.missing.length + result.duplicates.length + result.leaked.length + result.mutedAccepted === 0 ? 0 : 1);
