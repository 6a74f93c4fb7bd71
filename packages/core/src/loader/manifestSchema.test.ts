import { readFile } from 'node:fs/promises';
import { fc, test } from '@fast-check/vitest';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseManifest, serializeManifest } from './manifest.js';
import type { PluginManifest } from './manifest.js';

const schema = JSON.parse(await readFile(new URL('../../baton-plugin.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

const name = fc.stringMatching(/^[A-Za-z0-9@][A-Za-z0-9@._/-]{0,20}$/);
const manifestArb: fc.Arbitrary<PluginManifest> = fc
  .record({
    name,
    version: fc.constantFrom('1.0.0', '2.1.0-rc.1', '0.0.1+build.7', '10.20.30-alpha.1.beta'),
    dependsOn: fc.uniqueArray(name, { maxLength: 3 }),
    surfaces: fc.array(fc.record({ kind: fc.constantFrom('scalarFunction', 'indexKind'), key: fc.string() }), {
      maxLength: 3,
    }),
    paths: fc.uniqueArray(fc.stringMatching(/^[a-z0-9_]{1,8}(\/[a-z0-9_]{1,8}){0,2}\.c?js$/), {
      minLength: 1,
      maxLength: 4,
    }),
    bundle: fc.boolean(),
  })
  .map(({ paths, bundle, ...rest }) => ({
    manifestVersion: 1 as const,
    name: rest.name,
    version: rest.version,
    entry: paths[0]!,
    ...(bundle ? { loader: 'bundle' as const } : {}),
    dependsOn: rest.dependsOn.filter((d) => d !== rest.name),
    surfaces: rest.surfaces,
    files: Object.fromEntries(paths.map((p, i) => [p, i.toString(16).padStart(64, 'a')])),
  }));

describe('the manifest JSON Schema (baton-plugin.schema.json)', () => {
  test.prop([manifestArb])('accepts every manifest the loader accepts, as baton sign writes it', (manifest) => {
    const text = new TextDecoder().decode(serializeManifest(manifest));
    parseManifest(utf8(text)); // the loader's own check first
    expect(validate(JSON.parse(text)), JSON.stringify(validate.errors)).toBe(true);
  });

  test.prop([
    manifestArb,
    fc.constantFrom('name', 'version', 'entry', 'loader', 'dependsOn', 'surfaces', 'files', 'extra'),
  ])('refuses what the loader refuses: a wrong field, or an unknown one', (manifest, field) => {
    const broken: Record<string, unknown> = { ...manifest };
    const wrong: Record<string, unknown> = {
      name: '../up',
      version: 'banana',
      entry: '',
      loader: 'esm',
      dependsOn: [7],
      surfaces: [{ kind: 'indexKind' }],
      files: { 'a.js': 'not a digest' },
      extra: true,
    };
    broken[field] = wrong[field];
    expect(validate(broken)).toBe(false);
    expect(() => parseManifest(utf8(JSON.stringify(broken, null, 2) + '\n'))).toThrow();
  });

  it('accepts what an author writes before signing, $schema included', () => {
    expect(
      validate({
        $schema: './node_modules/@baton/core/baton-plugin.schema.json',
        name: 'geo',
        version: '1.0.0',
        entry: 'index.js',
      }),
    ).toBe(true);
    expect(validate({ name: 'geo', version: '1.0.0' })).toBe(false); // no entry
  });
});
