import { describe, expect, it } from 'vitest';
import { geoPointType, jsonType, uuidType, defineLogicalType } from '@baton/kinds';
import { Utf8 } from 'apache-arrow';
import fc from 'fast-check';
import { assertLogicalTypeCompat, assertLogicalTypeRoundTrip } from '../checks/logicalType.js';
import { logicalTypeConformance } from '../conformance/otherConformance.js';

for (const type of [uuidType(), jsonType(), geoPointType()]) {
  describe(`conformance: ${type.name}`, () => {
    for (const c of logicalTypeConformance(type as never, { ...type }, { numRuns: 60 })) it(c.name, c.run, 30_000);
  });
}

describe('logical type checks', () => {
  it('refuse a next version that changes the storage type, naming old and new', async () => {
    await expect(assertLogicalTypeCompat(geoPointType(), geoPointType({ version: 2 }))).rejects.toThrow(
      /baton.geo.point': a reload would be refused[\s\S]*storage type FixedSizeList\[2\]<Float64>.*→ Struct/,
    );
  });

  it('catch a type whose values do not survive storage', async () => {
    const lossy = defineLogicalType({
      name: 'example.lossy',
      storageType: new Utf8(),
      encodingVersion: 1,
      metadata: '',
      description: 'a string trimmed to 3 characters when stored',
      check: (v: unknown) => (typeof v === 'string' ? undefined : 'not a string'),
      toStorage: (v: string) => v.slice(0, 3),
      fromStorage: (s: unknown) => String(s),
      parse: (s: string) => s,
      format: (v: string) => v,
    });
    await expect(
      assertLogicalTypeRoundTrip(lossy, { values: fc.string({ minLength: 4, maxLength: 8 }), numRuns: 30 }),
    ).rejects.toThrow(/'example.lossy': value changed through IPC \((stream|file)\) at row \d+/);
  });
});
