/**
 * The coordinator's decisions (nextMove over the reducer's state) against a model of the rows and
 * of the members' agents, with the coordinator crashing at arbitrary points (its memory is lost; a
 * new one folds the rows). No command is ever issued twice, the rollout ends, and it ends
 * consistent: done with every live member moved, or halted with every member it moved back. (That no
 * command runs twice is the claim's guarantee, tested against PostgreSQL in commandQueue.test.ts: the
 * model's agents claim only pending commands, so they could not run one twice here.)
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { CommandResult, CommandRow, CommandState, RolloutRow } from '../store/rows.js';
import { nextMove } from './nextMove.js';
import type { RolloutMove } from './nextMove.js';
import { planSteps, resolvePolicy } from './rolloutPolicy.js';
import { FORWARD_SEQ, ROLLBACK_SEQ, foldRollout, rolloutReducer } from './rolloutState.js';
import type { RolloutState } from './rolloutState.js';

type Tick =
  { kind: 'coordinator' } | { kind: 'crash' } | { kind: 'agent'; member: number } | { kind: 'die'; member: number };

const epoch = new Date(0);

class Model {
  rollout: RolloutRow;
  readonly commands = new Map<string, CommandRow>();
  readonly dead = new Set<string>();
  nextId = 1;
  // the coordinator's memory
  state: RolloutState;
  gatesPassed = new Set<number>();

  constructor(
    readonly members: readonly string[],
    readonly refuses: ReadonlySet<string>,
    readonly badGate: ReadonlySet<string>,
    onMemberLoss: 'halt' | 'continue',
    canary: number,
    maxUnavailable: number,
  ) {
    const policy = resolvePolicy({ canary, maxUnavailable, onMemberLoss });
    this.rollout = {
      id: '1',
      plugin: 'engine',
      action: 'reload',
      fromVersion: '1.0.0',
      toVersion: '2.0.0',
      fromArtifact: { version: '1.0.0' },
      artifact: { version: '2.0.0' },
      policy: { ...policy },
      plan: planSteps(members, policy),
      state: 'running',
      phase: 'step 1',
      haltedReason: null,
      createdAt: epoch,
      updatedAt: epoch,
    };
    this.state = foldRollout(this.rollout, []);
  }

  crash(): void {
    this.state = foldRollout(this.rollout, [...this.commands.values()]);
    this.gatesPassed = new Set();
  }

  live(): Set<string> {
    return new Set(this.members.filter((m) => !this.dead.has(m)));
  }

  /** One move of the coordinator; false once the rollout is finished. */
  coordinator(): boolean {
    const move = nextMove(this.state, { live: this.live(), gatesPassed: this.gatesPassed, expired: new Set() });
    this.carryOut(move);
    return move.type !== 'finished';
  }

  private write(row: CommandRow): void {
    this.commands.set(row.id, row);
    this.state = rolloutReducer(this.state, { type: 'command', row });
  }

  private carryOut(move: RolloutMove): void {
    switch (move.type) {
      case 'issue':
        for (const intent of move.commands) {
          const existing = [...this.commands.values()].find(
            (c) => c.memberId === intent.member && c.seq === intent.seq,
          );
          expect(existing, `command ${intent.member}/${intent.seq} issued twice`).toBeUndefined();
          const skipped = intent.skipped !== undefined;
          this.write({
            id: String(this.nextId++),
            rolloutId: '1',
            memberId: intent.member,
            seq: intent.seq,
            action: intent.action,
            artifact: intent.artifact,
            state: skipped ? 'lost' : 'pending',
            issuedAt: epoch,
            startedAt: null,
            endedAt: skipped ? epoch : null,
            result: skipped ? { outcome: 'lost', reason: intent.skipped } : null,
          });
        }
        return;
      case 'wait': // an observation: read every row and who is live
        for (const row of this.commands.values()) this.state = rolloutReducer(this.state, { type: 'command', row });
        return;
      case 'end':
        for (const c of move.commands) {
          const row = this.commands.get(c.id)!;
          const allowed: CommandState[] = move.state === 'cancelled' ? ['pending'] : ['pending', 'running'];
          if (allowed.includes(row.state))
            this.write({ ...row, state: move.state, result: { outcome: move.state, reason: move.reason } });
        }
        for (const row of this.commands.values()) this.state = rolloutReducer(this.state, { type: 'command', row });
        return;
      case 'gate':
        if (move.members.some((m) => this.badGate.has(m))) this.setRollout('halting', { type: 'gateFailed' });
        else this.gatesPassed.add(move.step);
        return;
      case 'halt':
        this.setRollout('halting', move.reason);
        return;
      case 'finish':
        this.setRollout(move.status, this.rollout.haltedReason);
        return;
      case 'finished':
        return;
    }
  }

  private setRollout(state: RolloutRow['state'], reason: unknown): void {
    const rank = { running: 0, halting: 1, done: 2, halted: 2 } as const;
    if (rank[state] <= rank[this.rollout.state]) return; // the guarded UPDATE changes nothing
    this.rollout = { ...this.rollout, state, haltedReason: reason as Record<string, unknown> | null };
    this.state = rolloutReducer(this.state, { type: 'rollout', row: this.rollout });
  }

  /** The member's agent moves its oldest open command one step. */
  agent(member: string): void {
    if (this.dead.has(member)) return;
    const mine = [...this.commands.values()].filter((c) => c.memberId === member);
    const running = mine.find((c) => c.state === 'running');
    if (running !== undefined) {
      const fails = running.action === 'reload' && this.refuses.has(member);
      const result: CommandResult = fails
        ? {
            outcome: 'failed',
            error: { code: 'REGISTRATION_FAILED', phase: 'stage', step: null, message: 'no', stillServing: '1.0.0' },
          }
        : { outcome: 'done', version: running.artifact.version };
      this.commands.set(running.id, { ...running, state: fails ? 'failed' : 'done', result });
      return;
    }
    const pending = mine.find((c) => c.state === 'pending');
    if (pending !== undefined) this.commands.set(pending.id, { ...pending, state: 'running' });
  }

  /** The version a member serves, from its commands' ends. */
  version(member: string): string {
    const ended = [...this.commands.values()].filter((c) => c.memberId === member && c.state === 'done');
    return ended.toSorted((a, b) => b.seq - a.seq)[0]?.artifact.version ?? '1.0.0';
  }
}

const tick: fc.Arbitrary<Tick> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'coordinator' } as const) },
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }).map((member) => ({ kind: 'agent', member }) as const) },
  { weight: 2, arbitrary: fc.constant({ kind: 'crash' } as const) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((member) => ({ kind: 'die', member }) as const) },
);

it('resumed at any point, a coordinator issues no command twice, and the rollout ends consistent', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 1, max: 3 }),
      fc.constantFrom('halt' as const, 'continue' as const),
      fc.subarray(['m0', 'm1', 'm2', 'm3', 'm4']),
      fc.subarray(['m0', 'm1', 'm2', 'm3', 'm4'], { maxLength: 1 }),
      fc.array(tick, { maxLength: 120 }),
      (count, canary, maxUnavailable, onMemberLoss, refuses, badGate, ticks) => {
        const members = ['m0', 'm1', 'm2', 'm3', 'm4'].slice(0, count);
        const model = new Model(members, new Set(refuses), new Set(badGate), onMemberLoss, canary, maxUnavailable);
        for (const t of ticks) {
          if (t.kind === 'coordinator') model.coordinator();
          else if (t.kind === 'crash') model.crash();
          else if (t.member < count && t.kind === 'agent') model.agent(members[t.member]!);
          else if (t.member < count && t.kind === 'die') model.dead.add(members[t.member]!);
        }
        // then every live agent and the coordinator take turns until the rollout ends
        let turns = 0;
        for (;;) {
          for (const m of members) model.agent(m);
          if (!model.coordinator()) break;
          expect((turns += 1), 'the rollout ends').toBeLessThan(200);
        }
        const live = members.filter((m) => !model.dead.has(m));
        const forward = (m: string) =>
          [...model.commands.values()].find((c) => c.memberId === m && c.seq === FORWARD_SEQ);
        const rollback = (m: string) =>
          [...model.commands.values()].find((c) => c.memberId === m && c.seq === ROLLBACK_SEQ);
        if (model.rollout.state === 'done') {
          for (const m of live) expect(model.version(m) === '2.0.0' || forward(m)?.state === 'lost').toBe(true);
          expect(refuses.filter((m) => live.includes(m) && forward(m)?.state === 'failed')).toEqual([]);
          for (const m of members) expect(rollback(m)).toBeUndefined();
        } else {
          expect(model.rollout.state).toBe('halted');
          for (const m of live) expect(model.version(m), `live member ${m} back on 1.0.0`).toBe('1.0.0');
          for (const c of model.commands.values())
            if (c.seq === FORWARD_SEQ) expect(['pending', 'running']).not.toContain(c.state);
        }
      },
    ),
    { numRuns: 400 },
  );
});
