import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root,
  test: {
    projects: [
      { extends: true, test: { name: 'shared', include: ['shared/src/**/*.test.ts'], environment: 'node' } },
      { extends: true, test: { name: 'server', include: ['server/src/**/*.test.ts'], environment: 'node' } },
      { extends: true, test: { name: 'engine', include: ['client/src/engine/**/*.test.ts'], environment: 'node' } },
      {
        extends: true,
        test: { name: 'web', include: ['client/src/**/*.test.tsx', 'client/src/store/**/*.test.ts', 'client/src/ui/**/*.test.ts'], environment: 'jsdom' },
      },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts', 'test/adversarial/**/*.test.ts'], environment: 'node', testTimeout: 60_000, hookTimeout: 60_000 },
      },
    ],
  },
});
