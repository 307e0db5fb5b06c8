#!/usr/bin/env node
// Part of the root `pnpm start`: builds the web client when it exists (client/index.html), and otherwise says so
// and lets the relay start alone (it then answers GET / with a plain-text note). A client that exists but fails
// to build stops `pnpm start`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
if (!existsSync(`${root}client/index.html`)) {
  console.warn('kindred: no client/index.html yet; starting the relay without the web client.');
  process.exit(0);
}
const r = spawnSync('pnpm', ['--filter', '@kindred/client', 'run', 'build'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
