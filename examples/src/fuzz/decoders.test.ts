import { describe, expect, it } from 'vitest';
import { decoderTargets } from './decoderTargets.js';
import { fuzzTarget } from './fuzzTarget.js';

// A small sample of `npm run fuzz`, which feeds each decoder 100 000 inputs.
describe('every decoder answers bad bytes with a typed error, quickly, without pollution', async () => {
  for (const target of await decoderTargets()) {
    it(
      target.name,
      async () => {
        const result = await fuzzTarget(target, 400, { seed: 42 });
        expect(result.findings).toEqual([]);
        expect(result.rejected).toBeGreaterThan(0);
      },
      60_000,
    );
  }
});
