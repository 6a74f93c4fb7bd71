import { withPg } from '../store/fleetErrors.js';
import type { Queryable } from '../store/queryable.js';
import { parseCommandRow } from '../store/rowParsing.js';
import type { CommandResult, CommandRow } from '../store/rows.js';
import type { FleetNames } from '../store/schemaName.js';

/**
 * Claims the oldest pending command of `memberId`: `UPDATE … SET state = 'running' WHERE id = … AND
 * state = 'pending' RETURNING *`, so of any number of claimers exactly one gets each command, and a
 * command that is running, ended, lost or cancelled is never claimed again. Undefined when none is
 * pending. One round trip.
 */
export async function claimNextCommand(
  client: Queryable,
  names: FleetNames,
  memberId: string,
): Promise<CommandRow | undefined> {
  const { rows } = await withPg(
    { fleetPhase: 'claim', key: `member ${memberId}`, message: `member ${memberId}: claiming a command` },
    () =>
      client.query(
        `UPDATE ${names.commands} SET state = 'running', started_at = now()
          WHERE id = (SELECT id FROM ${names.commands} WHERE member_id = $1 AND state = 'pending'
                       ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
            AND state = 'pending'
          RETURNING *`,
        [memberId],
      ),
  );
  return rows[0] === undefined ? undefined : parseCommandRow(rows[0]);
}

/**
 * Records the end of a running command (`done` or `failed` with its result). False when the command
 * was no longer running — the coordinator declared it lost meanwhile — so nothing was written.
 */
export async function recordCommandEnd(
  client: Queryable,
  names: FleetNames,
  command: CommandRow,
  result: CommandResult & { readonly outcome: 'done' | 'failed' },
): Promise<boolean> {
  const { rowCount } = await withPg(
    {
      fleetPhase: 'record',
      key: `member ${command.memberId}`,
      message: `member ${command.memberId}: recording the end of command ${command.id}`,
    },
    () =>
      client.query(
        `UPDATE ${names.commands} SET state = $2, ended_at = now(), result = $3
          WHERE id = $1 AND state = 'running'`,
        [command.id, result.outcome, result],
      ),
  );
  return rowCount === 1;
}

/**
 * Marks the commands of `memberId` still `running` as `lost`: called by an agent that just took its
 * member's lock, so they were claimed by an earlier run of the member that ended (crashed) before
 * recording their end. Their outcome is unknown; they are never run again. Returns them.
 */
export async function loseInterruptedCommands(
  client: Queryable,
  names: FleetNames,
  memberId: string,
): Promise<CommandRow[]> {
  const result: CommandResult = { outcome: 'lost', reason: `member ${memberId} restarted while the command ran` };
  const { rows } = await withPg(
    {
      fleetPhase: 'claim',
      key: `member ${memberId}`,
      message: `member ${memberId}: marking interrupted commands lost`,
    },
    () =>
      client.query(
        `UPDATE ${names.commands} SET state = 'lost', ended_at = now(), result = $2
          WHERE member_id = $1 AND state = 'running' RETURNING *`,
        [memberId, result],
      ),
  );
  return rows.map(parseCommandRow);
}
