/**
 * `@baton/testing`: what plugin authors import to prove their providers survive a reload — fast-check
 * arbitraries, compat/law/handoff checks usable from any test runner, conformance suites per surface
 * kind, and a fault-injecting reload harness.
 *
 * @packageDocumentation
 */

// Arbitraries
export { crdtPrimitives, opsOf, referenceOps, replicaPlans, stateOf, stateOfPlan } from './arbitraries/crdtOps.js';
export { crdtSteps, playSteps } from './arbitraries/crdtSteps.js';
export { cdcBatches, cdcStreamWithCut, lsnRanges } from './arbitraries/cdcBatches.js';
export { vectorBatch, vectorQueries, vectorTables } from './arbitraries/vectorTables.js';
export { logicalColumns, logicalValues } from './arbitraries/logicalValues.js';
export { faultPlans, describeFault, faultStepKinds, faultStepRole, faultSteps } from './faults/faultPlan.js';
export { garbageBytes } from './checks/garbageBytes.js';
export type { OpSource, ReplicaPlanOptions } from './arbitraries/crdtOps.js';
export type { CrdtStep } from './arbitraries/crdtSteps.js';
export type { CdcBatchOptions } from './arbitraries/cdcBatches.js';
export type { VectorTableOptions } from './arbitraries/vectorTables.js';
export type { LogicalColumn } from './arbitraries/logicalValues.js';
export type { FaultMode, FaultPlan, FaultPlanOptions, FaultStep } from './faults/faultPlan.js';

// Checks
export { assertCrdtLaws } from './checks/crdtLaws.js';
export { assertCrdtCompat } from './checks/crdtCompat.js';
export { assertCrdtDelta } from './checks/crdtDelta.js';
export { assertLogicalTypeCompat, assertLogicalTypeRoundTrip } from './checks/logicalType.js';
export { assertIndexHandoff } from './checks/indexHandoff.js';
export { assertCdcHandoff } from './checks/cdcHandoff.js';
export { assertRejectsGarbage } from './checks/garbageBytes.js';
export { batchDifference } from './checks/batchEquality.js';
export { CheckFailure } from './checks/describe.js';
export type { CrdtLawOptions } from './checks/crdtLaws.js';
export type { CrdtCompatOptions } from './checks/crdtCompat.js';
export type { CrdtDeltaOptions } from './checks/crdtDelta.js';
export type { LogicalRoundTripOptions } from './checks/logicalType.js';
export type { IndexHandoffOptions } from './checks/indexHandoff.js';
export type { CdcHandoffOptions, CdcHandoffPath } from './checks/cdcHandoff.js';
export type { GarbageOptions } from './checks/garbageBytes.js';
export type { RunOptions } from './checks/runOptions.js';

// Conformance suites
export { crdtKindConformance, persistedSamples } from './conformance/crdtKindConformance.js';
export { indexKindConformance } from './conformance/indexKindConformance.js';
export { cdcOutputConformance, logicalTypeConformance } from './conformance/otherConformance.js';
export type { ConformanceCase } from './conformance/conformanceCase.js';
export type { CrdtConformanceOptions } from './conformance/crdtKindConformance.js';
export type { IndexConformanceOptions } from './conformance/indexKindConformance.js';

// Deliberately broken providers (counterexamples for compat checks; never for production)
export { brokenCrdts } from './counterexamples/brokenCrdts.js';
export type { BrokenCrdts } from './counterexamples/brokenCrdts.js';
export type { LossyPnCounterState } from './counterexamples/lossyPnCounter.js';
export type { UnmigratedGCounterState } from './counterexamples/unmigratedGCounter.js';

// Fault injection and the reload harness
export { FaultSwitch, GARBAGE } from './faults/faultSwitch.js';
export { withFaults } from './faults/withFaults.js';
export { ReloadHarness } from './harness/reloadHarness.js';
export type {
  HarnessCaseResult,
  HarnessCrdt,
  HarnessResources,
  HarnessSetup,
  ReloadHarnessOptions,
} from './harness/reloadHarness.js';
export { harnessCalls } from './harness/workload.js';
export type { HarnessCall } from './harness/workload.js';
