import { CdcLease } from './cdcLease.js';
import { openClient } from './leaseClient.js';
import { leaseError, leasePg } from './leaseErrors.js';
import { checkLeaseOptions } from './leaseOptions.js';
import type { CdcLeaseOptions, LeaseConfig } from './leaseOptions.js';
import { acquireRow, describeRow, readRow, releaseRow } from './leaseSql.js';

/**
 * Takes the lease of a CDC stream — only when it is free: no row yet, released, or expired by the
 * database's clock — bumping its fencing token, and returns it held (renewed in the background every
 * `renewEveryMs`). Another live owner's lease is `LOCKED` (retryable; the message and `details`
 * name its owner, token and how long it still runs); a sink transaction holding the row past
 * `lockTimeoutMs` is `LOCKED` too (`details.busy`). Bad options `INVALID_ARGUMENT`, an unreachable
 * database `IO_FAILED`, an aborted `signal` `ABORTED`. Needs the lease table (`ensureLeaseSchema`).
 */
export async function acquireCdcLease(options: CdcLeaseOptions): Promise<CdcLease> {
  const config = checkLeaseOptions(options);
  throwIfAborted(config);
  const client = await openClient(config, 'acquire');
  try {
    throwIfAborted(config);
    const sent = performance.now();
    const grant = await leasePg('acquire', config.stream, `acquiring the lease as '${config.owner}'`, async () => {
      const granted = await acquireRow(client, config);
      if (granted) return granted;
      const row = await readRow(client, config);
      throw leaseError({
        code: 'LOCKED',
        step: 'acquire',
        stream: config.stream,
        message: `held by another live owner: ${describeRow(row)}; '${config.owner}' can take it once it is released or expires`,
        details: { owner: row?.owner ?? null, token: row?.token ?? null, expiresAt: row?.expiresAt ?? null },
      });
    });
    if (config.signal?.aborted) {
      await releaseRow(client, config, grant.token).catch(() => undefined);
      throwIfAborted(config);
    }
    return new CdcLease(config, client, grant, sent);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
}

function throwIfAborted(config: LeaseConfig): void {
  if (config.signal?.aborted)
    throw leaseError({
      code: 'ABORTED',
      step: 'acquire',
      stream: config.stream,
      message: 'acquire aborted',
      cause: config.signal.reason,
    });
}
