import type { CountingQueryable } from '../store/queryable.js';
import type { CommandRow, MemberFigures, RolloutRow } from '../store/rows.js';
import type { FleetEvents } from '../store/fleetEvents.js';
import type { FleetNames } from '../store/schemaName.js';
import { evaluateGate, readMemberFigures, requestReports } from './healthGate.js';
import type { GateReading } from './healthGate.js';
import { nextMove, summary } from './nextMove.js';
import type { HaltReason, RolloutMove } from './nextMove.js';
import type { FleetCoordinatorEvents, RolloutOutcome } from './rolloutEvents.js';
import { FORWARD_SEQ, commandOf, initialRolloutState, rolloutReducer } from './rolloutState.js';
import type { RolloutState } from './rolloutState.js';
import { endCommands, finishRollout, issueCommands, observeRollout, setHalting } from './rolloutStore.js';
import { sleep } from './wakeup.js';
import type { Wakeup } from './wakeup.js';

/** What a runner needs from its coordinator. */
export interface RunnerContext {
  /** The coordinator's session, counted for this rollout alone. */
  readonly client: CountingQueryable;
  readonly names: FleetNames;
  readonly events: FleetEvents<FleetCoordinatorEvents>;
  /** Milliseconds between polls while waiting (the fallback of notifications). */
  readonly pollMs: number;
  /** Notified when a command of this rollout changes. */
  readonly wakeup: Wakeup;
  readonly signal: AbortSignal;
}

/**
 * Runs one rollout to its end from its rows: folds them into state, then asks {@link nextMove} what
 * to do, does it (each write is a row before it is an action), folds what it wrote or read back in,
 * and asks again, until the rollout is `done` or `halted`.
 */
export class RolloutRunner {
  readonly #ctx: RunnerContext;
  readonly #resumed: boolean;
  #state: RolloutState;
  #live: ReadonlySet<string> = new Set();
  #now = '';
  readonly #gatesPassed = new Set<number>();
  /** Each planned member's figures when this runner started: the baseline of the members not moved yet. */
  #baseline: ReadonlyMap<string, MemberFigures> = new Map();
  readonly #firstSeen = new Map<string, number>();
  readonly #stepsAnnounced = new Set<number>();
  #step: { readonly number: number; readonly at: number; readonly count: number } | undefined;
  #reason: HaltReason | undefined;
  readonly #started = performance.now();

  /** The runner of the rollout `row`: its commands are folded in by the first read of the rows, in {@link run}. */
  constructor(row: RolloutRow, resumed: boolean, ctx: RunnerContext) {
    this.#ctx = ctx;
    this.#resumed = resumed;
    this.#state = initialRolloutState(row);
    this.#reason = (row.haltedReason ?? undefined) as HaltReason | undefined;
  }

  /** The rollout's state as this runner knows it. */
  get state(): RolloutState {
    return this.#state;
  }

  /** Runs to the end; rejects (leaving the rollout active, to resume) when aborted or PostgreSQL fails. */
  async run(): Promise<RolloutOutcome> {
    const s = this.#state;
    this.#ctx.events.emit('started', {
      rolloutId: s.id,
      plugin: s.plugin,
      fromVersion: s.fromVersion,
      toVersion: s.toVersion,
      plan: s.plan,
      resumed: this.#resumed,
    });
    await this.#observe();
    const planned = s.plan.flat();
    this.#baseline = new Map(
      (await readMemberFigures(this.#ctx.client, this.#ctx.names, planned, '-infinity', s.policy.staleAfterMs)).map(
        (r) => [r.member, r.figures],
      ),
    );
    for (;;) {
      this.#ctx.signal.throwIfAborted();
      const move = nextMove(this.#state, {
        live: this.#live,
        gatesPassed: this.#gatesPassed,
        expired: this.#expired(),
      });
      if (move.type === 'finished') return this.#outcome();
      await this.#carryOut(move);
    }
  }

  async #carryOut(move: Exclude<RolloutMove, { type: 'finished' }>): Promise<void> {
    const { client, names } = this.#ctx;
    const s = this.#state;
    switch (move.type) {
      case 'issue': {
        if (move.step !== undefined) this.#announce(move.step, false);
        const phase = move.step === undefined ? 'rolling back' : `step ${move.step}/${s.plan.length}`;
        const rows = await issueCommands(client, names, s.id, move.commands, phase);
        this.#apply(rows);
        if (rows.length < move.commands.length) await this.#observe();
        return;
      }
      case 'wait': {
        if (move.step !== undefined) this.#announce(move.step, true);
        const until = Math.min(...move.commands.map((c) => this.#deadline(c)));
        await this.#ctx.wakeup.wait(
          Math.max(1, Math.min(this.#ctx.pollMs, until - performance.now())),
          this.#ctx.signal,
        );
        await this.#observe();
        return;
      }
      case 'end': {
        this.#apply(
          await endCommands(
            client,
            names,
            move.commands.map((c) => c.id),
            move.state,
            move.reason,
          ),
        );
        await this.#observe();
        return;
      }
      case 'gate':
        this.#announce(move.step, true);
        await this.#gate(move.step, move.members);
        return;
      case 'halt':
        await this.#halt(move.reason);
        return;
      case 'finish': {
        const row = await finishRollout(client, names, s.id, move.status, move.summary);
        if (row !== undefined) this.#state = rolloutReducer(this.#state, { type: 'rollout', row });
        if (move.status === 'halted')
          this.#ctx.events.emit('rolledBack', {
            rolloutId: s.id,
            plugin: s.plugin,
            reason: this.#reason,
            summary: move.summary,
          });
        else this.#ctx.events.emit('done', this.#outcome());
        return;
      }
    }
  }

  async #halt(reason: HaltReason): Promise<void> {
    const s = this.#state;
    const row = await setHalting(this.#ctx.client, this.#ctx.names, s.id, reason);
    if (row !== undefined) this.#state = rolloutReducer(this.#state, { type: 'rollout', row });
    this.#reason = reason;
    this.#ctx.events.emit('halted', { rolloutId: s.id, plugin: s.plugin, reason });
  }

  /**
   * The health gate after `step`: waits `gateWaitMs`, asks the upgraded members (and, when failed
   * calls have a limit, the live members not moved yet) for their figures
   * and reads those sent after the request (waiting for them up to `staleAfterMs`: a member that
   * sends none is lost), and halts on a violated limit.
   */
  async #gate(step: number, members: readonly string[]): Promise<void> {
    const { client, names, signal, events, wakeup } = this.#ctx;
    const { policy, id } = this.#state;
    const start = performance.now();
    await sleep(policy.gateWaitMs, signal);
    // The live members not moved yet are asked too: their failed calls since this runner started
    // count (a new version can break the members still on the old one while looking healthy itself).
    const waiting =
      policy.limits.failedCalls === undefined
        ? []
        : this.#state.plan.flat().filter((m) => !members.includes(m) && this.#live.has(m) && !this.#moved(m));
    const everyone = [...members, ...waiting];
    const since = everyone.length === 0 ? this.#now : await requestReports(client, names, id, everyone);
    const asked = performance.now();
    let readings = await readMemberFigures(client, names, everyone, since, policy.staleAfterMs);
    while (readings.some((r) => r.live && !r.fresh) && performance.now() - asked < policy.staleAfterMs) {
      await wakeup.wait(Math.min(this.#ctx.pollMs, policy.staleAfterMs), signal);
      readings = await readMemberFigures(client, names, everyone, since, policy.staleAfterMs);
    }
    const lost = everyone.filter((m) => !readings.some((r) => r.member === m && r.live && r.fresh));
    if (lost.length > 0) {
      this.#live = new Set([...this.#live].filter((m) => !lost.includes(m)));
      return; // the next move halts, or goes on without them
    }
    const judged: GateReading[] = readings
      .filter((r) => members.includes(r.member))
      .map((r) => ({ member: r.member, figures: r.figures, before: this.#before(r.member) }));
    const bystanders: GateReading[] = readings
      .filter((r) => waiting.includes(r.member))
      .map((r) => ({ member: r.member, figures: r.figures, before: this.#baseline.get(r.member) }));
    const violations = evaluateGate(judged, policy.limits, bystanders);
    const passed = violations.length === 0;
    events.emit('gate', { rolloutId: id, step, passed, readings: judged, violations });
    if (!passed) {
      await this.#halt({ type: 'gateFailed', step, violations });
      return;
    }
    this.#gatesPassed.add(step);
    const started = this.#step?.number === step ? this.#step : { number: step, at: start, count: client.count };
    events.emit('stepDone', {
      rolloutId: id,
      step,
      steps: this.#state.plan.length,
      members: this.#state.plan[step - 1] ?? [],
      ms: performance.now() - started.at,
      roundTrips: client.count - started.count,
    });
  }

  /** Whether `member`'s forward command of this rollout was issued (it is, or was, on the new version). */
  #moved(member: string): boolean {
    return commandOf(this.#state, member, FORWARD_SEQ) !== undefined;
  }

  #before(member: string): MemberFigures | undefined {
    const result = commandOf(this.#state, member, FORWARD_SEQ)?.result;
    return result?.outcome === 'done' || result?.outcome === 'failed' ? result.before : undefined;
  }

  /** Emits `stepStarted` once per step and run; counts the step's round trips from here. */
  #announce(step: number, resumed: boolean): void {
    if (this.#stepsAnnounced.has(step)) return;
    this.#stepsAnnounced.add(step);
    this.#step = { number: step, at: performance.now(), count: this.#ctx.client.count };
    const s = this.#state;
    this.#ctx.events.emit('stepStarted', {
      rolloutId: s.id,
      step,
      steps: s.plan.length,
      members: s.plan[step - 1] ?? [],
      resumed,
    });
  }

  async #observe(): Promise<void> {
    const s = this.#state;
    const seen = await observeRollout(this.#ctx.client, this.#ctx.names, s.id, s.plan.flat(), s.policy.staleAfterMs);
    this.#apply(seen.commands);
    this.#live = seen.live;
    this.#now = seen.now;
  }

  #apply(rows: readonly CommandRow[]): void {
    for (const row of rows) this.#state = rolloutReducer(this.#state, { type: 'command', row });
  }

  #deadline(command: CommandRow): number {
    let first = this.#firstSeen.get(command.id);
    if (first === undefined) this.#firstSeen.set(command.id, (first = performance.now()));
    return first + this.#state.policy.stepTimeoutMs;
  }

  #expired(): ReadonlySet<string> {
    const now = performance.now();
    const expired = new Set<string>();
    for (const command of this.#state.commands.values()) {
      const open = command.state === 'pending' || command.state === 'running';
      if (open && this.#deadline(command) <= now) expired.add(command.id);
    }
    return expired;
  }

  #outcome(): RolloutOutcome {
    const s = this.#state;
    return {
      rolloutId: s.id,
      plugin: s.plugin,
      fromVersion: s.fromVersion,
      toVersion: s.toVersion,
      status: s.status === 'halted' ? 'halted' : 'done',
      reason: s.status === 'halted' ? this.#reason : undefined,
      summary: summary(s),
      steps: s.plan.length,
      resumed: this.#resumed,
      ms: performance.now() - this.#started,
      roundTrips: this.#ctx.client.count,
    };
  }
}
