import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MANIFEST_FILE,
  SIGNATURE_FILE,
  generateSigningKey,
  loadPluginVersion,
  parseManifest,
  serializeManifest,
  signManifest,
  trustedKey,
  verifyManifestSignature,
} from '@baton/core/loader';
import { frameChecked, unframeChecked } from '@baton/core/durable';
import type { CrdtKindProvider, MaybePromise } from '@baton/core';
import {
  fileCdcOutput,
  flatVectorIndex,
  gCounter,
  geoPointType,
  jsonType,
  lwwRegister,
  orSet,
  orderedIndex,
  pnCounter,
  readFileSink,
} from '@baton/kinds';
import { CHECKPOINT_FILE, SINK_FILE } from '@baton/kinds/cdc';
import { decodeEnvelope } from '@baton/kinds/codec';
import { persistedSamples, referenceOps, vectorBatch } from '@baton/testing';
import { tableFromArrays } from 'apache-arrow';
import { OR_SET_MERGE_TWICE } from './cpuInputs.js';

/**
 * A bundled artifact's source map, as the loader reads it when a stack of the bundle's code is
 * formatted: each input is signed as the map of a fixed bundle, the artifact is loaded, and an
 * error thrown in the bundle has its stack read. A map that does not parse maps nothing; reading a
 * stack must never throw or hang, whatever the map.
 */
async function bundleStackTarget(): Promise<DecoderTarget> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-fuzz-bundle-'));
  const key = generateSigningKey();
  const trusted = [trustedKey(key.publicKeyPem)];
  const bundle = new TextEncoder().encode(
    "globalThis.__batonFuzzThrow = function thrower() { throw new Error('from the bundle'); };\n" +
      "module.exports = { default: { name: 'fuzz-map', version: '1.0.0', register() {} } };\n",
  );
  const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
  const valid = new TextEncoder().encode(
    JSON.stringify({ version: 3, sources: ['src/index.ts'], names: ['thrower'], mappings: 'AAAA,SAAS;AACT' }),
  );
  await writeFile(join(dir, 'plugin.cjs'), bundle);
  return {
    name: 'bundle source map (stack of bundled code)',
    decode: async (map) => {
      const manifest = serializeManifest({
        manifestVersion: 1,
        name: 'fuzz-map',
        version: '1.0.0',
        entry: 'plugin.cjs',
        loader: 'bundle',
        dependsOn: [],
        surfaces: [],
        files: { 'plugin.cjs': sha(bundle), 'plugin.cjs.map': sha(map) },
      });
      const { algorithm, keyId, signature } = signManifest(manifest, key.privateKeyPem);
      await writeFile(join(dir, 'plugin.cjs.map'), map);
      await writeFile(join(dir, MANIFEST_FILE), manifest);
      await writeFile(join(dir, SIGNATURE_FILE), `${JSON.stringify({ algorithm, keyId, signature }, null, 2)}\n`);
      const loaded = await loadPluginVersion(dir, { trustedKeys: trusted });
      try {
        (globalThis as { __batonFuzzThrow?: () => void }).__batonFuzzThrow!();
      } catch (error) {
        const stack = (error as Error).stack;
        if (typeof stack !== 'string' || !stack.startsWith('Error: from the bundle'))
          throw new Error(`the stack of a bundled error is not a stack: ${String(stack)}`, { cause: error });
      }
      return loaded.manifest;
    },
    valid: [valid],
    codes: [],
    dispose: () => rm(dir, { recursive: true, force: true }),
    maxInputs: 10_000,
  };
}

/** One decoder under fuzz: how to feed it bytes, valid inputs to mutate, and the error codes it may answer with. */
export interface DecoderTarget {
  readonly name: string;
  readonly decode: (bytes: Uint8Array) => MaybePromise<unknown>;
  readonly valid: readonly Uint8Array[];
  readonly codes: readonly string[];
  readonly dispose?: () => Promise<void>;
  /** At most this many inputs (a target whose every input is a signed artifact loaded from disk). */
  readonly maxInputs?: number;
}

const CORRUPT = ['CORRUPT_INPUT'];

async function crdtTargets(
  name: string,
  provider: CrdtKindProvider<never>,
  ops: (replica: string) => unknown,
): Promise<DecoderTarget[]> {
  const valid = await persistedSamples(provider, ops as never, 24);
  return [
    { name: `${name} fromPersisted`, decode: (b) => provider.fromPersisted(b), valid, codes: CORRUPT },
    {
      // What `ManagedCrdt.merge(bytes)` does with another replica's bytes: read them, merge them into
      // the live state (here a non-empty one, read from a sample).
      name: `${name} merge(bytes)`,
      decode: async (b) => {
        const state = await provider.fromPersisted(valid.at(-1)!);
        await state.merge(await provider.fromPersisted(b));
        return state;
      },
      valid,
      codes: CORRUPT,
    },
  ];
}

/** Every decoder Baton exposes to bytes it did not write itself. */
export async function decoderTargets(): Promise<DecoderTarget[]> {
  const targets: DecoderTarget[] = [
    ...(await crdtTargets('g-counter v1', gCounter() as never, referenceOps.gCounter)),
    ...(await crdtTargets('g-counter v2', gCounter({ format: 2 }) as never, referenceOps.gCounter)),
    ...(await crdtTargets('pn-counter', pnCounter() as never, referenceOps.pnCounter)),
    ...(await crdtTargets('lww-register', lwwRegister() as never, referenceOps.lwwRegister)),
    ...(await crdtTargets('or-set', orSet() as never, referenceOps.orSet)),
  ];
  const envelopes = targets.find((t) => t.name === 'or-set fromPersisted')!.valid;
  targets.push({
    // A replica re-sending its state: the second merge meets every element and dot on both sides.
    name: OR_SET_MERGE_TWICE,
    decode: (b) => {
      const state = orSet().fromPersisted(envelopes.at(-1)!);
      state.merge(orSet().fromPersisted(b));
      state.merge(orSet().fromPersisted(b));
      return state;
    },
    valid: envelopes,
    codes: CORRUPT,
  });
  targets.push({
    name: 'envelope decodeEnvelope',
    decode: (b) => decodeEnvelope(b, { kind: 'or-set', versions: [1, 2] }),
    valid: envelopes,
    codes: CORRUPT,
  });

  const vectors = Float32Array.from({ length: 64 * 8 }, (_, i) => Math.cos(i));
  // Seeds in both formats: format 2 (what persist writes) and format 1 (Arrow IPC, still read).
  const flatValid = [flatVectorIndex(), flatVectorIndex({ format: 1 })].flatMap((flat) => [
    flat.build(vectorBatch('v', 8, vectors), { column: 'v' }).persist(),
    flat.build(vectorBatch('v', 8, vectors.subarray(0, 16)), { column: 'v', params: { metric: 'cosine' } }).persist(),
  ]);
  targets.push({
    name: 'flat-vector index open',
    decode: (b) => flatVectorIndex().open(b),
    valid: flatValid,
    codes: CORRUPT,
  });
  const ordered = orderedIndex();
  const orderedValid = [
    ordered.build(tableFromArrays({ k: Int32Array.from([5, 1, 3, 3]) }), { column: 'k' }).persist(),
    ordered.build(tableFromArrays({ k: Float64Array.from([2.5, -1]) }), { column: 'k' }).persist(),
  ];
  targets.push({
    name: 'ordered index open',
    decode: (b) => orderedIndex().open(b),
    valid: orderedValid,
    codes: CORRUPT,
  });

  targets.push({
    name: 'checked frame (checkpoints, journal, snapshots)',
    decode: (b) => unframeChecked(b),
    valid: [
      frameChecked(new TextEncoder().encode('{"plugins":{"a":"1"},"sequence":3}')),
      frameChecked(new Uint8Array(64)),
    ],
    codes: CORRUPT,
  });

  const key = generateSigningKey();
  const manifest = serializeManifest({
    manifestVersion: 1,
    name: 'geo',
    version: '1.0.0',
    entry: 'index.js',
    dependsOn: ['base'],
    surfaces: [{ kind: 'indexKind', key: 'flat-vector' }],
    files: { 'index.js': 'a'.repeat(64), 'lib/x.js': 'b'.repeat(64) },
  });
  const bundleManifest = serializeManifest({
    manifestVersion: 1,
    name: 'geo',
    version: '2.0.0-rc.1',
    entry: 'plugin.cjs',
    loader: 'bundle',
    dependsOn: [],
    surfaces: [],
    files: { 'plugin.cjs': 'c'.repeat(64), 'plugin.cjs.map': 'd'.repeat(64) },
  });
  targets.push({
    name: 'plugin manifest parseManifest',
    decode: (b) => parseManifest(b),
    valid: [manifest, bundleManifest],
    codes: ['VERIFICATION_FAILED'],
  });
  targets.push(await bundleStackTarget());
  // The exact form `baton sign` writes (the verifier refuses any other spacing or key order).
  const { algorithm, keyId, signature: sig } = signManifest(manifest, key.privateKeyPem);
  const signature = new TextEncoder().encode(`${JSON.stringify({ algorithm, keyId, signature: sig }, null, 2)}\n`);
  const trusted = [trustedKey(key.publicKeyPem)];
  targets.push({
    name: 'manifest signature verify',
    decode: (b) => verifyManifestSignature(manifest, b, trusted),
    valid: [signature],
    codes: ['VERIFICATION_FAILED'],
  });

  // Logical-type literals (SQL or user text) as UTF-8 bytes.
  const text = new TextDecoder();
  targets.push({
    name: 'arrow.json parse',
    decode: (b) => jsonType().parse(text.decode(b)),
    valid: ['{"a":[1,2.5,"x"],"b":null}', '[true,{"c":{}}]', '"text"'].map((t) => new TextEncoder().encode(t)),
    codes: ['INVALID_ARGUMENT'],
  });
  targets.push({
    name: 'baton.geo.point parse',
    decode: (b) => geoPointType().parse(text.decode(b)),
    valid: ['POINT(13.4 52.52)', 'SRID=4326;POINT(-0.1 51.5)'].map((t) => new TextEncoder().encode(t)),
    codes: ['INVALID_ARGUMENT'],
  });

  targets.push(...(await cdcFileTargets()));
  return targets;
}

/** The file CDC output's checkpoint and sink, fuzzed on disk (a valid pair is written, one file replaced per input). */
async function cdcFileTargets(): Promise<DecoderTarget[]> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-fuzz-cdc-'));
  const output = fileCdcOutput({ name: 'fuzz', directory: dir });
  const stream = await output.start({});
  for (let i = 0n; i < 4n; i++)
    await stream.deliver({
      lsnStart: i * 2n,
      lsnEnd: i * 2n + 2n,
      mutations: tableFromArrays({ id: Int32Array.from([Number(i), 7]) }).batches[0]!,
      commitTimestamp: 1,
    });
  await stream.checkpoint();
  await stream.shutdown();
  const { readFile } = await import('node:fs/promises');
  const checkpoint = new Uint8Array(await readFile(join(dir, CHECKPOINT_FILE)));
  const sink = new Uint8Array(await readFile(join(dir, SINK_FILE)));
  const replacing = (file: string, other: [string, Uint8Array]) => async (bytes: Uint8Array) => {
    await writeFile(join(dir, file), bytes);
    await writeFile(join(dir, other[0]), other[1]);
    return readFileSink(dir);
  };
  const dispose = () => rm(dir, { recursive: true, force: true });
  return [
    {
      name: 'file CDC checkpoint',
      decode: replacing(CHECKPOINT_FILE, [SINK_FILE, sink]),
      valid: [checkpoint],
      codes: CORRUPT,
    },
    // The two targets share the directory: the last one removes it.
    {
      name: 'file CDC sink records',
      decode: replacing(SINK_FILE, [CHECKPOINT_FILE, checkpoint]),
      valid: [sink],
      codes: CORRUPT,
      dispose,
    },
  ];
}
