// Lint configuration, including the package boundaries of shared/STYLE.md (checked here, not by review alone).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const crossPackage = (forbidden) =>
  forbidden.flatMap((pkg) => [
    { group: [`@kindred/${pkg}`, `@kindred/${pkg}/*`], message: `this package must not import @kindred/${pkg}` },
    { group: [`**/${pkg}/src/**`], message: `this package must not reach into ${pkg}/src` },
  ]);
const sodiumOnlyInCrypto = {
  group: ['libsodium-wrappers', 'libsodium-wrappers-sumo'],
  message: 'libsodium is used only inside shared/src/crypto/: call the protocol functions instead',
};

const nodeOrSockets = { group: ['node:*', 'socket.io', 'socket.io-client', 'socket.io/*'], message: 'shared/ is pure: no node:*, no sockets' };
const pureForbiddenPaths = ['fs', 'path', 'crypto', 'os', 'http', 'net'].map((name) => ({ name, message: 'shared/ is pure: no Node built-ins' }));

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.tsbuild/**', 'test-results/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/src/crypto/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...crossPackage(['server', 'client', 'test']),
          sodiumOnlyInCrypto,
          nodeOrSockets,
        ],
        paths: pureForbiddenPaths,
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'localStorage', 'indexedDB', 'navigator', 'process', 'Buffer'],
    },
  },
  {
    files: ['shared/src/crypto/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...crossPackage(['server', 'client', 'test']),
          nodeOrSockets,
        ],
        paths: pureForbiddenPaths,
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'localStorage', 'indexedDB', 'navigator', 'process', 'Buffer', 'setTimeout', 'setInterval', 'Date'],
    },
  },
  {
    files: ['server/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...crossPackage(['client', 'test']), sodiumOnlyInCrypto] }],
    },
  },
  {
    files: ['client/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [...crossPackage(['server', 'test']), sodiumOnlyInCrypto] }],
    },
  },
  // The client's layers, one way: app (the shell) -> ui (components) -> store (zustand over the engine) -> engine.
  {
    files: ['client/src/store/**/*.{ts,tsx}'],
    ignores: ['client/src/store/**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...crossPackage(['server', 'test']),
          sodiumOnlyInCrypto,
          { group: ['**/ui/**', '**/app/**', 'react', 'react-dom', 'react/*'], message: 'the store sits under the UI: it must not import ui/, app/ or React components' },
        ],
      }],
    },
  },
  {
    files: ['client/src/ui/**/*.{ts,tsx}'],
    ignores: ['client/src/ui/**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...crossPackage(['server', 'test']),
          sodiumOnlyInCrypto,
          { group: ['**/app/**', '**/app'], message: 'ui/ sits under the app shell: move what both need into store/ or ui/' },
          { group: ['**/engine/*', '!**/engine/index'], message: 'the UI reads the engine through its index (types) and the store, never its modules' },
          { group: ['**/store/engineHost'], message: 'components never touch the engine instance: dispatch through the session store' },
        ],
      }],
    },
  },
  {
    files: ['client/src/**/*.{ts,tsx}'],
    ignores: ['client/src/testing/**', 'client/src/**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "ImportDeclaration[source.value=/testing\\//]", message: 'test helpers (client/src/testing) are for tests only' }],
    },
  },
  {
    files: ['client/src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...crossPackage(['server', 'test']),
          sodiumOnlyInCrypto,
          { group: ['react', 'react-dom', 'react/*', 'zustand', 'zustand/*'], message: 'the engine is framework-free' },
          { group: ['**/store/**', '**/ui/**', '**/app/**'], message: 'the engine is the bottom layer: it imports nothing of store/, ui/ or app/' },
        ],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'localStorage', 'indexedDB'],
    },
  },
  {
    files: ['test/**/*.{ts,mjs,js}', '**/bench/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [sodiumOnlyInCrypto] }], 'no-console': 'off' },
  },
);
