import { fleetError } from './fleetErrors.js';
import type {
  ArtifactRef,
  CommandAction,
  CommandResult,
  CommandRow,
  CommandState,
  MemberFigures,
  MemberRow,
  RolloutRow,
  RolloutStatus,
} from './rows.js';

type Raw = Readonly<Record<string, unknown>>;

const COMMAND_STATES: readonly CommandState[] = ['pending', 'running', 'done', 'failed', 'lost', 'cancelled'];
const ACTIONS: readonly CommandAction[] = ['reload', 'rollback', 'format'];
const ROLLOUT_STATES: readonly RolloutStatus[] = ['running', 'halting', 'done', 'halted'];

const PHASES = { members: 'members', commands: 'command', rollouts: 'resume' } as const;

function corrupt(table: keyof typeof PHASES, message: string): never {
  throw fleetError({ code: 'CORRUPT_INPUT', fleetPhase: PHASES[table], message: `a ${table} row ${message}` });
}

function text(raw: Raw, field: string, table: keyof typeof PHASES): string {
  const value = raw[field];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value); // ids through json_agg
  return corrupt(table, `has no text ${field}`);
}

function maybeText(raw: Raw, field: string, table: keyof typeof PHASES): string | null {
  return raw[field] === null || raw[field] === undefined ? null : text(raw, field, table);
}

function date(raw: Raw, field: string, table: keyof typeof PHASES): Date {
  const value = raw[field];
  const parsed = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (parsed === undefined || Number.isNaN(parsed.getTime())) return corrupt(table, `has no time ${field}`);
  return parsed;
}

function maybeDate(raw: Raw, field: string, table: keyof typeof PHASES): Date | null {
  return raw[field] === null || raw[field] === undefined ? null : date(raw, field, table);
}

function object(raw: Raw, field: string, table: keyof typeof PHASES): Raw {
  const value = raw[field];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return corrupt(table, `has no object ${field}`);
  return value as Raw;
}

function oneOf<T extends string>(raw: Raw, field: string, table: keyof typeof PHASES, values: readonly T[]): T {
  const value = raw[field];
  if (!values.includes(value as T)) return corrupt(table, `has an unknown ${field} ${JSON.stringify(value)}`);
  return value as T;
}

function artifact(raw: Raw, field: string, table: keyof typeof PHASES): ArtifactRef {
  const value = object(raw, field, table);
  if (typeof value['version'] !== 'string') return corrupt(table, `has an artifact without a version in ${field}`);
  return value as ArtifactRef;
}

/** Figures as stored; a missing or non-finite figure reads as 0. */
export function parseFigures(value: unknown): MemberFigures {
  const raw = typeof value === 'object' && value !== null ? (value as Raw) : {};
  const figure = (name: string): number => {
    const v = raw[name];
    return typeof v === 'number' && Number.isFinite(v) ? v : 0;
  };
  return {
    calls: figure('calls'),
    failedCalls: figure('failedCalls'),
    refusals: figure('refusals'),
    lastPauseMs: figure('lastPauseMs'),
    cdcLagMs: figure('cdcLagMs'),
  };
}

/** A `members` row from PostgreSQL (`SELECT *`), checked. `CORRUPT_INPUT` when a field is malformed. */
export function parseMemberRow(raw: Raw): MemberRow {
  const pid = raw['pid'];
  return {
    id: text(raw, 'id', 'members'),
    plugin: text(raw, 'plugin', 'members'),
    version: maybeText(raw, 'version', 'members'),
    pid: typeof pid === 'number' ? pid : null,
    host: maybeText(raw, 'host', 'members'),
    joinedAt: date(raw, 'joined_at', 'members'),
    heartbeatAt: date(raw, 'heartbeat_at', 'members'),
    leftAt: maybeDate(raw, 'left_at', 'members'),
    figures: parseFigures(raw['figures']),
  };
}

/** A `commands` row from PostgreSQL (`SELECT *` or `json_agg`), checked. */
export function parseCommandRow(raw: Raw): CommandRow {
  const seq = raw['seq'];
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return corrupt('commands', 'has no integer seq');
  const result = raw['result'];
  if (result !== null && result !== undefined && (typeof result !== 'object' || Array.isArray(result)))
    return corrupt('commands', 'has a result that is not an object');
  return {
    id: text(raw, 'id', 'commands'),
    rolloutId: text(raw, 'rollout_id', 'commands'),
    memberId: text(raw, 'member_id', 'commands'),
    seq,
    action: oneOf(raw, 'action', 'commands', ACTIONS),
    artifact: artifact(raw, 'artifact', 'commands'),
    state: oneOf(raw, 'state', 'commands', COMMAND_STATES),
    issuedAt: date(raw, 'issued_at', 'commands'),
    startedAt: maybeDate(raw, 'started_at', 'commands'),
    endedAt: maybeDate(raw, 'ended_at', 'commands'),
    result: (result ?? null) as CommandResult | null,
  };
}

/** A `rollouts` row from PostgreSQL, checked. */
export function parseRolloutRow(raw: Raw): RolloutRow {
  const plan = raw['plan'];
  if (!Array.isArray(plan) || !plan.every((step) => Array.isArray(step) && step.every((m) => typeof m === 'string')))
    return corrupt('rollouts', 'has a plan that is not a list of lists of member ids');
  const reason = raw['halted_reason'];
  return {
    id: text(raw, 'id', 'rollouts'),
    plugin: text(raw, 'plugin', 'rollouts'),
    action: oneOf(raw, 'action', 'rollouts', ['reload', 'format'] as const),
    fromVersion: text(raw, 'from_version', 'rollouts'),
    toVersion: text(raw, 'to_version', 'rollouts'),
    fromArtifact: artifact(raw, 'from_artifact', 'rollouts'),
    artifact: artifact(raw, 'artifact', 'rollouts'),
    policy: object(raw, 'policy', 'rollouts'),
    plan,
    state: oneOf(raw, 'state', 'rollouts', ROLLOUT_STATES),
    phase: text(raw, 'phase', 'rollouts'),
    haltedReason: reason === null || reason === undefined ? null : object(raw, 'halted_reason', 'rollouts'),
    createdAt: date(raw, 'created_at', 'rollouts'),
    updatedAt: date(raw, 'updated_at', 'rollouts'),
  };
}
