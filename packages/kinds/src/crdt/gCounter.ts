import { Compat } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider } from '@baton/core';
import { decodeEnvelope, encodeEnvelope } from '../codec/envelope.js';
import { BodyReader } from './bodyReader.js';
import { oldProvider, resolveMaxBytes } from './crdtProvider.js';
import type { CrdtProvider, CrdtProviderOptions } from './crdtProvider.js';
import { gCounterFormatV1, gCounterFormatV2 } from './gCounterFormats.js';
import { G_COUNTER, GCounterState } from './gCounterState.js';
import type { GCounterFormat, GCounterOp } from './gCounterState.js';

/** A G-Counter provider (`gCounter`, `gCounterV2` or one made by their factories). */
export type GCounterProvider = CrdtProvider<GCounterState, GCounterOp, number>;

/** What {@link migrateGCounterV1ToV2} does, as reported in compat verdicts. */
export const G_COUNTER_V1_TO_V2 = 'g-counter v1 → v2: the replica → count map becomes [replicaIds, varint counts]';

/**
 * A G-Counter provider writing format 1 (a msgpack map replica id → count). Reads format 1 only;
 * taking over format-2 state (a downgrade) is declared incompatible.
 */
export function createGCounter(options?: CrdtProviderOptions): GCounterProvider {
  return gCounterProvider(gCounterFormatV1, [gCounterFormatV1], options, (old) =>
    old.formatVersion === 1
      ? Compat.compatible()
      : Compat.incompatible(`g-counter v1 cannot read ${describeOld(old)} state (no downgrade migration)`),
  );
}

/**
 * A G-Counter provider writing format 2 (`[replicaIds, varint counts]`). It reads format 2 and,
 * for merges from replicas still on v1, format 1 too. Over a v1 provider it declares
 * `Compat.afterMigration(migrateGCounterV1ToV2, …)`, so a reload moves persisted and live states
 * through {@link migrateGCounterV1ToV2}.
 */
export function createGCounterV2(options?: CrdtProviderOptions): GCounterProvider {
  return gCounterProvider(gCounterFormatV2, [gCounterFormatV2, gCounterFormatV1], options, (old) => {
    const version = old.formatVersion;
    if (version === 1) return Compat.afterMigration(migrateGCounterV1ToV2, G_COUNTER_V1_TO_V2);
    if (version === 2) return Compat.compatible();
    return Compat.incompatible(`g-counter v2 cannot take over ${describeOld(old)} state`);
  });
}

/** Rewrites g-counter format-1 bytes as format-2 bytes (`CORRUPT_INPUT` for anything else). */
export function migrateGCounterV1ToV2(bytes: Uint8Array): Uint8Array {
  const { body } = decodeEnvelope(bytes, { kind: G_COUNTER, versions: [1], bodies: { 1: gCounterFormatV1.body } });
  const counts = gCounterFormatV1.decode(body, new BodyReader(G_COUNTER));
  return encodeEnvelope(G_COUNTER, 2, gCounterFormatV2.encode(counts));
}

/** The G-Counter provider of format 1 (`createGCounter()`). */
export const gCounter: GCounterProvider = createGCounter();

/** The G-Counter provider of format 2 (`createGCounterV2()`), migrating format-1 state on reload. */
export const gCounterV2: GCounterProvider = createGCounterV2();

/**
 * A G-Counter provider writing `write` and reading `reads`. Shared by the real versions and the
 * counterexamples; `compat` answers `schemaCompatCheck` for an old provider of the same kind.
 */
export function gCounterProvider(
  write: GCounterFormat,
  reads: readonly GCounterFormat[],
  options: CrdtProviderOptions | undefined,
  compat: (old: CrdtKindProvider) => CompatVerdict,
): GCounterProvider {
  const maxBytes = resolveMaxBytes(G_COUNTER, options);
  const versions = reads.map((format) => format.version);
  const bodies = Object.fromEntries(reads.map((format) => [format.version, format.body]));
  return Object.freeze({
    kind: G_COUNTER,
    formatVersion: write.version,
    empty: () => new GCounterState(write),
    fromPersisted(bytes: Uint8Array): GCounterState {
      const { formatVersion, body } = decodeEnvelope(bytes, { kind: G_COUNTER, versions, bodies, maxBytes });
      const format = reads.find((f) => f.version === formatVersion) ?? write;
      return new GCounterState(write, format.decode(body, new BodyReader(G_COUNTER)));
    },
    schemaCompatCheck(old: CrdtKindProvider): CompatVerdict {
      oldProvider(G_COUNTER, old);
      return old.kind === G_COUNTER
        ? compat(old)
        : Compat.incompatible(`g-counter cannot take over '${old.kind}' state`);
    },
    samples: gCounterSamples,
  });
}

function* gCounterSamples(): Generator<readonly GCounterOp[]> {
  yield [{ replica: 'a', by: 1 }];
  yield [
    { replica: 'a', by: 3 },
    { replica: 'b', by: 2 },
    { replica: 'c', by: 5 },
    { replica: 'a', by: 1 },
  ];
  yield [
    { replica: 'node-7f3a', by: 2 ** 40 },
    { replica: 'é-réplica', by: 7 },
    { replica: '__proto__', by: 1 },
  ];
}

function describeOld(old: CrdtKindProvider): string {
  return old.formatVersion === undefined
    ? 'g-counter state of an undeclared format version'
    : `format-${old.formatVersion} g-counter`;
}
