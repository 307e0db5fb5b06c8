#!/usr/bin/env node
// The README's test command: lint, type-check, build the client, every vitest suite (unit, integration,
// adversarial, browser). Prints one closing line `N passed, N failed` summing every suite.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const resultsDir = `${root}test-results`;
mkdirSync(resultsDir, { recursive: true });
let passed = 0;
let failed = 0;

function step(name, cmd, args, env = {}) {
  console.log(`\n=== ${name}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const ok = r.status === 0;
  console.log(`=== ${name}: ${ok ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`}`);
  return ok;
}

function count(name, ok) {
  if (ok) passed += 1;
  else failed += 1;
  return ok;
}

count('lint', step('lint', 'pnpm', ['run', '-s', 'lint']));
count('typecheck', step('typecheck', 'pnpm', ['run', '-s', 'typecheck']));

// Browser tests need Debian's Chromium; install it when missing so that a fresh machine passes.
const chromium = process.env.KINDRED_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  step('install chromium', 'bash', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null']);
}
const hasClient = existsSync(`${root}client/index.html`);
if (hasClient) count('client build', step('client build', 'pnpm', ['--filter', '@kindred/client', 'run', 'build']));

const report = `${resultsDir}/vitest.json`;
const vitestOk = step('vitest', 'pnpm', ['exec', 'vitest', 'run', '-c', 'test/vitest.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`]);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  // A file that failed outside its tests (an import error, a hook that threw or timed out) counts once: its tests
  // are reported as skipped, not failed, and the run must not look green.
  const filesFailedOutsideTests = r.testResults.filter(
    (f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'),
  ).length;
  failed += r.numFailedTests + filesFailedOutsideTests;
  if (!vitestOk && r.numFailedTests + filesFailedOutsideTests === 0) failed += 1;
  if (r.numPendingTests + r.numTodoTests > 0) console.log(`skipped: ${r.numPendingTests + r.numTodoTests} (each prints its reason above)`);
} else {
  failed += 1;
  console.log('vitest wrote no report');
}

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
