import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// One embedded PostgreSQL server for the package's test files: @baton/postgres's own shared test
// server (its src/__tests__/globalSetup.ts starts it in a child process and stops it at the end).
export default mergeConfig(
  shared,
  defineConfig({ test: { globalSetup: ['../postgres/src/__tests__/globalSetup.ts'] } }),
);
