import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Run workspace packages from source: the "@baton/source" export condition points at src/index.ts.
// Without the bundlers' "module" condition, which Node ignores: packages resolve as Node resolves them
// (@opentelemetry/api's "module" build has extensionless imports that only a bundler reads).
const conditions = ['@baton/source', ...defaultServerConditions.filter((c) => c !== 'module')];

/**
 * The test configuration every workspace shares. Test files share one module graph per worker
 * (isolate: false): importing Arrow and fast-check once instead of per file cuts the suite from
 * minutes to seconds, so tests must not rely on fresh module state.
 */
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['src/**/*.test.ts'],
    isolate: false,
    // CI runs every package's suite at once on 2 cores: give property tests room (they bound themselves).
    testTimeout: 60_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
  },
});
