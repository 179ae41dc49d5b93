import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const domOrPlatform = [
  { name: 'electron', message: 'shared/ is the pure domain core: no Electron.' },
  { name: 'dexie', message: 'shared/ is the pure domain core: no Dexie.' },
  { name: 'dexie-react-hooks', message: 'shared/ is the pure domain core: no Dexie.' },
  { name: 'react', message: 'shared/ is the pure domain core: no React.' },
  { name: 'react-dom', message: 'shared/ is the pure domain core: no React.' },
  { name: 'y-webrtc', message: 'shared/ is the pure domain core: no transport.' },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'dist-electron/**',
      'dist-web/**',
      'release/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: domOrPlatform,
          patterns: [
            {
              group: ['electron/*', 'dexie/*', 'react/*', 'react-dom/*'],
              message: 'shared/ must stay pure.',
            },
            {
              group: ['../renderer/*', '../electron/*', '**/renderer/**', '**/electron/**'],
              message: 'shared/ must not depend on renderer/ or electron/.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'window', message: 'shared/ must not touch the DOM.' },
        { name: 'document', message: 'shared/ must not touch the DOM.' },
        { name: 'indexedDB', message: 'shared/ must not touch storage.' },
        { name: 'localStorage', message: 'shared/ must not touch storage.' },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The renderer reaches Electron only through the preload bridge (window.larder).',
            },
          ],
        },
      ],
    },
  },
  // The page has the store as a host of the doc it talks to (renderer/storage/host.ts, docs/worker.md): its
  // screens, hooks and data modules take a `StoreHost`, never `LarderStore`, whose doc and persistence
  // lives in the device's Worker where the page can hold one. Only the app's root and the Worker make the
  // store; two modules ask whether its code is loaded.
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: [
      'renderer/storage/**',
      'renderer/sync/**',
      'renderer/app/App.tsx',
      'renderer/app/device.worker.ts',
      'renderer/app/lazyScreen.ts',
      'renderer/data/networkModel.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/storage/store'],
              importNames: ['LarderStore'],
              message:
                'Take the store as a StoreHost (renderer/storage/host.ts): the page never holds its doc.',
            },
          ],
        },
      ],
    },
  },
  // Reads live in one place: screens, components and the app shell read through renderer/data/'s named
  // hooks, never the database. Only renderer/storage/ (which writes it) and renderer/data/ (which reads
  // it) touch `store.db`; renderer/sync/ keeps its own sync state there (relays, peers' files).
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/storage/**', 'renderer/data/**', 'renderer/sync/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'The renderer reaches Electron only through the preload bridge (window.larder).',
            },
            { name: 'dexie', message: 'Read through a hook in renderer/data/, not Dexie.' },
            {
              name: 'dexie-react-hooks',
              message: 'Read through a hook in renderer/data/ (useLiveQuery lives there).',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='db']",
          message:
            'store.db is private to renderer/storage/ and renderer/data/: add or use a hook in renderer/data/.',
        },
        {
          selector: "ObjectPattern > Property[key.name='db']",
          message:
            'store.db is private to renderer/storage/ and renderer/data/: add or use a hook in renderer/data/.',
        },
      ],
    },
  },
);
