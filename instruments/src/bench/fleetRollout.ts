/**
 * Goal 13: a fleet rollout's wall time against the work it coordinates — the sum of the
 * single-process reloads (each member loading, verifying and reloading the artifact, as an operator
 * reloading the five processes by hand would) plus the configured health-gate waits — and the
 * coordination overhead per step in PostgreSQL round trips. Runs the clean fleet trial (five member
 * processes under client load and CDC traffic, `instruments/src/fleet`) `rounds` times, one member
 * per step so nothing overlaps, and compares medians. Run it alone: `npm run bench -- --only 13`.
 */
import { rolloutFigures } from '../fleet/fleetReport.js';
import { AGENT_POLL_MS } from '../fleet/fleetSide.js';
import type { RolloutFigures } from '../fleet/fleetReport.js';
import { runScenario, TRIAL_POLICY } from '../fleet/fleetTrials.js';
import type { BenchPostgres } from './pgServer.js';
import type { BenchRow, GoalSection } from './results.js';
import { median } from './stats.js';

/** Options of {@link benchFleetRollout}. */
export interface FleetRolloutOptions {
  readonly rounds: number;
  /** The health gate's wait after each step (ms). */
  readonly gateWaitMs: number;
}

/** Medians of one kind of rollout over the rounds. */
function medians(runs: readonly RolloutFigures[]): {
  wall: number;
  baseline: number;
  reloads: number;
  gates: number;
  roundTripsPerStep: number;
  steps: number;
  before: number;
} {
  return {
    wall: median(runs.map((r) => r.wallMs)),
    baseline: median(runs.map((r) => r.reloadsMs + r.gateWaitsMs)),
    reloads: median(runs.map((r) => r.reloadsMs)),
    gates: median(runs.map((r) => r.gateWaitsMs)),
    roundTripsPerStep: median(runs.map((r) => r.roundTrips / Math.max(1, r.steps.length))),
    steps: median(runs.map((r) => r.steps.length)),
    // Before the first step: the coordinator's call to its runner's start (verification, pre-flight).
    before: median(runs.map((r) => r.wallMs - r.runMs)),
  };
}

/** Measures goal 13 (see the file's comment). */
export async function benchFleetRollout(
  postgres: BenchPostgres,
  options: FleetRolloutOptions,
): Promise<Omit<GoalSection, 'seconds'>> {
  const server = await postgres.server();
  const policy = { ...TRIAL_POLICY, maxUnavailable: 1, gateWaitMs: options.gateWaitMs };
  const reloads: RolloutFigures[] = [];
  const formats: RolloutFigures[] = [];
  const problems: string[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const report = await runScenario(server, 'clean', { seed: 13_000 + round, policy });
    problems.push(...report.failures.map((f) => `round ${round}: ${f}`));
    const figures = rolloutFigures(report);
    const reload = figures.find((f) => f.action === 'reload');
    const format = figures.find((f) => f.action === 'format');
    if (reload) reloads.push(reload);
    if (format) formats.push(format);
  }
  if (problems.length > 0 || reloads.length === 0)
    throw new Error(`goal 13: the fleet trial failed its checks: ${problems.slice(0, 5).join('; ')}`);
  const r = medians(reloads);
  const f = medians(formats);
  const label = `Σ ${r.steps} single-process reloads + ${r.steps} × ${options.gateWaitMs} ms gate waits`;
  const rows: BenchRow[] = [
    {
      name: `rollout of 5 processes, one per step (gate wait ${options.gateWaitMs} ms): wall time`,
      baton: r.wall,
      baseline: r.baseline,
      unit: 'ms',
      baselineLabel: label,
      ratio: r.wall / r.baseline,
      target: { on: 'ratio', cmp: '<=', value: 1.2 },
    },
    {
      name: 'the format switch (second step), rolled the same way: wall time',
      baton: f.wall,
      baseline: f.baseline,
      unit: 'ms',
      baselineLabel: `Σ single-process reloads + gate waits`,
      ratio: f.wall / f.baseline,
    },
    {
      name: 'coordination overhead per step: PostgreSQL round trips by the coordinator',
      baton: r.roundTripsPerStep,
      baseline: 1,
      unit: 'round trips',
      baselineLabel: 'one statement per step, the least a step could cost',
      ratio: r.roundTripsPerStep,
    },
  ];
  return {
    id: 13,
    title: 'Fleet rollout: wall time and coordination overhead',
    goal: 'Rollout wall time vs the sum of the single-process reloads plus configured gate waits: ≤ 1.2×; coordination overhead per step (PostgreSQL round trips) reported.',
    ratioOf: 'rollout wall time / (Σ single-process reloads + configured gate waits); round trips per step / 1',
    appliesTo:
      'the first row: the coordinator’s rollout (verification and pre-flight included) of five engine processes under load, one per step',
    rows,
    measuredAt: new Date().toISOString(),
    findings: [
      `Medians of ${options.rounds} run(s) of the clean fleet trial (five member processes, client load, CDC traffic into a fenced PostgreSQL sink, CRDT states exchanged; every check of the trial passed in each run). ` +
        `A single-process reload is what the member itself timed from loading the artifact (verify, evaluate the bundle) to the reload's commit: median sum ${r.reloads.toFixed(0)} ms over ${r.steps} steps, against ${r.gates.toFixed(0)} ms of configured gate waits.`,
      `The rest of the wall time (${(r.wall - r.baseline).toFixed(0)} ms) is coordination: ${r.before.toFixed(0)} ms before the first step (verifying both artifacts, and the formats' pre-flight: both versions' register() and the CRDT compat checks across formats), then about ${((r.wall - r.baseline - r.before) / Math.max(1, r.steps)).toFixed(0)} ms per step — issuing the command, the member's agent noticing it (LISTEN/NOTIFY; a ${AGENT_POLL_MS} ms poll is the fallback) and claiming it, recording its end, the coordinator noticing that, and the gate — after its wait — asking the upgraded members for fresh figures (a notification their agents answer with a heartbeat) and reading them.`,
      `The coordinator spent ${r.roundTripsPerStep.toFixed(1)} PostgreSQL round trips per step (its own connection, counted by countQueries): issuing the step's commands, reading them back as they end, and the gate's request for the members' figures and its reads of them. The agents' claims, records and heartbeats are on their own connections and are not in this count.`,
    ],
  };
}
