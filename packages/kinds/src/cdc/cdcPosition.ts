import { checkLsn } from './batchCheck.js';

/** The stream currently allowed to advance a {@link CdcPosition}. */
export interface CdcPositionOwner {
  /** Resolves when the owner's in-flight deliveries have settled. */
  idle(): Promise<void>;
}

/**
 * The shape a callback output relies on. Outputs read it structurally, so a position made by the
 * host's copy of this package works with every plugin version's copy.
 */
export interface CdcPositionState {
  /** LSN through which the consumer has accepted batches; undefined before the first start. */
  lsn: bigint | undefined;
  /** The stream that may deliver; a new start fences the previous one. */
  owner: CdcPositionOwner | undefined;
}

/**
 * A host-owned, in-memory record of how far a consumer has accepted batches. Pass the same object
 * to every version of a {@link callbackCdcOutput}: the new version resumes exactly after what the
 * old one handed to the consumer, whatever `fromLsn` the host passes. To survive a process
 * restart, persist `lsn` with the consumer's own effects and pass it to the constructor.
 */
export class CdcPosition implements CdcPositionState {
  lsn: bigint | undefined;
  owner: CdcPositionOwner | undefined = undefined;

  /** `lsn`: where a consumer that already has batches resumes (absent: from the first start's LSN). */
  constructor(lsn?: bigint) {
    this.lsn = lsn === undefined ? undefined : checkLsn(lsn, 'CdcPosition LSN', { key: 'CdcPosition' });
  }
}
