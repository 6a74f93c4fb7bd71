import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Run workspace packages from source: the "@baton/source" export condition points at src/index.ts.
const conditions = ['@baton/source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
  },
});
