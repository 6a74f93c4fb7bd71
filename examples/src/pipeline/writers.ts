import pg from 'pg';
import { Pacer } from '../demo/pacer.js';
import { Random } from '../engine/random.js';
import type { ChangeLedger } from './changeLedger.js';
import { changeSignature } from './changeLedger.js';
import type { DemoSchema } from './postgresStack.js';

/** Where the writers record each transaction (the demo's recorder): when it started, and whether it ended as meant. */
export interface WriteRecorder {
  now(): number;
  record(op: 'write', dueMs: number, ok: boolean): void;
}

/** How the writers run (see {@link runWriters}). */
export interface WriteLoad {
  /** Concurrent writers, each on its own connection. */
  readonly count: number;
  /** Transactions per second, over all writers (each gets an equal share). */
  readonly ratePerSec: number;
  readonly seed: number;
}

/** One statement of a transaction, and how it changes the writer's rows once committed. */
interface Step {
  readonly signature: string;
  readonly apply: () => void;
}

/**
 * Runs `load.count` writer clients against PostgreSQL until `signal` aborts, each on its own
 * connection, at `load.ratePerSec` transactions per second in all (paced like the query clients):
 * transactions of 1–4 statements over `accounts` and `transfers` (inserts, updates, deletes of rows
 * the writer made), one in ten rolled back on purpose. Only what committed enters the ledger.
 */
export async function runWriters(
  url: string,
  schema: DemoSchema,
  load: WriteLoad,
  signal: AbortSignal,
  ledger: ChangeLedger,
  recorder: WriteRecorder,
): Promise<void> {
  const { accounts, transfers } = schema;
  const { count, seed } = load;
  const writer = async (w: number): Promise<void> => {
    const client = new pg.Client({ connectionString: url, application_name: `baton demo writer ${w}` });
    client.on('error', () => undefined);
    await client.connect();
    const random = new Random(seed * 104_729 + w);
    const pacer = new Pacer(recorder, load.ratePerSec / count, seed * 3571 + w);
    const liveAccounts: number[] = [];
    const liveTransfers: number[] = [];
    const step = async (): Promise<Step> => {
      const roll = random.next();
      const cid = ledger.nextId();
      if (liveAccounts.length === 0 || roll < 0.25) {
        const id = ledger.nextId();
        await client.query(`INSERT INTO ${accounts} (id, owner, balance, cid) VALUES ($1, $2, 0, $3)`, [
          id,
          `writer ${w}`,
          cid,
        ]);
        return {
          signature: changeSignature('insert', accounts, `${id}`, `${cid}`),
          apply: () => liveAccounts.push(id),
        };
      }
      const account = random.pick(liveAccounts);
      if (roll < 0.55 || liveTransfers.length === 0) {
        const id = ledger.nextId();
        await client.query(`INSERT INTO ${transfers} (id, account, amount, cid) VALUES ($1, $2, $3, $4)`, [
          id,
          account,
          1 + random.int(500),
          cid,
        ]);
        return {
          signature: changeSignature('insert', transfers, `${id}`, `${cid}`),
          apply: () => liveTransfers.push(id),
        };
      }
      if (roll < 0.8) {
        await client.query(`UPDATE ${accounts} SET balance = balance + $2, cid = $3 WHERE id = $1`, [
          account,
          random.int(100),
          cid,
        ]);
        return { signature: changeSignature('update', accounts, `${account}`, `${cid}`), apply: () => undefined };
      }
      const at = random.int(liveTransfers.length);
      const id = liveTransfers[at]!;
      await client.query(`DELETE FROM ${transfers} WHERE id = $1`, [id]);
      return { signature: changeSignature('delete', transfers, `${id}`), apply: () => liveTransfers.splice(at, 1) };
    };
    try {
      while (!signal.aborted) {
        const due = await pacer.next(signal).catch(() => undefined);
        if (due === undefined) break; // stopped while waiting for the next transaction
        const steps: Step[] = [];
        const before = [[...liveAccounts], [...liveTransfers]] as const;
        const undo = (): void => {
          liveAccounts.splice(0, liveAccounts.length, ...before[0]);
          liveTransfers.splice(0, liveTransfers.length, ...before[1]);
        };
        try {
          await client.query('BEGIN');
          const statements = 1 + random.int(4);
          for (let s = 0; s < statements; s++) {
            const next = await step();
            steps.push(next);
            next.apply(); // later statements of this transaction see it; undone below on rollback
          }
          if (random.next() < 0.1) {
            await client.query('ROLLBACK');
            ledger.rollbacks++;
            ledger.rolledBack.push(...steps.map((s) => s.signature));
            undo();
          } else {
            await client.query('COMMIT');
            ledger.transactions++;
            ledger.committed.push(...steps.map((s) => s.signature));
          }
          recorder.record('write', due, true);
        } catch (error) {
          ledger.failures++;
          recorder.record('write', due, false);
          if (ledger.errors.length < 5) ledger.errors.push(error instanceof Error ? error.message : String(error));
          await client.query('ROLLBACK').catch(() => undefined);
          undo();
        }
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: count }, (_, w) => writer(w)));
}
