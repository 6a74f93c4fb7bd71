import { ReloadError } from '@baton/core';

/** The largest PostgreSQL LSN (`FFFFFFFF/FFFFFFFF`): LSNs are unsigned 64-bit WAL positions. */
export const MAX_PG_LSN = 2n ** 64n - 1n;

const LSN_TEXT = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/**
 * Reads PostgreSQL's text form of an LSN (`16/B374D848`: the high and low 32 bits in hex) as a
 * bigint, the form `CdcBatch` LSNs take. Anything else is `CORRUPT_INPUT` naming `what`.
 */
export function parseLsn(text: unknown, what = 'LSN'): bigint {
  const match = typeof text === 'string' ? LSN_TEXT.exec(text) : null;
  if (!match) {
    throw new ReloadError({
      code: 'CORRUPT_INPUT',
      phase: 'decode',
      message: `${what}: expected a PostgreSQL LSN like '16/B374D848', got ${JSON.stringify(String(text)).slice(0, 80)}`,
    });
  }
  return (BigInt(`0x${match[1]!}`) << 32n) | BigInt(`0x${match[2]!}`);
}

/** PostgreSQL's text form of an LSN (`16/B374D848`). `INVALID_ARGUMENT` outside `[0, 2^64 - 1]`. */
export function formatLsn(lsn: bigint): string {
  if (typeof lsn !== 'bigint' || lsn < 0n || lsn > MAX_PG_LSN) {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      message: `an LSN must be a bigint in [0, 2^64 - 1] (got ${String(lsn)})`,
    });
  }
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
