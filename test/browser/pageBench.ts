/**
 * `pnpm bench:page`: what a member on a slow phone waits for. The real relay serves the BUILT client (compressed as
 * in production); a Node engine client makes a group and opens a session; then a fresh Chromium profile opens the
 * invite link with the CPU slowed 4x and the network at 1.6 Mbps down / 750 kbps up / 150 ms RTT (the DevTools
 * protocol: Emulation.setCPUThrottlingRate, Network.emulateNetworkConditions). It prints, for each of RUNS cold
 * loads and their median: the bytes on the wire of the first load (every response's encodedDataLength, headers
 * included) and the time from navigation to the ground rules being readable (the rules heading visible).
 * A benchmark, not a test: it prints figures and asserts nothing.
 */
import { generateIdentity, initCrypto } from '@kindred/shared/crypto';
import { KindredClient } from '@kindred/client/engine';
import { launchChromium } from './chromium';
import { startRelayWithClient } from './relayWithClient';

const RUNS = Number(process.env.BENCH_PAGE_RUNS ?? 5);
const NETWORK = { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8) | 0, uploadThroughput: (750e3 / 8) | 0 };
const CPU_SLOWDOWN = 4;

async function main(): Promise<void> {
  const relay = await startRelayWithClient();
  await initCrypto();
  const facilitator = new KindredClient({ url: relay.origin, identity: generateIdentity(), displayName: 'Facilitator' });
  await facilitator.connect();
  const { fragment } = await facilitator.createGroup(
    {
      name: 'Bench circle',
      groundRules: 'What is said here stays here.',
      codeOfConduct: 'Be kind.',
      confidentialityLimits: 'Duty to report serious harm.',
      crisisResources: 'Call 112 in an emergency.',
      requireSignedAgreement: true,
    },
    { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false },
  );
  await facilitator.openSession();
  const invite = `${relay.origin}/#/join/${fragment}`;
  const browser = await launchChromium();
  const results: { bytes: number; ms: number }[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      await cdp.send('Network.emulateNetworkConditions', NETWORK);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
      let bytes = 0;
      cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
        bytes += e.encodedDataLength;
      });
      cdp.on('Network.webSocketFrameReceived', (e: { response: { payloadData: string } }) => {
        bytes += e.response.payloadData.length;
      });
      const start = performance.now();
      await page.goto(invite);
      await page.getByRole('heading', { level: 1, name: 'Before you join Bench circle' }).waitFor({ state: 'visible', timeout: 120_000 });
      const ms = performance.now() - start;
      results.push({ bytes, ms });
      console.log(`run ${run + 1}: ${(bytes / 1024).toFixed(1)} KiB on the wire, rules readable after ${ms.toFixed(0)} ms`);
      await context.close();
    }
  } finally {
    await browser.close();
    facilitator.close();
    await relay.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log(
    `median of ${RUNS} cold loads (360x740, CPU 4x slower, 1.6 Mbps / 150 ms RTT): ` +
      `${(median(results.map((r) => r.bytes)) / 1024).toFixed(1)} KiB on the wire, ` +
      `rules readable after ${median(results.map((r) => r.ms)).toFixed(0)} ms`,
  );
}

await main();
