/**
 * `@baton/fleet`: roll a plugin version across many engine processes through PostgreSQL — a
 * coordinator whose every decision is a row, an agent in each engine process, health gates, halt
 * and roll back, fenced CDC stream ownership, and Kafka-style two-step format switches for state
 * shared between versions. See docs/design/fleet.md.
 *
 * @packageDocumentation
 */

// Store: the tables, their rows, errors
export { FLEET_SCHEMA, fleetNames } from './store/schemaName.js';
export { ensureFleetSchema } from './store/fleetSchema.js';
export { countQueries } from './store/queryable.js';
export { fleetError } from './store/fleetErrors.js';
export type { FleetNames } from './store/schemaName.js';
export type { FleetSchemaOptions } from './store/fleetSchema.js';
export type { CountingQueryable, Queryable } from './store/queryable.js';
export type { FleetErrorInit, FleetPhase } from './store/fleetErrors.js';
export type {
  ArtifactRef,
  CommandAction,
  CommandError,
  CommandResult,
  CommandRow,
  CommandState,
  HandoffSummary,
  MemberFigures,
  MemberRow,
  RolloutRow,
  RolloutStatus,
} from './store/rows.js';

// Members: join, heartbeats with figures, leave, liveness
export { FleetMembership } from './members/membership.js';
export { listMembers } from './members/listMembers.js';
export { hostReport } from './members/memberFigures.js';
export type { JoinOptions } from './members/membership.js';
export type { ListMembersOptions, MemberStatus } from './members/listMembers.js';
export type { FiguresSource, MemberReport } from './members/memberFigures.js';

// Formats: mixed-version state, the two-step format switch, fleet compat pre-checks
export * from './formats/index.js';

// Fencing: CDC stream leases with fencing tokens, checked inside the sink's transactions
export * from './fencing/index.js';

// Agent: runs the commands addressed to one engine process
export { FleetAgent } from './agent/fleetAgent.js';
export type { FleetAgentEvents, FleetAgentOptions } from './agent/fleetAgent.js';
export type { ArtifactLoader, FormatContext, FormatHandler, LoadContext } from './agent/runCommand.js';

// Rollout: the coordinator, its reducer, policy and events
export { FleetCoordinator } from './rollout/fleetCoordinator.js';
export { rolloutReducer, foldRollout, initialRolloutState } from './rollout/rolloutState.js';
export { nextMove } from './rollout/nextMove.js';
export { resolvePolicy, planSteps } from './rollout/rolloutPolicy.js';
export { evaluateGate } from './rollout/healthGate.js';
export type { FleetCoordinatorOptions } from './rollout/fleetCoordinator.js';
export type { PreflightContext, RolloutRequest } from './rollout/rolloutRequest.js';
export type { RolloutEvent, RolloutState } from './rollout/rolloutState.js';
export type { CommandIntent, HaltReason, MoveView, RolloutMove, RolloutSummary } from './rollout/nextMove.js';
export type { GateLimits, RolloutPolicy } from './rollout/rolloutPolicy.js';
export type { GateReading, GateViolation } from './rollout/healthGate.js';
export type { FleetCoordinatorEvents, RolloutOutcome } from './rollout/rolloutEvents.js';

// Status: what `baton-fleet status` prints
export { readFleetStatus } from './cli/fleetStatus.js';
export { formatFleetStatus } from './cli/formatStatus.js';
export type { FleetStatus, FleetStatusOptions, RolloutProgress } from './cli/fleetStatus.js';
