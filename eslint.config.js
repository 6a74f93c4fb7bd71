// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The workspaces linted with typescript-eslint's strictTypeChecked set. */
const strictFiles = ['packages/**/*.ts', 'examples/**/*.ts', 'instruments/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/reports/**',
      '**/.turbo/**',
      'examples/plugins/**/runtime/**',
      // Temporary directories the CLI tests make and remove while lint may run beside them.
      '**/.baton-inspect-*/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: strictFiles })),
  {
    files: strictFiles,
    rules: {
      // Numbers and bigints in messages (`${bytes} bytes`) are what error messages are made of.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // noUncheckedIndexedAccess types every indexed read `T | undefined`; an index its loop keeps in range is
      // asserted with `!` rather than re-checked.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['packages/core/src/**/*.ts', 'packages/kinds/src/**/*.ts'],
    rules: {
      // The libraries check what their public functions receive at runtime (callers may be plain JavaScript,
      // or pass `as never`): a check the types call unnecessary is the one that turns bad input into a typed
      // INVALID_ARGUMENT instead of a crash.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-unnecessary-type-conversion': 'off',
    },
  },
  {
    files: ['packages/kinds/src/**/*.ts'],
    rules: {
      // Arrow types and fields are narrowed by their typeId, never by instanceof, which fails across two copies
      // of apache-arrow (a host and a plugin may each bring one).
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/consistent-type-exports': 'error',
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@baton/*/src/*', '@baton/*/dist/*', '../../*/src/*'],
              message: 'Import a package through its index (no deep imports across packages).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/__tests__/**/*.ts'],
    rules: {
      // Tests stand fixtures in for the real classes (a fixture handle read back from an outcome).
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // expect.objectContaining() and friends are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        globalThis: 'readonly',
      },
    },
  },
);
