import { parseLsn, postgresServer } from '@baton/postgres';
import pg from 'pg';
import { EngineProcess } from './engineProcess.js';
import type { EngineLine } from './engineProcess.js';
import type { EngineTarget } from './engineOrders.js';
import { formatKill, formatPlan, killPlan } from './killPoints.js';
import type { KillPlan, KillPoint } from './killPoints.js';
import { watchRelease } from './releaseWatch.js';
import type { Release } from './releaseWatch.js';
import { checkEnd, checkHandover } from './trialChecks.js';
import type { SinkAudit } from './sinkAudit.js';
import { startWriters, sourceTablesSql } from './writers.js';

/** Options of {@link runPgCrashTrial}. */
export interface PgCrashOptions {
  /** Kills (rounds before the final, unkilled engine); ignored when `plan` is given. */
  readonly rounds: number;
  readonly seed: number;
  /** Replays a printed plan instead of drawing one. */
  readonly plan?: readonly KillPlan[];
  /** Draw kill points only from these. */
  readonly points?: readonly KillPoint[];
  /** Writer clients (default 3) and their pause between transactions (0–400 ms by default). */
  readonly writers?: number;
  readonly pauseMs?: number;
  /** Test only: every engine confirms a batch to the slot before delivering it. */
  readonly broken?: boolean;
  /** Bounds: an engine must reach its kill point (default 30 s), the final engine drain everything (120 s). */
  readonly roundTimeoutMs?: number;
  readonly drainTimeoutMs?: number;
  readonly onRound?: (line: string) => void;
}

/** What the trial did and found. */
export interface PgCrashReport {
  readonly plan: string;
  readonly kills: Readonly<Record<string, number>>;
  /** Kills that hung the engine first (connections open until the next engine was seen waiting). */
  readonly hangs: number;
  readonly transactions: number;
  readonly rolledBackChanges: number;
  readonly audit: SinkAudit;
  /** Batches written, and re-delivered batches the sink skipped, over every engine. */
  readonly written: number;
  readonly skipped: number;
  readonly reloads: number;
  /** Checks of the slot against the sink checkpoint (after every kill and at the end), and how many found it ahead. */
  readonly slotChecks: number;
  readonly slotAhead: number;
  /** Engines that found the slot still read by the dead engine, and engines the sink answered LOCKED. */
  readonly slotBusy: number;
  readonly sinkLocked: number;
  /** Worst times after a kill: PostgreSQL ending the dead engine's walsender (freeing the slot) and its sink sessions (freeing the writer lock). */
  readonly maxSlotReleaseMs: number;
  readonly maxSinkReleaseMs: number;
  /** Worst time the next engine took to hold the slot, and the sink, after it was told to go (kills without a hang). */
  readonly maxSlotAcquireMs: number;
  readonly maxSinkAcquireMs: number;
  /** After a hang: the worst time from killing the hung engine to the waiting engine holding both slot and sink. */
  readonly maxTakeoverAfterHangMs: number;
  readonly wallMs: number;
  readonly failures: readonly string[];
}

const MARKER = 'end-marker';
const num = (line: EngineLine | undefined, field: string): number => Number(line?.[field] ?? 0);
const describe = (line: EngineLine): string =>
  `${num(line, 'written')} batches written, ${num(line, 'skipped')} skipped, ${num(line, 'reloads')} reloads`;

/**
 * Crash trials of an engine pumping a PostgreSQL slot into a PostgreSQL sink through a Baton host
 * that reloads its plugin in a loop: writer clients commit transactions into an embedded PostgreSQL
 * while each engine SIGKILLs itself at its planned point (a reload phase, a handoff step or a point
 * of a delivery); the next engine (a warm standby, started at once) takes over the slot and the sink,
 * waiting out what the dead one still holds. After every kill the slot's confirmed position must not
 * be ahead of the sink's checkpoint, and the sink must hold nothing twice and nothing rolled back; at
 * the end an engine that is not killed drains everything, and every committed change must be at the
 * sink exactly once.
 */
export async function runPgCrashTrial(options: PgCrashOptions): Promise<PgCrashReport> {
  const began = performance.now();
  const plan = options.plan ?? killPlan(options.rounds, options.seed, options.points);
  const say = options.onRound ?? (() => undefined);
  say(`plan (seed ${options.seed}): ${formatPlan(plan)}`);
  const failures: string[] = [];
  const kills: Record<string, number> = {};
  const totals = {
    hangs: 0,
    written: 0,
    skipped: 0,
    reloads: 0,
    slotChecks: 0,
    slotAhead: 0,
    slotBusy: 0,
    sinkLocked: 0,
  };
  const worst = { slotRelease: 0, sinkRelease: 0, slotAcquire: 0, sinkAcquire: 0, afterHang: 0 };
  const engines: EngineProcess[] = [];
  const spawn = (): EngineProcess => {
    const engine = new EngineProcess();
    engines.push(engine);
    return engine;
  };
  const count = (line: EngineLine): void => {
    totals.written += num(line, 'written');
    totals.skipped += num(line, 'skipped');
    totals.reloads += num(line, 'reloads');
  };
  /** A reload that rolled back is a problem here: nothing in the trial makes one fail. */
  const rolledBack = (engine: EngineProcess, round: number): void => {
    for (const line of engine.lines)
      if (line.event === 'rolledBack')
        failures.push(`round ${round}: a reload rolled back: ${String(line['message'])}`);
  };
  const stopWriters = new AbortController();
  let engine = spawn(); // loads its modules while the server starts
  // fsync off: the trial kills the engine, never PostgreSQL or the machine, so what reaches disk is not
  // what it tests; without it every commit of the writers and the sink waits for this machine's disk.
  const server = await postgresServer({ postgresFlags: ['-c', 'fsync=off', '-c', 'full_page_writes=off'] }).catch(
    async (error: unknown) => {
      await engine.kill();
      throw error;
    },
  );
  const source = new pg.Client({ connectionString: server.url });
  let sinkClient: pg.Client | undefined;
  let writing: Promise<void> | undefined;
  try {
    await source.connect();
    await source.query(`${sourceTablesSql} CREATE PUBLICATION crash_pub FOR TABLE events, counters;`);
    const created = await source.query<{ lsn: string }>(
      `SELECT lsn::text AS lsn FROM pg_create_logical_replication_slot('crash', 'pgoutput')`,
    );
    const slotCreated = parseLsn(created.rows[0]!.lsn);
    const target: EngineTarget = {
      sourceUrl: server.url,
      sinkUrl: await server.createDatabase('sink'),
      slot: 'crash',
      publication: 'crash_pub',
      output: 'crash-sink',
    };
    sinkClient = new pg.Client({ connectionString: target.sinkUrl });
    await sinkClient.connect();
    const clients = { source, sink: sinkClient };
    const sinkOptions = { name: 'audit', url: target.sinkUrl, output: target.output };
    const writers = startWriters({
      url: server.url,
      writers: options.writers ?? 3,
      seed: options.seed,
      pauseMs: options.pauseMs ?? 400,
      signal: stopWriters.signal,
    });
    const { log } = writers;
    writing = writers.done;
    writing.catch(() => undefined);
    /** Sends an engine its orders; before the final one, the writers stop and the end marker is committed. */
    const launch = async (engine: EngineProcess, round: number): Promise<void> => {
      if (!(await engine.first('ready', 60_000)))
        throw new Error(`round ${round}: the engine did not start: ${engine.stderr}`);
      const final = round === plan.length;
      if (final) {
        stopWriters.abort();
        await writing;
        await source.query(`INSERT INTO events (id, writer, note) VALUES ($1, -1, 'end')`, [MARKER]);
      }
      engine.go({ target, plan: final ? null : plan[round]!, final, marker: MARKER, broken: options.broken ?? false });
    };
    await launch(engine, 0);
    let release: Promise<Release> | undefined;
    let hungUntil: number | undefined; // when the last engine, hung, was killed
    for (let round = 0; ; round++) {
      const final = round === plan.length;
      const acquired = await engine.first('acquired', 30_000);
      if (!acquired) throw new Error(`round ${round}: the engine took neither slot nor sink: ${engine.stderr}`);
      if (release) {
        const { slotMs, sinkMs } = await release;
        worst.slotRelease = Math.max(worst.slotRelease, slotMs);
        worst.sinkRelease = Math.max(worst.sinkRelease, sinkMs);
      }
      if (acquired['slotWasActive'] === true) totals.slotBusy++;
      if (num(acquired, 'sinkLocked') > 0) totals.sinkLocked++;
      if (hungUntil === undefined) {
        worst.slotAcquire = Math.max(worst.slotAcquire, num(acquired, 'slotMs'));
        worst.sinkAcquire = Math.max(worst.sinkAcquire, num(acquired, 'sinkMs'));
      } else worst.afterHang = Math.max(worst.afterHang, acquired.at - hungUntil);
      const after = round === 0 ? 'start' : formatKill(plan[round - 1]!);
      const found = await checkHandover({ source, sinkOptions, slot: 'crash', slotCreated, log });
      totals.slotChecks++;
      if (found.ahead) totals.slotAhead++;
      failures.push(...found.problems.map((problem) => `round ${round} (after ${after}): ${problem}`));
      if (final) {
        engine.pump();
        const drained = await engine.first('drained', options.drainTimeoutMs ?? 120_000);
        if (!drained)
          throw new Error(`the final engine did not drain: ${JSON.stringify(engine.lines.at(-1))} ${engine.stderr}`);
        count(drained);
        rolledBack(engine, round);
        say(`final engine drained (${describe(drained)}; ${Math.round(performance.now() - began)} ms)`);
        await engine.exited;
        break;
      }
      const standby = spawn(); // warms up while this engine runs
      engine.pump();
      const planned = plan[round]!;
      const died = await engine.first('kill', options.roundTimeoutMs ?? 30_000);
      if (died?.['point'] !== planned.point)
        throw new Error(
          `round ${round}: the engine did not reach ${formatKill(planned)}: ${JSON.stringify(engine.lines.at(-1))} ${engine.stderr}`,
        );
      if (planned.hang === true) {
        // The engine hangs with its connections open: the next one must find the slot busy and keep
        // waiting, and the sink LOCKED — except between the handoff's shutdown and start, when the hung
        // engine holds no writer — and it is killed once the next one was seen doing so.
        await launch(standby, round + 1);
        const busy = await standby.first('slotBusy', 20_000);
        const sink = await standby.first(['locked', 'sinkTaken'], 20_000);
        const expected = planned.point === 'handoff.shutdown' ? 'sinkTaken' : 'locked';
        if (!busy) failures.push(`round ${round}: the next engine did not find the hung engine's slot busy`);
        if (sink?.event !== expected)
          failures.push(
            `round ${round}: the next engine's sink start: expected ${expected}, got ${sink?.event ?? 'nothing'}`,
          );
        await engine.kill();
      }
      const exit = await engine.exited;
      if (exit.signal !== 'SIGKILL')
        throw new Error(`round ${round}: the engine exited with ${exit.code ?? exit.signal} instead of being killed`);
      kills[planned.point] = (kills[planned.point] ?? 0) + 1;
      if (planned.hang === true) totals.hangs++;
      count(died);
      rolledBack(engine, round);
      say(
        `round ${round}: killed at ${formatKill(planned)} (${describe(died)}; ${Math.round(performance.now() - began)} ms)`,
      );
      release = watchRelease(
        clients,
        { slot: 'crash', walsenderPid: found.walsenderPid, output: target.output, pid: engine.pid },
        exit.at,
      );
      release.catch(() => undefined);
      hungUntil = planned.hang === true ? exit.at : undefined;
      if (planned.hang !== true) await launch(standby, round + 1);
      engine = standby;
    }
    const { audit, problems } = await checkEnd({ source, sinkOptions, slot: 'crash', log, marker: MARKER });
    totals.slotChecks++;
    failures.push(...problems);
    return {
      plan: formatPlan(plan),
      kills,
      transactions: log.committed.length,
      rolledBackChanges: log.rolledBack.length,
      audit,
      ...totals,
      maxSlotReleaseMs: worst.slotRelease,
      maxSinkReleaseMs: worst.sinkRelease,
      maxSlotAcquireMs: worst.slotAcquire,
      maxSinkAcquireMs: worst.sinkAcquire,
      maxTakeoverAfterHangMs: worst.afterHang,
      wallMs: performance.now() - began,
      failures,
    };
  } finally {
    stopWriters.abort();
    await Promise.all(engines.map((engine) => engine.kill()));
    await writing?.catch(() => undefined);
    await sinkClient?.end().catch(() => undefined);
    await source.end().catch(() => undefined);
    await server.stop();
  }
}
