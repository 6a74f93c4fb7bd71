import type { BodySchema } from './bodySchemaTypes.js';

/** What a decoded envelope holds. */
export interface Envelope {
  readonly kind: string;
  readonly formatVersion: number;
  /**
   * The body, as msgpackr decodes it (Maps stay Maps, 64-bit integers and bigints are bigints).
   * Byte strings in it are views of a private copy of the input: later changes to the input
   * cannot reach them.
   */
  readonly body: unknown;
}

/** What a reader accepts. */
export interface EnvelopeExpectation {
  /** The kind the bytes must be of. */
  readonly kind: string;
  /** Format versions this reader understands. */
  readonly versions: readonly number[];
  /**
   * The schema of the body of each format version, checked on the bytes before anything is
   * decoded (see `BodySchema`). A version without one is checked as `bodySchema.any()`:
   * bounded nesting, and a decoded size estimated within a fixed factor of the input.
   */
  readonly bodies?: Readonly<Record<number, BodySchema>>;
  /** Refuse envelopes larger than this (default `DEFAULT_MAX_ENVELOPE_BYTES`, 16 MiB). */
  readonly maxBytes?: number;
  /** Surface kind named in errors (default `crdtKind`). */
  readonly surface?: string;
}
