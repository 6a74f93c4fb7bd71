/**
 * The fleet trials: five members under client load and CDC traffic, one embedded PostgreSQL, and a
 * rollout of the `fleet-trial` plugin coordinated through it — clean; failing on process 3 (every
 * moved member rolled back); the coordinator SIGKILLed mid-rollout and another resuming it (no
 * command issued or run twice); a member SIGKILLed mid-reload (the rollout halts and rolls back); a
 * zombie CDC owner (frozen, its lease taken over, woken: its write fenced). Each ends with the
 * world's checks (`trialEnd.ts`) and its own.
 */
import type { PostgresServer } from '@baton/postgres';
import type { RolloutPolicy } from '@baton/fleet';
import type { ChildLine, TrialChild } from './childProcess.js';
import { FleetWorld } from './fleetWorld.js';
import type { FleetCommand } from './fleetWorld.js';
import type { MemberPlan } from './memberSwitch.js';
import type { TrialEnd } from './trialEnd.js';
import { figuresReach, runZombie } from './zombieTrial.js';
import type { ZombieReport } from './zombieTrial.js';

/** The trials. */
export const scenarioNames = ['clean', 'failing', 'coordinatorKilled', 'memberKilled', 'zombie'] as const;
/** One of the trials. */
export type ScenarioName = (typeof scenarioNames)[number];

/** What one trial saw. */
export interface ScenarioReport {
  readonly name: ScenarioName;
  readonly end: TrialEnd;
  /** The coordinators' `outcome` lines, in order (a rollout's end: status, ms, round trips, summary). */
  readonly outcomes: readonly ChildLine[];
  /** Every coordinator event line (`rollout.*`, `preflight`, `formatSwitched`). */
  readonly rolloutLines: readonly ChildLine[];
  readonly commands: readonly FleetCommand[];
  /** Every command a member ran, as the member timed it. */
  readonly runs: readonly CommandRun[];
  /** The policy the rollouts ran with. */
  readonly policy: Partial<RolloutPolicy>;
  /** Per member: the reloads it committed (`from→to`), in order. */
  readonly moves: Readonly<Record<string, readonly string[]>>;
  /** Per member: the version it served at the end (or when it died). */
  readonly versions: Readonly<Record<string, string>>;
  readonly zombie?: ZombieReport;
  /** Milliseconds of each part: making the world, starting the members, the warm-up, the trial itself, the end and its checks. */
  readonly phases: Readonly<Record<string, number>>;
  readonly wallMs: number;
  /** The world's failures and the trial's own. */
  readonly failures: readonly string[];
}

/** A command as the member that ran it timed it (its `commandEnded` line). */
export interface CommandRun {
  readonly member: string;
  readonly commandId: string;
  readonly action: string;
  readonly outcome: string;
  /** Claimed → ended (recorded), at the member. */
  readonly ms: number;
  /** Loading the artifact (verify, evaluate) → the reload's commit or rollback: the reload by hand. */
  readonly reloadMs: number | undefined;
  /** The reload's own timings (the host's), when it ran one. */
  readonly totalMs: number | undefined;
  readonly pauseMs: number | undefined;
}

/** Options of {@link runScenario}. */
export interface ScenarioOptions {
  readonly seed?: number;
  /** Hears every line of every child (a progress view). */
  readonly onLine?: (who: string, line: ChildLine) => void;
  /** Changes to the trials' policy. */
  readonly policy?: Partial<RolloutPolicy>;
  /** Test only: members whose plugin ignores the fleet's format phases (the checks must catch it). */
  readonly brokenFormats?: boolean;
}

/** The trials' rollout policy: a canary, then two members at a time; short gates; a lost member halts. */
export const TRIAL_POLICY: Partial<RolloutPolicy> = {
  canary: 1,
  maxUnavailable: 2,
  gateWaitMs: 300,
  staleAfterMs: 3000,
  stepTimeoutMs: 20_000,
  onMemberLoss: 'halt',
  limits: { failedCalls: 0, refusals: 0 },
};

/** Waits for a coordinator's `finished` (or `failed`: a trial failure). */
async function coordinatorDone(coordinator: TrialChild, timeoutMs = 60_000): Promise<void> {
  const end = await coordinator.waitFor((l) => l.event === 'finished' || l.event === 'failed', timeoutMs);
  if (end?.event !== 'finished')
    throw new Error(
      `${coordinator.name} did not finish: ${JSON.stringify(end ?? coordinator.lines.at(-1))} ${coordinator.stderr}`,
    );
  await coordinator.exited;
}

/** Waits until the CDC owner has written `batches` (so the load is on before anything moves). */
async function warmUp(world: FleetWorld, batches: number): Promise<void> {
  const owner = world.cdcOwner();
  if (owner === undefined) throw new Error('no member owns the CDC stream');
  await figuresReach(owner, ['cdc', 'written'], batches, 20_000);
}

const expectSame = (failures: string[], what: string, actual: unknown, expected: unknown): void => {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    failures.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
};

/** Runs one trial on `server` (a world of its own: databases, slot, members, coordinators). */
export async function runScenario(
  server: PostgresServer,
  name: ScenarioName,
  options: ScenarioOptions = {},
): Promise<ScenarioReport> {
  const began = performance.now();
  const phases: Record<string, number> = {};
  let since = began;
  const phase = (label: string): void => {
    const now = performance.now();
    phases[label] = Math.round(now - since);
    since = now;
  };
  const policy = { ...TRIAL_POLICY, ...options.policy };
  const world = await FleetWorld.open({
    server,
    name: name.toLowerCase(),
    seed: options.seed ?? 20261205,
    brokenFormats: options.brokenFormats ?? false,
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
  });
  const coordinators: TrialChild[] = [];
  try {
    const spawnCoordinator = (label: string): TrialChild => {
      const child = world.spawnCoordinator(label);
      coordinators.push(child);
      return child;
    };
    const first = name === 'zombie' ? undefined : spawnCoordinator('coordinator');
    const second = name === 'coordinatorKilled' ? spawnCoordinator('coordinator-2') : undefined;
    const plans: Record<string, MemberPlan> =
      name === 'memberKilled' ? { m4: { point: 'quiesced', skip: 0, action: 'kill' } } : {};
    phase('open');
    await world.startMembers(5, plans);
    phase('members');
    await warmUp(world, 10);
    phase('warmUp');
    const failures: string[] = [];
    let zombie: ZombieReport | undefined;
    await first?.expect('ready', 60_000);
    switch (name) {
      case 'clean':
      case 'failing':
      case 'memberKilled':
        world.orderRollout(first!, {
          from: '1.0.0',
          to: name === 'failing' ? '2.1.0' : '2.0.0',
          policy,
          resume: false,
          switchFormats: true,
        });
        await coordinatorDone(first!);
        if (name === 'memberKilled') failures.push(...(await restartKilled(world, 'm4')));
        break;
      case 'coordinatorKilled': {
        world.orderRollout(first!, { from: '1.0.0', to: '2.0.0', policy, resume: false, switchFormats: true });
        // Mid-rollout: a member of step 2 claimed its command (it is reloading); the coordinator dies.
        const claimed = await Promise.race(['m2', 'm3'].map((id) => world.members.get(id)!.first('command', 30_000)));
        if (!claimed) throw new Error('no member of step 2 claimed its command');
        await first!.kill();
        await second!.expect('ready', 60_000);
        world.orderRollout(second!, { from: '1.0.0', to: '2.0.0', policy, resume: true, switchFormats: true });
        await coordinatorDone(second!);
        break;
      }
      case 'zombie':
        zombie = await runZombie(world);
        break;
    }
    phase('trial');
    const end = await world.finish();
    phase('finish');
    failures.push(...end.failures);
    const commands = await world.commands();
    const moves: Record<string, string[]> = {};
    const versions: Record<string, string> = {};
    for (const [id, child] of world.members) {
      moves[id] = child.lines.filter((l) => l.event === 'reload.committed').map((l) => String(l['move']));
      versions[id] = end.members[id]?.version ?? '?';
    }
    const outcomes = coordinators.flatMap((c) => c.lines.filter((l) => l.event === 'outcome'));
    const rolloutLines = coordinators.flatMap((c) =>
      c.lines.filter((l) => l.event.startsWith('rollout.') || l.event === 'preflight' || l.event === 'formatSwitched'),
    );
    const runs: CommandRun[] = [...world.members].flatMap(([member, child]) =>
      child.lines
        .filter((l) => l.event === 'commandEnded')
        .map((l) => ({
          member,
          commandId: String(l['id']),
          action: String(l['action']),
          outcome: String(l['outcome']),
          ms: Number(l['ms']),
          reloadMs: typeof l['reloadMs'] === 'number' ? l['reloadMs'] : undefined,
          totalMs: typeof l['totalMs'] === 'number' ? l['totalMs'] : undefined,
          pauseMs: typeof l['pauseMs'] === 'number' ? l['pauseMs'] : undefined,
        })),
    );
    const report = {
      name,
      end,
      outcomes,
      rolloutLines,
      commands,
      runs,
      policy,
      moves,
      versions,
      failures,
    };
    failures.push(...scenarioChecks(report, world));
    return { ...report, ...(zombie === undefined ? {} : { zombie }), phases, wallMs: performance.now() - began };
  } finally {
    await Promise.all(coordinators.map((c) => c.kill()));
    await world.close();
  }
}

/**
 * The member killed mid-reload comes back, as its supervisor would restart it: a new process with the
 * same member id, on the version the fleet runs again (its agent marks what it left running lost and
 * runs what is pending for it — the rollback issued while it was dead — which finds nothing to do).
 * Its clients' figures until the kill count too.
 */
async function restartKilled(world: FleetWorld, id: string): Promise<string[]> {
  const failures: string[] = [];
  const dead = world.members.get(id)!;
  const exit = await dead.exited;
  if (exit.signal !== 'SIGKILL' || dead.last('kill') === undefined)
    failures.push(`${id} was not SIGKILLed at its planned point (it ended with ${exit.code ?? exit.signal})`);
  const last = dead.last('figures') as { failedCalls?: number; firstError?: string } | undefined;
  if ((last?.failedCalls ?? 0) > 0)
    failures.push(`${id} (killed): ${last?.failedCalls} failed calls before the kill (${last?.firstError ?? '?'})`);
  const back = world.spawnMember(id, { cdc: true });
  await back.expect('joined', 60_000);
  return failures;
}

const everyMember = ['m1', 'm2', 'm3', 'm4', 'm5'];

/** What each trial must show besides the world's checks. */
function scenarioChecks(
  report: Pick<ScenarioReport, 'name' | 'outcomes' | 'commands' | 'moves' | 'versions' | 'end'>,
  world: FleetWorld,
): string[] {
  const failures: string[] = [];
  const { outcomes, commands, moves, versions } = report;
  const statuses = outcomes.map((o) => `${String(o['action'])}:${String(o['status'])}`);
  const twice = commands.filter(
    (c, i) => commands.findIndex((d) => d.rolloutId === c.rolloutId && d.member === c.member && d.seq === c.seq) !== i,
  );
  if (twice.length > 0) failures.push(`commands issued twice: ${JSON.stringify(twice)}`);
  /** The reload rollout halted for `type` on `member`, and every member is back on 1.0.0. */
  const halted = (type: string, member: string): void => {
    expectSame(failures, 'outcomes', statuses, ['reload:halted']);
    const reason = outcomes[0]?.['reason'] as { type?: string; member?: string } | undefined;
    expectSame(failures, 'halt reason', [reason?.type, reason?.member], [type, member]);
    for (const id of everyMember) expectSame(failures, `${id}'s version`, versions[id], '1.0.0');
  };
  switch (report.name) {
    case 'clean':
      expectSame(failures, 'outcomes', statuses, ['reload:done', 'format:done']);
      for (const id of everyMember) {
        expectSame(failures, `${id}'s version`, versions[id], '2.0.0');
        expectSame(failures, `${id}'s reloads`, moves[id], ['1.0.0→2.0.0', '2.0.0→2.0.0']);
      }
      break;
    case 'failing': {
      halted('commandFailed', 'm3');
      const moved = everyMember.filter((id) => (moves[id] ?? []).includes('1.0.0→2.1.0'));
      if (moved.length === 0) failures.push('no member moved to 2.1.0 before the failure');
      for (const id of moved) expectSame(failures, `${id}'s reloads`, moves[id], ['1.0.0→2.1.0', '2.1.0→1.0.0']);
      const refused = world.members.get('m3')!.lines.filter((l) => l.event === 'reload.rolledBack');
      if (refused.length !== 1) failures.push(`m3 refused ${refused.length} reloads, expected 1`);
      break;
    }
    case 'coordinatorKilled': {
      expectSame(failures, 'outcomes', statuses, ['resume:done', 'format:done']);
      const reload = commands.filter((c) => c.rolloutAction === 'reload');
      for (const id of everyMember) {
        const mine = reload.filter((c) => c.member === id);
        expectSame(
          failures,
          `${id}'s commands of the reload rollout`,
          mine.map((c) => `${c.action}:${c.state}`),
          ['reload:done'],
        );
        expectSame(failures, `${id}'s reloads`, moves[id], ['1.0.0→2.0.0', '2.0.0→2.0.0']);
      }
      break;
    }
    case 'memberKilled': {
      // Back after its restart: the whole fleet on 1.0.0, m4's reload never run again.
      halted('memberLost', 'm4');
      const m4 = commands.filter((c) => c.member === 'm4' && c.action === 'reload');
      expectSame(
        failures,
        "m4's reload commands",
        m4.map((c) => c.state),
        ['lost'],
      );
      break;
    }
    case 'zombie':
      if (report.end.fencedWrites < 1) failures.push('the zombie wrote nothing that was fenced');
      break;
  }
  return failures;
}
