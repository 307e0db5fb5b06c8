/**
 * `pnpm soak`: the load scenario for longer (KINDRED_SOAK_MINUTES, default 5) with more groups, printing the relay's
 * heap every few seconds and a summary. Not part of CI. The relay runs as its own process, as `pnpm start` runs it
 * (SQLite in a temporary directory), so its heap is measured apart from the engine clients': the lowest of five
 * readings of its /metrics 200 ms apart, a floor that follows what stays alive between collections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLoad } from './loadRun';
import { RelayProcess, freePort } from '../support/relayProcess';

const minutes = Number(process.env.KINDRED_SOAK_MINUTES ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'kindred-soak-'));
const relay = new RelayProcess(await freePort(), dir, { KINDRED_LOG_LEVEL: 'info' });
await relay.start();
const heapFloor = async (): Promise<number> => {
  let lowest = Infinity;
  for (let i = 0; i < 5; i++) {
    lowest = Math.min(lowest, await relay.heapUsed());
    await sleep(200);
  }
  return lowest;
};
const result = await runLoad(
  { groups: Number(process.env.KINDRED_SOAK_GROUPS ?? 5), membersPerGroup: 6, durationMs: minutes * 60_000, ratePerClient: 2 },
  (l) => console.log(`[soak] ${l} (relay process)`),
  {
    url: relay.url,
    heapUsed: heapFloor,
    close: async () => {
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  },
);
console.log(`[soak] ${JSON.stringify({ ...result, duplicates: result.duplicates.length, missing: result.missing.length, leaked: result.leaked.length })}`);
process.exit(result.missing.length + result.duplicates.length + result.leaked.length + result.mutedAccepted === 0 ? 0 : 1);
