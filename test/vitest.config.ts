import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  test: {
    projects: [
      { extends: true, test: { name: 'shared', include: ['shared/src/**/*.test.ts'], environment: 'node' } },
      { extends: true, test: { name: 'server', include: ['server/src/**/*.test.ts', 'server/bench/**/*.test.ts'], environment: 'node' } },
      { extends: true, test: { name: 'engine', include: ['client/src/engine/**/*.test.ts'], environment: 'node' } },
      {
        extends: true,
        test: { name: 'web', include: ['client/src/**/*.test.tsx', 'client/src/store/**/*.test.ts', 'client/src/ui/**/*.test.ts'], environment: 'jsdom' },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts', 'test/adversarial/**/*.test.ts'], environment: 'node', testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        extends: true,
        // Several relay nodes in one process over the machine's PostgreSQL and Redis (each file its own schema and prefix).
        test: { name: 'multinode', include: ['test/multinode/**/*.test.ts'], environment: 'node', testTimeout: 60_000, hookTimeout: 60_000 },
      },
      {
        extends: true,
        // One Chromium and one relay per file; files run one after another so two browsers never compete for 2 cores.
        test: { name: 'browser', include: ['test/browser/**/*.test.ts'], environment: 'node', testTimeout: 120_000, hookTimeout: 60_000, fileParallelism: false },
      },
    ],
  },
});
