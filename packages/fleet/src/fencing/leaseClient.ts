import pg from 'pg';
import { leasePg } from './leaseErrors.js';
import type { LeaseConfig } from './leaseOptions.js';

/** A connection for lease statements: its application name says whose, `lock_timeout` bounds waits. */
export async function openClient(config: LeaseConfig, step: 'acquire' | 'renew'): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: config.url,
    application_name: `baton lease ${config.stream} pid ${process.pid}`.slice(0, 63),
    ...(config.lockTimeoutMs > 0 ? { lock_timeout: config.lockTimeoutMs } : {}),
  });
  client.on('error', () => undefined); // a lost connection fails the next statement, which reports it
  try {
    await leasePg(step, config.stream, 'connecting to the lease database', () => client.connect());
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}
