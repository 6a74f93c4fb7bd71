import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// One embedded PostgreSQL server for the package's test files (src/__tests__/globalSetup.ts).
export default mergeConfig(shared, defineConfig({ test: { globalSetup: ['src/__tests__/globalSetup.ts'] } }));
