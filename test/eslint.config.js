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
  {
    files: ['client/src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...crossPackage(['server', 'test']),
          sodiumOnlyInCrypto,
          { group: ['react', 'react-dom', 'react/*', 'zustand', 'zustand/*'], message: 'the engine is framework-free' },
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
