/**
 * Vite build of the web client. Vite 8's built-in oxc transform compiles TSX (no React plugin needed). The output
 * (client/dist) is served by the relay under a strict CSP (no inline scripts or styles), so the build emits only
 * external script and stylesheet files; no module preload polyfill (it would be an inline script).
 */
import { defineConfig } from 'vite';
import { compressAssets } from './compressAssets';

const relay = process.env.KINDRED_RELAY ?? 'http://localhost:8080';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic' } },
  // Brotli and gzip copies of every text file, made once here and served by the relay (server/src/staticClient.ts).
  plugins: [compressAssets()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs for scripts; images may be (img-src allows data:).
    assetsInlineLimit: 0,
    sourcemap: false,
    // libsodium (sumo, with its WebAssembly inlined) is most of the bundle; one chunk keeps the CSP and caching simple.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/socket.io': { target: relay, ws: true } },
  },
});
