/**
 * `@baton/testing`: what plugin authors import to prove their providers survive a reload — fast-check
 * arbitraries, compat/law/handoff checks usable from any test runner, and a fault-injecting reload
 * harness.
 *
 * @packageDocumentation
 */

// Fault injection
export { describeFault, faultPlans, faultStepRole, faultSteps } from './faults/faultPlan.js';
export { FaultSwitch, GARBAGE } from './faults/faultSwitch.js';
export { withFaults } from './faults/withFaults.js';
export type { FaultMode, FaultPlan, FaultPlanOptions, FaultStep } from './faults/faultPlan.js';
