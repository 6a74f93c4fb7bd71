import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { isReloadError } from '@baton/core';
import { readFleetStatus } from './fleetStatus.js';
import { formatFleetStatus } from './formatStatus.js';

const USAGE = `baton-fleet — see a fleet's rollouts and members, as its PostgreSQL rows say

usage:
  baton-fleet status --url <postgres-url> [--schema <name>] [--plugin <name>] [--rollouts <n>] [--watch <ms>]

status prints the latest rollouts (default 3), each with a progress bar and its members' commands,
then every member with its version, liveness (by the database's clock), heartbeat age and figures.
--watch redraws every <ms> milliseconds until Ctrl-C. It only reads: it takes no lock.

exit codes: 0 ok, 1 failed (the database unreachable, a row that does not parse), 2 usage error
`;

/** A usage mistake: the message, then the usage text, and exit code 2. */
class UsageError extends Error {}

/** A whole number of `name` within [min, max], from its option text. */
function whole(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return n;
}

/**
 * Runs the `baton-fleet` CLI with `argv` (without node and script); returns the exit code. `signal`
 * stops `--watch`.
 */
export async function main(
  argv: readonly string[],
  print: (line: string) => void = console.log,
  printError: (line: string) => void = console.error,
  signal?: AbortSignal,
): Promise<number> {
  let options;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        schema: { type: 'string' },
        plugin: { type: 'string' },
        rollouts: { type: 'string' },
        watch: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help === true) {
      print(USAGE);
      return 0;
    }
    if (positionals.length !== 1 || positionals[0] !== 'status')
      throw new UsageError(
        positionals.length === 0 ? 'no command given' : `unknown command '${positionals.join(' ')}'`,
      );
    if (values.url === undefined) throw new UsageError('status needs --url <postgres-url>');
    if (!/^postgres(ql)?:\/\//.test(values.url))
      throw new UsageError('--url must be a postgres:// or postgresql:// URL');
    options = {
      url: values.url,
      schema: values.schema,
      plugin: values.plugin,
      rollouts: whole('rollouts', values.rollouts, 1, 1000),
      watchMs: whole('watch', values.watch, 100, 3_600_000),
    };
  } catch (error) {
    printError(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  const client = new pg.Client({ connectionString: options.url, application_name: 'baton-fleet status' });
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (;;) {
      const status = await readFleetStatus(client, {
        ...(options.schema === undefined ? {} : { schema: options.schema }),
        ...(options.plugin === undefined ? {} : { plugin: options.plugin }),
        ...(options.rollouts === undefined ? {} : { rollouts: options.rollouts }),
      });
      if (options.watchMs !== undefined) print('\x1b[2J\x1b[H'); // clear the terminal, cursor home
      for (const line of formatFleetStatus(status)) print(line);
      if (options.watchMs === undefined) return 0;
      const stopped = await delay(options.watchMs, false, signal ? { signal } : {}).catch(() => true);
      if (stopped) return 0;
    }
  } catch (error) {
    printError(
      `baton-fleet: ${isReloadError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}
