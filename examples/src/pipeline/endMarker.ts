import pg from 'pg';
import type { CdcPipeline } from './cdcPipeline.js';
import type { ChangeLedger } from './changeLedger.js';
import { changeSignature } from './changeLedger.js';
import type { DemoSchema } from './postgresStack.js';

const MARKER_ID = -1;

/**
 * Marks the end of the load once the writers stopped: commits one more change (the account `-1`),
 * records it in the ledger, and waits until the pump delivered it — so everything committed before
 * it went through too. False when it did not arrive within `timeoutMs` (or `signal` aborted).
 */
export async function markEnd(
  url: string,
  schema: DemoSchema,
  ledger: ChangeLedger,
  pipeline: CdcPipeline,
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
): Promise<boolean> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  const delivered = pipeline.delivered(schema.accounts, `${MARKER_ID}`, AbortSignal.any(signals));
  const arrived = delivered.then(
    () => true,
    () => false,
  );
  const cid = ledger.nextId();
  const client = new pg.Client({ connectionString: url, application_name: 'baton demo end marker' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`INSERT INTO ${schema.accounts} (id, owner, balance, cid) VALUES ($1, 'end of run', 0, $2)`, [
      MARKER_ID,
      cid,
    ]);
  } finally {
    await client.end();
  }
  ledger.committed.push(changeSignature('insert', schema.accounts, `${MARKER_ID}`, `${cid}`));
  ledger.transactions++;
  return arrived;
}
