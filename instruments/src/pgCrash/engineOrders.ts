import type { KillPlan } from './killPoints.js';

/** Where an engine reads and writes. */
export interface EngineTarget {
  readonly sourceUrl: string;
  readonly sinkUrl: string;
  readonly slot: string;
  readonly publication: string;
  readonly output: string;
}

/** What the trial sends an engine with `go` (one JSON line on its stdin). */
export interface EngineOrders {
  readonly target: EngineTarget;
  /** Where it kills itself; null for the final engine. */
  readonly plan: KillPlan | null;
  /** Run without a kill until the batch holding the marker id is confirmed, then shut down cleanly. */
  readonly final: boolean;
  readonly marker: string;
  /** Test-only broken engine: confirms each batch to the slot before delivering it. */
  readonly broken: boolean;
}
