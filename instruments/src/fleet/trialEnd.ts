/**
 * The end of a fleet trial and its checks: the CDC owner delivers the end marker; every live member
 * stops its clients and publishes its final CRDT state, then merges everyone's and reports its
 * value; then every member stops (the owner confirming what it delivered) and the sink and the slot
 * are checked against what the writers committed.
 */
import type { SinkAudit } from '../pgCrash/sinkAudit.js';
import { firstOfAny } from './childProcess.js';
import type { ChildLine, TrialChild } from './childProcess.js';

/** What a member's last figures said. */
export interface MemberFiguresLine {
  readonly version: string;
  readonly calls: number;
  readonly failedCalls: number;
  readonly firstError?: string;
  readonly increments: number;
  readonly gossip: { rounds: number; merged: number; failed: number; lastError?: string };
  readonly cdc: {
    terms: number;
    written: number;
    skipped: number;
    fenced: number;
    errors: number;
    lastError?: string;
    owner: boolean;
  };
}

/** What the end found. */
export interface TrialEnd {
  /** Per member: its last figures (the final ones for a member that lived, the last heartbeat's for one that died). */
  readonly members: Readonly<Record<string, MemberFiguresLine & { readonly alive: boolean }>>;
  /** Client calls and failed calls over every member. */
  readonly calls: number;
  readonly failedCalls: number;
  /** The CRDT value each live member reported after the final exchange, and every published state merged. */
  readonly values: Readonly<Record<string, number>>;
  readonly mergedValue: number;
  readonly audit: SinkAudit;
  /** Writes refused as fenced (by any member). */
  readonly fencedWrites: number;
  readonly failures: readonly string[];
}

/** What the world gives the end. */
export interface EndHooks {
  readonly timeoutMs: number;
  readonly checkSink: () => Promise<{ readonly audit: SinkAudit; readonly problems: readonly string[] }>;
  readonly mergedStates: () => Promise<number>;
}

const figuresOf = (line: ChildLine | undefined): MemberFiguresLine | undefined =>
  line as unknown as MemberFiguresLine | undefined;

/** Ends a world's trial (see the file's comment). */
export async function finishTrial(
  world: { readonly members: ReadonlyMap<string, TrialChild>; live(): TrialChild[] },
  hooks: EndHooks,
): Promise<TrialEnd> {
  const failures: string[] = [];
  const live = world.live();
  if (!(await firstOfAny(live, (line) => line.event === 'marker', hooks.timeoutMs)))
    throw new Error(
      `no member delivered the end marker within ${hooks.timeoutMs} ms: ${live.map((c) => `${c.name}: ${JSON.stringify(c.lines.at(-1))}`).join('; ')}`,
    );
  const marks = live.map((child) => child.lines.length);
  for (const child of live) child.send({ cmd: 'finish' });
  const finished = await Promise.all(live.map((child, i) => child.expect('finished', 20_000, marks[i])));
  for (const child of live) child.send({ cmd: 'converge' });
  const converged = await Promise.all(live.map((child, i) => child.expect('converged', 20_000, marks[i])));
  // The members that do not hold the stream stop first, so none takes it over from the owner stopping.
  const owns = (i: number): boolean => figuresOf(finished[i])?.cdc.owner === true;
  const stopped: ChildLine[] = [];
  for (const last of [false, true]) {
    const group = live.map((child, i) => [child, i] as const).filter(([, i]) => owns(i) === last);
    for (const [child] of group) child.send({ cmd: 'stop' });
    for (const [child, i] of group) stopped[i] = await child.expect('stopped', 30_000, marks[i]);
  }
  await Promise.all(live.map((child) => child.exited));

  const members: Record<string, MemberFiguresLine & { alive: boolean }> = {};
  for (const [id, child] of world.members) {
    const i = live.indexOf(child);
    const last = i >= 0 ? figuresOf(stopped[i]) : figuresOf(child.last('figures'));
    if (last) members[id] = { ...last, alive: i >= 0 };
  }
  const values = Object.fromEntries(live.map((child, i) => [child.name, Number(converged[i]!['value'])]));
  const mergedValue = await hooks.mergedStates();
  for (const [id, m] of Object.entries(members)) {
    if (m.failedCalls > 0) failures.push(`${id}: ${m.failedCalls} failed calls (first: ${m.firstError ?? '?'})`);
    if (m.gossip.failed > 0)
      failures.push(`${id}: ${m.gossip.failed} CRDT states failed to merge (${m.gossip.lastError ?? '?'})`);
    if (m.cdc.errors > 0) failures.push(`${id}: ${m.cdc.errors} CDC errors (${m.cdc.lastError ?? '?'})`);
  }
  for (const [i, child] of live.entries()) {
    const value = values[child.name]!;
    if (value !== mergedValue)
      failures.push(
        `${child.name}: CRDT value ${value} after the final exchange, every state merged is ${mergedValue}`,
      );
    const own = figuresOf(finished[i])?.increments ?? 0;
    if (value < own) failures.push(`${child.name}: CRDT value ${value} is below its own ${own} increments`);
  }
  const sink = await hooks.checkSink();
  failures.push(...sink.problems);
  const all = Object.values(members);
  return {
    members,
    calls: all.reduce((sum, m) => sum + m.calls, 0),
    failedCalls: all.reduce((sum, m) => sum + m.failedCalls, 0),
    values,
    mergedValue,
    audit: sink.audit,
    fencedWrites: all.reduce((sum, m) => sum + m.cdc.fenced, 0),
    failures,
  };
}
