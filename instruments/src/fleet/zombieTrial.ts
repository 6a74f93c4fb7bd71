/**
 * The zombie: the member owning the CDC stream freezes (SIGSTOP) with a batch in hand, just before
 * it delivers it; its lease expires, another member takes the stream (a newer token) and delivers;
 * then the frozen member is woken (SIGCONT) and carries on exactly where it stopped — it delivers
 * the batch it held. The sink's fence must refuse that write (`LOCKED`, nothing written), and the
 * sink must still hold every committed change exactly once.
 */
import { firstOfAny } from './childProcess.js';
import type { TrialChild } from './childProcess.js';
import type { FleetWorld } from './fleetWorld.js';

/** What the zombie trial saw. */
export interface ZombieReport {
  readonly zombie: string;
  readonly zombieToken: string;
  /** The member that took the stream, and its token. */
  readonly successor: string;
  readonly successorToken: string;
  /** Milliseconds from the freeze to the successor's stream start. */
  readonly takeoverMs: number;
  /** How long the zombie was frozen. */
  readonly frozenMs: number;
  /** The sink's refusal the zombie reported. */
  readonly fencedMessage: string;
}

const figure = (line: { readonly [field: string]: unknown } | undefined, path: readonly string[]): number => {
  let value: unknown = line;
  for (const key of path) value = (value as Record<string, unknown> | undefined)?.[key];
  return typeof value === 'number' ? value : 0;
};

/** Waits until `child`'s figures show `path` ≥ `atLeast`. */
export async function figuresReach(
  child: TrialChild,
  path: readonly string[],
  atLeast: number,
  timeoutMs: number,
): Promise<void> {
  const line = await child.waitFor((l) => l.event === 'figures' && figure(l, path) >= atLeast, timeoutMs);
  if (!line) throw new Error(`${child.name}: ${path.join('.')} did not reach ${atLeast} within ${timeoutMs} ms`);
}

/**
 * Runs the zombie on a world whose members run: freezes the current owner at its next delivery once
 * it has written `warmBatches`, waits for a successor to take the stream and write `successorBatches`,
 * wakes the zombie and waits for its fenced refusal.
 */
export async function runZombie(
  world: FleetWorld,
  options: { readonly warmBatches?: number; readonly successorBatches?: number } = {},
): Promise<ZombieReport> {
  const zombie = world.cdcOwner();
  if (zombie === undefined) throw new Error('no member owns the CDC stream');
  await figuresReach(zombie, ['cdc', 'written'], options.warmBatches ?? 10, 20_000);
  const mark = zombie.lines.length;
  zombie.send({ cmd: 'arm', plan: { point: 'deliver.before', skip: 0, action: 'freeze' } });
  const frozen = await zombie.expect('freeze', 20_000, mark);
  const successorStart = await firstOfAny(
    [...world.members.values()].filter((child) => child !== zombie),
    (l) => l.event === 'cdcStarted' && l.at > frozen.at,
    30_000,
  );
  if (!successorStart) throw new Error(`no member took the stream after ${zombie.name} froze`);
  const { child: successor, line: started } = successorStart;
  const before = figure(successor.last('figures'), ['cdc', 'written']);
  await figuresReach(successor, ['cdc', 'written'], before + (options.successorBatches ?? 5), 30_000);
  const woken = performance.now();
  zombie.signal('SIGCONT');
  const fenced = await zombie.expect('fenced', 20_000, mark);
  return {
    zombie: zombie.name,
    zombieToken: String(frozen['token']),
    successor: successor.name,
    successorToken: String(started['token']),
    takeoverMs: started.at - frozen.at,
    frozenMs: woken - frozen.at,
    fencedMessage: String(fenced['message']),
  };
}
