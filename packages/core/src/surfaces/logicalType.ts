import type { DataType } from 'apache-arrow';
import type { CompatVerdict } from '../compat/verdict.js';
import type { MaybePromise } from '../util/maybePromise.js';

/**
 * An Arrow logical (extension) type: values stored as `storageType`, identified in a field's
 * metadata by `ARROW:extension:name` and `ARROW:extension:metadata`. Registered under its `name`.
 *
 * Reload discipline: extension contract. The name, storage type (deep, children included), encoding
 * version and metadata must not change; any change is a hard error, because columns already
 * written with the old contract would be misread.
 */
export interface LogicalTypeProvider<T extends DataType = DataType> {
  /** `ARROW:extension:name`, e.g. `arrow.uuid` (registry key). */
  readonly name: string;
  /** The Arrow type values are stored as. */
  readonly storageType: T;
  /** Version of the value encoding inside `storageType`. */
  readonly encodingVersion: number;
  /** `ARROW:extension:metadata`: the serialised parameters of the type ("" when none). */
  readonly metadata: string;
  /**
   * Further checks of this (new) type against `old`, beyond the contract. It cannot relax the
   * contract: a changed contract is incompatible whatever this returns.
   */
  compatCheck?(old: LogicalTypeProvider): MaybePromise<CompatVerdict>;
}
