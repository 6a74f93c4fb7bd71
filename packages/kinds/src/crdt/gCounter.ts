import { Compat } from '@baton/core';
import type { CompatVerdict, CrdtKindProvider } from '@baton/core';
import { decodeEnvelope, encodeEnvelope } from '../codec/envelope.js';
import { BodyReader } from './bodyReader.js';
import { limitDeltas } from './crdtDelta.js';
import { crdtOptions, oldProvider } from './crdtProvider.js';
import type { CrdtProvider, CrdtProviderOptions } from './crdtProvider.js';
import { describeValue, invalidCrdtArgument } from './crdtErrors.js';
import { gCounterFormatV1, gCounterFormatV2 } from './gCounterFormats.js';
import { G_COUNTER, GCounterState } from './gCounterState.js';
import type { GCounterFormat, GCounterOp } from './gCounterState.js';

/** A G-Counter provider (made by {@link gCounter}). */
export type GCounterProvider = CrdtProvider<GCounterState, GCounterOp, number>;

/** Options of {@link gCounter}. */
export interface GCounterOptions extends CrdtProviderOptions {
  /**
   * The format `persist()` writes (default 1):
   * - 1: a msgpack map replica id → count; reads format 1 only, so taking over format-2 state (a
   *   downgrade) is declared incompatible;
   * - 2: `[replicaIds, varint counts]`; reads format 1 too (merges from replicas still on format 1),
   *   and over a format-1 provider declares `Compat.afterMigration`, so a reload moves persisted and
   *   live states through the v1 → v2 migration.
   */
  readonly format?: 1 | 2;
}

/** What the g-counter v1 → v2 migration does, as reported in compat verdicts. */
export const G_COUNTER_V1_TO_V2 = 'g-counter v1 → v2: the replica → count map becomes [replicaIds, varint counts]';

/**
 * The G-Counter kind (`g-counter`): a grow-only counter, one count per replica merged by maximum.
 * `options.format` picks the persisted format (1 by default, or 2; see {@link GCounterOptions}),
 * `options.maxBytes` the largest state `fromPersisted` accepts. Each call makes a new provider.
 * Wrong options (not an object, an unknown one, a format other than 1 or 2, a bad `maxBytes`) are
 * `INVALID_ARGUMENT`.
 */
export function gCounter(options?: GCounterOptions): GCounterProvider {
  const { maxBytes, given } = crdtOptions(G_COUNTER, options, ['format']);
  const format = given['format'] ?? 1;
  if (format === 1)
    return gCounterProvider(gCounterFormatV1, [gCounterFormatV1], maxBytes, (old) =>
      old.formatVersion === 1
        ? Compat.compatible()
        : Compat.incompatible(`g-counter v1 cannot read ${describeOld(old)} state (no downgrade migration)`),
    );
  if (format === 2)
    return gCounterProvider(gCounterFormatV2, [gCounterFormatV2, gCounterFormatV1], maxBytes, (old) => {
      const version = old.formatVersion;
      if (version === 1) return Compat.afterMigration(migrateGCounterV1ToV2, G_COUNTER_V1_TO_V2);
      if (version === 2) return Compat.compatible();
      return Compat.incompatible(`g-counter v2 cannot take over ${describeOld(old)} state`);
    });
  throw invalidCrdtArgument(
    G_COUNTER,
    `format must be 1 or 2, not ${typeof format === 'number' ? format : describeValue(format)}`,
  );
}

/** Rewrites g-counter format-1 bytes as format-2 bytes (`CORRUPT_INPUT` for anything else). */
export function migrateGCounterV1ToV2(bytes: Uint8Array): Uint8Array {
  const { body } = decodeEnvelope(bytes, { kind: G_COUNTER, versions: [1], bodies: { 1: gCounterFormatV1.body } });
  const counts = gCounterFormatV1.decode(body, new BodyReader(G_COUNTER));
  return encodeEnvelope(G_COUNTER, 2, gCounterFormatV2.encode(counts));
}

/**
 * A G-Counter provider writing `write` and reading `reads`; `compat` answers `schemaCompatCheck`
 * for an old provider of the same kind.
 */
function gCounterProvider(
  write: GCounterFormat,
  reads: readonly GCounterFormat[],
  maxBytes: number,
  compat: (old: CrdtKindProvider) => CompatVerdict,
): GCounterProvider {
  const versions = reads.map((format) => format.version);
  const bodies = Object.fromEntries(reads.map((format) => [format.version, format.body]));
  return Object.freeze({
    kind: G_COUNTER,
    formatVersion: write.version,
    empty: () => limitDeltas(GCounterState.create(write), maxBytes),
    fromPersisted(bytes: Uint8Array): GCounterState {
      const { formatVersion, body } = decodeEnvelope(bytes, { kind: G_COUNTER, versions, bodies, maxBytes });
      const format = reads.find((f) => f.version === formatVersion) ?? write;
      return limitDeltas(GCounterState.create(write, format.decode(body, new BodyReader(G_COUNTER))), maxBytes);
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
