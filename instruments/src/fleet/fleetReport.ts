/**
 * The figures of a fleet trial's rollouts and its text report: per step the members, how long it
 * took, the coordinator's PostgreSQL round trips, each member's reload (load + reload, pause) and
 * the health gate's readings; per rollout its wall time against the sum of the single-process
 * reloads plus the configured gate waits; then the load, the CDC sink's audit, the CRDT values and
 * every check.
 */
import type { ChildLine } from './childProcess.js';
import type { CommandRun, ScenarioReport } from './fleetTrials.js';

/** One step of a rollout, as the coordinator and the members saw it. */
export interface StepFigures {
  readonly step: number;
  readonly members: readonly string[];
  /** Issue → gate passed (the coordinator's `stepDone`), and its round trips; undefined when it never passed. */
  readonly ms: number | undefined;
  readonly roundTrips: number | undefined;
  readonly gate: 'passed' | 'failed' | 'none';
  /** The members' runs of the step's commands. */
  readonly runs: readonly CommandRun[];
  /** Gate readings: member → failed calls added since its reload began, the pause, CDC lag. */
  readonly readings: readonly { member: string; failedCalls: number; pauseMs: number; cdcLagMs: number }[];
}

/** One rollout's figures. */
export interface RolloutFigures {
  readonly rolloutId: string;
  readonly action: string;
  readonly status: string;
  readonly fromVersion: string;
  readonly toVersion: string;
  readonly steps: readonly StepFigures[];
  /** The coordinator's call, verification and pre-flight included. */
  readonly wallMs: number;
  /** The coordinator's own count of the rollout's time and round trips (`RolloutOutcome`). */
  readonly runMs: number;
  readonly roundTrips: number;
  /** Σ of the forward commands' single-process reloads (load + reload, at each member). */
  readonly reloadsMs: number;
  /** The configured gate waits: steps whose gate ran × `gateWaitMs`. */
  readonly gateWaitsMs: number;
  /** wallMs / (reloadsMs + gateWaitsMs). */
  readonly ratio: number;
  readonly rolledBack: readonly string[];
  readonly reason: string | undefined;
}

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

/** The figures of every rollout a report's coordinators ran (resumed runs joined to the one they resumed). */
export function rolloutFigures(report: ScenarioReport): RolloutFigures[] {
  const gateWaitMs = report.policy.gateWaitMs ?? 0;
  const ids = [...new Set(report.outcomes.map((o) => String(o['rolloutId'])))];
  return ids.map((rolloutId) => {
    const of = (event: string): ChildLine[] =>
      report.rolloutLines.filter((l) => l.event === event && String(l['rolloutId']) === rolloutId);
    const outcomes = report.outcomes.filter((o) => String(o['rolloutId']) === rolloutId);
    const last = outcomes.at(-1)!;
    const started = of('rollout.started').at(-1);
    const plan = (started?.['plan'] as string[][] | undefined) ?? [];
    const commandIds = new Set(report.commands.filter((c) => c.rolloutId === rolloutId).map((c) => c.id));
    const runs = report.runs.filter((r) => commandIds.has(r.commandId));
    const forward = new Set(report.commands.filter((c) => c.rolloutId === rolloutId && c.seq === 1).map((c) => c.id));
    const steps = plan.map((members, i): StepFigures => {
      const step = i + 1;
      const done = of('rollout.stepDone').find((l) => num(l['step']) === step);
      const gate = of('rollout.gate').find((l) => num(l['step']) === step);
      const readings = (
        (gate?.['readings'] ?? []) as {
          member: string;
          figures: Record<string, number>;
          before?: Record<string, number>;
        }[]
      ).map((r) => ({
        member: r.member,
        failedCalls: num(r.figures['failedCalls']) - num(r.before?.['failedCalls']),
        pauseMs: num(r.figures['lastPauseMs']),
        cdcLagMs: num(r.figures['cdcLagMs']),
      }));
      return {
        step,
        members,
        ms: done === undefined ? undefined : num(done['ms']),
        roundTrips: done === undefined ? undefined : num(done['roundTrips']),
        gate: gate === undefined ? 'none' : gate['passed'] === true ? 'passed' : 'failed',
        runs: runs.filter((r) => forward.has(r.commandId) && members.includes(r.member)),
        readings,
      };
    });
    const gates = of('rollout.gate').length;
    const reloadsMs = runs.filter((r) => forward.has(r.commandId)).reduce((sum, r) => sum + (r.reloadMs ?? 0), 0);
    const wallMs = outcomes.reduce((sum, o) => sum + num(o['wallMs']), 0);
    const reason = last['reason'] as { type?: string; member?: string; step?: number } | undefined;
    return {
      rolloutId,
      action: String(outcomes[0]!['action']),
      status: String(last['status']),
      fromVersion: String(last['fromVersion']),
      toVersion: String(last['toVersion']),
      steps,
      wallMs,
      runMs: outcomes.reduce((sum, o) => sum + num(o['ms']), 0),
      roundTrips: outcomes.reduce((sum, o) => sum + num(o['roundTrips']), 0),
      reloadsMs,
      gateWaitsMs: gates * gateWaitMs,
      ratio: wallMs / (reloadsMs + gates * gateWaitMs),
      rolledBack: ((last['summary'] as { rolledBack?: string[] } | undefined)?.rolledBack ?? []).slice(),
      reason:
        reason === undefined
          ? undefined
          : `${reason.type ?? '?'}${reason.member === undefined ? '' : ` (${reason.member})`}${reason.step === undefined ? '' : ` at step ${reason.step}`}`,
    };
  });
}

const ms = (value: number | undefined): string => (value === undefined ? '—' : `${value.toFixed(0)} ms`);
const pad = (text: string, width: number): string => text.padEnd(width);

/** The text report of a trial (what `npm run fleet` prints at the end). */
export function fleetReportText(report: ScenarioReport): string {
  const out: string[] = [];
  const p = report.policy;
  out.push(
    `Policy: canary ${p.canary ?? 1}, then ${p.maxUnavailable ?? 1} at a time; gate wait ${p.gateWaitMs ?? 0} ms; ` +
      `a member is lost after ${p.staleAfterMs ?? 0} ms without a heartbeat (${p.onMemberLoss ?? 'halt'}); ` +
      `limits ${JSON.stringify(p.limits ?? {})}`,
  );
  for (const r of rolloutFigures(report)) {
    out.push(
      '',
      `Rollout ${r.rolloutId} (${r.action}) ${r.fromVersion} → ${r.toVersion}: ${r.status}${r.reason === undefined ? '' : ` — ${r.reason}`}`,
    );
    out.push(
      `  ${pad('step', 6)}${pad('members', 10)}${pad('step time', 11)}${pad('round trips', 13)}${pad('gate', 8)}reloads (load + reload / pause; gate: failed calls, CDC lag)`,
    );
    for (const s of r.steps) {
      const reloads = s.members
        .map((m) => {
          const run = s.runs.find((x) => x.member === m);
          const reading = s.readings.find((x) => x.member === m);
          const gate = reading === undefined ? '' : `; ${reading.failedCalls} failed, lag ${reading.cdcLagMs} ms`;
          return run === undefined
            ? `${m} —`
            : `${m} ${ms(run.reloadMs)} / ${ms(run.pauseMs)}${run.outcome === 'done' ? '' : ` ${run.outcome}`}${gate}`;
        })
        .join(', ');
      out.push(
        `  ${pad(String(s.step), 6)}${pad(s.members.join(','), 10)}${pad(ms(s.ms), 11)}${pad(s.roundTrips === undefined ? '—' : String(s.roundTrips), 13)}${pad(s.gate, 8)}${reloads}`,
      );
    }
    if (r.rolledBack.length > 0) out.push(`  rolled back: ${r.rolledBack.join(', ')}`);
    const trips = `${r.roundTrips} PostgreSQL round trips by the coordinator`;
    out.push(
      r.status === 'done'
        ? `  wall time ${ms(r.wallMs)} against Σ single-process reloads ${ms(r.reloadsMs)} + gate waits ${ms(r.gateWaitsMs)}: ` +
            `${r.ratio.toFixed(2)}×; ${trips} (${(r.roundTrips / Math.max(1, r.steps.length)).toFixed(1)} per step)`
        : `  wall time ${ms(r.wallMs)}, the rollback included; ${trips}`,
    );
  }
  const { end } = report;
  out.push(
    '',
    `Load: ${end.calls} calls to the plugin's function, ${end.failedCalls} failed`,
    `CDC: ${end.audit.changes} changes in ${end.audit.batches} batches at the sink; lost ${end.audit.lost.length}, ` +
      `duplicated ${end.audit.duplicated.length}, never committed ${end.audit.uncommitted.length}, split ${end.audit.splitBatches}; ` +
      `fenced writes ${end.fencedWrites}`,
    `CRDT: ${Object.entries(end.values)
      .map(([m, v]) => `${m} ${v}`)
      .join(', ')}; every published state merged: ${end.mergedValue}`,
    `Members at the end: ${Object.entries(report.versions)
      .map(([m, v]) => `${m} ${v}${end.members[m]?.alive === false ? ' (dead)' : ''}`)
      .join(', ')}`,
    '',
    report.failures.length === 0
      ? 'Every check passed.'
      : `${report.failures.length} check(s) failed:\n${report.failures.map((f) => `  - ${f}`).join('\n')}`,
  );
  return out.join('\n');
}
