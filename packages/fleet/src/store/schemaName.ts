import { fleetError } from './fleetErrors.js';

/** The default PostgreSQL schema of the fleet's tables. */
export const FLEET_SCHEMA = 'baton_fleet';

const NAME = /^[a-z_][a-z0-9_]{0,39}$/;

/** The qualified names of the core fleet tables and their notification channel, in one schema. */
export interface FleetNames {
  readonly schema: string;
  readonly members: string;
  readonly rollouts: string;
  readonly commands: string;
  /** The channel a trigger notifies on each new command and each change of a command's state. */
  readonly channel: string;
}

/**
 * Checks a schema name (lower-case letters, digits and `_`, starting with a letter or `_`, at most
 * 40 characters, so that the channel `<schema>_commands` fits PostgreSQL's 63) and returns the
 * tables' qualified names. Default: `baton_fleet`. Anything else is `INVALID_ARGUMENT`.
 */
export function fleetNames(schema: unknown = FLEET_SCHEMA): FleetNames {
  if (typeof schema !== 'string' || !NAME.test(schema))
    throw fleetError({
      code: 'INVALID_ARGUMENT',
      fleetPhase: 'schema',
      message: `the fleet schema must match ${String(NAME)} (got ${JSON.stringify(schema)})`,
    });
  return {
    schema,
    members: `"${schema}"."members"`,
    rollouts: `"${schema}"."rollouts"`,
    commands: `"${schema}"."commands"`,
    channel: `${schema}_commands`,
  };
}
