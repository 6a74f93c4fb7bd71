import { isReloadError } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { amplificationInputs } from './amplificationInputs.js';
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
        // A target with no error codes reads anything (a bundle's source map: a bad one maps nothing).
        if (target.codes.length === 0) expect(result.accepted).toBe(400);
        else expect(result.rejected).toBeGreaterThan(0);
      },
      60_000,
    );
  }
});

// The crafted high-amplification inputs at 64 KiB, in this process (`npm run fuzz` measures their
// memory at 12 MiB, each in a child process).
describe('crafted high-amplification inputs: hostile ones refused with a typed error, valid ones read', async () => {
  const targets = await decoderTargets();
  for (const input of amplificationInputs) {
    it(`${input.target} ← ${input.name}`, async () => {
      const target = targets.find((t) => t.name === input.target)!;
      let outcome = 'value';
      try {
        await target.decode(await input.build(64 * 1024));
      } catch (error) {
        outcome = isReloadError(error) && target.codes.includes(error.code) ? 'typed error' : String(error);
      }
      expect(outcome).toBe(input.expect === 'value' ? 'value' : 'typed error');
    });
  }
  it('cleans up', async () => {
    for (const target of targets) await target.dispose?.();
  });
});
