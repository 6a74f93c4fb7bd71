import { fc } from '@fast-check/vitest';
import type { CrdtPrimitive } from '../primitive.js';

/** A small domain of every primitive type, so collisions (and 1 / 1n / '1' near-collisions) are common. */
export const elementArb: fc.Arbitrary<CrdtPrimitive> = fc.oneof(
  fc.constantFrom('1', 'x', 'y', '', 'é', '__proto__'),
  fc.string({ maxLength: 3 }),
  fc.integer({ min: -2, max: 2 }),
  fc.constantFrom(0.5, -2.25, 1e300),
  fc.bigInt({ min: -2n, max: 2n }),
  fc.constant(2n ** 100n),
  fc.boolean(),
  fc.uint8Array({ maxLength: 2 }),
);
