import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { CommandRow, CommandState, RolloutRow, RolloutStatus } from '../store/rows.js';
import { foldRollout, initialRolloutState, rolloutReducer } from './rolloutState.js';
import type { RolloutEvent, RolloutState } from './rolloutState.js';

const at = (n: number): Date => new Date(Date.UTC(2026, 0, 1) + n * 1000);

function rolloutRow(state: RolloutStatus, plan: string[][], n: number): RolloutRow {
  return {
    id: '7',
    plugin: 'engine',
    action: 'reload',
    fromVersion: '1.0.0',
    toVersion: '2.0.0',
    fromArtifact: { version: '1.0.0' },
    artifact: { version: '2.0.0' },
    policy: { gateWaitMs: 10 },
    plan,
    state,
    phase: state,
    haltedReason: state === 'running' ? null : { type: 'memberLost', member: 'm0', state },
    createdAt: at(0),
    updatedAt: at(n),
  };
}

function commandRow(id: number, member: string, seq: number, state: CommandState, n: number): CommandRow {
  return {
    id: String(id),
    rolloutId: '7',
    memberId: member,
    seq,
    action: seq === 1 ? 'reload' : 'rollback',
    artifact: { version: seq === 1 ? '2.0.0' : '1.0.0' },
    state,
    issuedAt: at(0),
    startedAt: state === 'pending' ? null : at(n),
    endedAt: ['pending', 'running'].includes(state) ? null : at(n),
    result: null,
  };
}

const ending = fc.constantFrom<CommandState>('done', 'failed', 'lost', 'cancelled');
/** The images one command's row goes through: a prefix of pending → running → an end (or straight to an end). */
const commandHistory = fc
  .tuple(fc.integer({ min: 1, max: 3 }), ending, fc.boolean())
  .map(([length, end, skipRunning]) => {
    const path: CommandState[] = skipRunning ? ['pending', end] : ['pending', 'running', end];
    return path.slice(0, Math.min(length, path.length));
  });

const scenario = fc
  .record({
    members: fc.integer({ min: 1, max: 5 }),
    rollout: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom<RolloutStatus>('done', 'halted')),
    forward: fc.array(commandHistory, { minLength: 5, maxLength: 5 }),
    rollback: fc.array(fc.option(commandHistory, { nil: undefined }), { minLength: 5, maxLength: 5 }),
  })
  .map(({ members, rollout: [length, end], forward, rollback }) => {
    const ids = Array.from({ length: members }, (_, i) => `m${i}`);
    const plan = [ids.slice(0, 1), ...(ids.length > 1 ? [ids.slice(1)] : [])];
    const fullPath: RolloutStatus[] = end === 'halted' ? ['running', 'halting', end] : ['running', end];
    const rolloutPath = fullPath.slice(0, length);
    const histories: RolloutEvent[][] = [rolloutPath.map((s, n) => ({ type: 'rollout', row: rolloutRow(s, plan, n) }))];
    let id = 0;
    ids.forEach((member, i) => {
      for (const [seq, history] of [[1, forward[i]!] as const, [2, rollback[i]] as const]) {
        if (history === undefined) continue;
        id += 1;
        const commandId = id;
        histories.push(history.map((s, n) => ({ type: 'command', row: commandRow(commandId, member, seq, s, n) })));
      }
    });
    return { plan, histories };
  });

function normal(state: RolloutState): unknown {
  return { ...state, commands: [...state.commands.entries()].sort(([a], [b]) => Number(a) - Number(b)) };
}

it('folding the final rows gives the state built from every image, in any order and with repeats', () => {
  fc.assert(
    fc.property(
      scenario.chain(({ plan, histories }) =>
        fc.record({
          plan: fc.constant(plan),
          histories: fc.constant(histories),
          // every image, any order, some delivered twice (a re-read after a notification)
          seen: fc.shuffledSubarray(histories.flat(), { minLength: 0 }).chain((extra) =>
            fc.shuffledSubarray([...histories.flat(), ...extra], {
              minLength: histories.flat().length + extra.length,
            }),
          ),
        }),
      ),
      ({ plan, histories, seen }) => {
        const created = rolloutRow('running', plan, 0);
        const live = seen.reduce(rolloutReducer, initialRolloutState(created));
        const finals = histories.map((h) => h.at(-1)!);
        const finalRollout = finals[0]!.row as RolloutRow;
        const commands = finals.slice(1).map((e) => e.row as CommandRow);
        const folded = foldRollout(finalRollout, commands);
        expect(normal(live)).toEqual(normal(folded));
        // and the fold does not depend on the order of the rows either
        expect(normal(foldRollout(finalRollout, commands.toReversed()))).toEqual(normal(folded));
      },
    ),
    { numRuns: 300 },
  );
});

it('ignores images of other rollouts and images behind the one it knows', () => {
  const plan = [['m0']];
  const state = initialRolloutState(rolloutRow('halting', plan, 1));
  const other: CommandRow = { ...commandRow(1, 'm0', 1, 'pending', 0), rolloutId: '8' };
  expect(rolloutReducer(state, { type: 'command', row: other })).toBe(state);
  expect(rolloutReducer(state, { type: 'rollout', row: rolloutRow('running', plan, 0) })).toBe(state);
  const done = rolloutReducer(state, { type: 'command', row: commandRow(1, 'm0', 1, 'done', 2) });
  expect(rolloutReducer(done, { type: 'command', row: commandRow(1, 'm0', 1, 'running', 1) })).toBe(done);
});
