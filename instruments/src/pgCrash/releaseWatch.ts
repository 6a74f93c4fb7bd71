import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';

/** How long after a kill the dead engine's hold on the slot and on the sink lasted. */
export interface Release {
  /** Milliseconds until the slot was no longer read by the dead engine's walsender. */
  readonly slotMs: number;
  /** Milliseconds until no sink session of the dead engine was left (its advisory writer lock goes with it). */
  readonly sinkMs: number;
}

/** Polls `probe` every 2 ms until it says done; the time it took, or undefined after `timeoutMs`. */
async function until(probe: () => Promise<boolean>, since: number, timeoutMs: number): Promise<number | undefined> {
  for (;;) {
    if (await probe()) return performance.now() - since;
    if (performance.now() - since > timeoutMs) return undefined;
    await delay(2);
  }
}

/**
 * Watches PostgreSQL let go of a killed engine: its walsender (`walsenderPid`, the slot's active
 * process while it lived) ends when it sees the socket closed, and its sink sessions (application
 * name `baton sink <output> pid <pid>`) end the same way, releasing the writer lock. Measured from
 * `since` (when the trial saw the engine exit). Throws after `timeoutMs` naming what is still held.
 */
export async function watchRelease(
  clients: { readonly source: pg.Client; readonly sink: pg.Client },
  dead: { readonly slot: string; readonly walsenderPid: number | null; readonly output: string; readonly pid: number },
  since: number,
  timeoutMs = 15_000,
): Promise<Release> {
  const application = `baton sink ${dead.output} pid ${dead.pid}`.slice(0, 63);
  const [slotMs, sinkMs] = await Promise.all([
    until(
      async () =>
        dead.walsenderPid === null ||
        (
          await clients.source.query<{ pid: number | null }>(
            'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
            [dead.slot],
          )
        ).rows[0]?.pid !== dead.walsenderPid,
      since,
      timeoutMs,
    ),
    until(
      async () =>
        (
          await clients.sink.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1',
            [application],
          )
        ).rows[0]?.n === 0,
      since,
      timeoutMs,
    ),
  ]);
  if (slotMs === undefined || sinkMs === undefined)
    throw new Error(
      `engine pid ${dead.pid} was killed ${timeoutMs} ms ago and PostgreSQL still holds its ${slotMs === undefined ? 'slot' : 'sink session'}`,
    );
  return { slotMs, sinkMs };
}
