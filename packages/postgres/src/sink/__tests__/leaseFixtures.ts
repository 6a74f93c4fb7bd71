/**
 * Test helpers of the sink's lease fencing: a lease table shaped as `@baton/fleet`'s `cdc_leases`
 * (this package cannot depend on the fleet's), moving a lease as an acquire does, and holding a
 * writer inside its transaction right after its lease check.
 */
import pg from 'pg';
import { vi } from 'vitest';
import { sql } from '../../__tests__/testServer.js';

/** The lease table the fenced sink tests use (the fence option's default place). */
const LEASES = 'baton_fleet.cdc_leases';

/** Creates `baton_fleet.cdc_leases` (as `ensureLeaseSchema` of `@baton/fleet` does) when missing. */
export async function createLeaseTable(url: string): Promise<void> {
  await sql(
    url,
    `CREATE SCHEMA IF NOT EXISTS baton_fleet;
     CREATE TABLE IF NOT EXISTS ${LEASES} (
       stream text PRIMARY KEY, owner text, token bigint NOT NULL, expires_at timestamptz NOT NULL)`,
  );
}

/** Gives the lease of `stream` to `owner` with a bumped token (as an acquire does); returns the token. */
export async function moveLease(url: string, stream: string, owner: string): Promise<bigint> {
  const [row] = await sql<{ token: string }>(
    url,
    `INSERT INTO ${LEASES} (stream, owner, token, expires_at) VALUES ($1, $2, 1, now() + interval '1 minute')
     ON CONFLICT (stream) DO UPDATE SET owner = excluded.owner, token = ${LEASES}.token + 1, expires_at = excluded.expires_at
     RETURNING token::text AS token`,
    [stream, owner],
  );
  return BigInt(row!.token);
}

/** Whether an `UPDATE` of the lease row gets its row lock within `ms` (a write in flight holds it). */
export async function leaseRowFree(url: string, stream: string, ms = 100): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, lock_timeout: ms });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`UPDATE ${LEASES} SET expires_at = expires_at WHERE stream = $1`, [stream]);
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '55P03') return false;
    throw error;
  } finally {
    await client.end();
  }
}

/** Polls `check` every 50 ms until it holds, for at most `ms` (then throws naming `what`). */
export async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A writer of `output` held inside its transaction right after its lease check, until `resume()`. */
export interface HeldWriter {
  /** Settles once the writer's lease check returned (its transaction holds the lease row). */
  readonly held: Promise<void>;
  /** Lets the writer go on (and stops holding later transactions). */
  resume(): void;
}

/** Holds the next transaction of the sink writer of `output` after its `FOR SHARE` lease check. */
export function holdAfterLeaseCheck(output: string): HeldWriter {
  const original = pg.Client.prototype.query;
  let reached: () => void = () => undefined;
  let resume: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (resume = resolve));
  let armed = true;
  const spy = vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    const name = (this as unknown as { connectionParameters: { application_name?: string } }).connectionParameters
      .application_name;
    if (!armed || typeof args[0] !== 'string' || !args[0].includes('FOR SHARE')) return result as never;
    if (!name?.startsWith(`baton sink ${output} `)) return result as never;
    armed = false;
    return (result as Promise<unknown>).then(async (rows) => {
      reached();
      await gate;
      return rows;
    }) as never;
  });
  return {
    held,
    resume() {
      spy.mockRestore();
      resume();
    },
  };
}
