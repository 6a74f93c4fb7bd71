import { beforeAll, describe, expect, it } from 'vitest';
import { isReloadError } from '@baton/core';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { advisoryKey, lockKey, unlockKey } from './advisoryKey.js';
import { ensureFleetSchema } from './fleetSchema.js';
import { countQueries } from './queryable.js';
import { parseCommandRow, parseRolloutRow } from './rowParsing.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase('fleet_store');
});

const rollout = (plugin: string, state = 'running'): [string, unknown[]] => [
  `INSERT INTO baton_fleet.rollouts (plugin, from_version, to_version, from_artifact, artifact, policy, plan, state)
   VALUES ($1, '1.0.0', '2.0.0', '{"version":"1.0.0"}', '{"version":"2.0.0"}', '{}', '[["m1"]]', $2) RETURNING *`,
  [plugin, state],
];

describe('ensureFleetSchema', () => {
  it('is idempotent and safe from many sessions at once', async () => {
    const [a, b, c] = await Promise.all([connect(url), connect(url), connect(url)]);
    const clients = [a, b, c];
    try {
      await Promise.all(clients.map((client) => ensureFleetSchema(client)));
      const counted = countQueries(a);
      await ensureFleetSchema(counted);
      expect(counted.count).toBe(1); // a schema already at this version costs one round trip
      const { rows } = await a.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'baton_fleet' ORDER BY 1`,
      );
      expect(rows.map((r) => r.name)).toEqual(['commands', 'members', 'rollouts']);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await using client = await connect(url);
    const error: unknown = await ensureFleetSchema(client, { schema: 'x"; DROP TABLE y; --' }).catch((e: unknown) => e);
    expect(isReloadError(error) && error.code).toBe('INVALID_ARGUMENT');
  });

  it('allows one active rollout per plugin, any number of finished ones', async () => {
    await using client = await connect(url);
    await ensureFleetSchema(client);
    await client.query(...rollout('p-active', 'done'));
    await client.query(...rollout('p-active', 'halted'));
    const first = parseRolloutRow((await client.query(...rollout('p-active'))).rows[0] as Record<string, unknown>);
    expect(first).toMatchObject({ plugin: 'p-active', state: 'running', plan: [['m1']], fromVersion: '1.0.0' });
    const second = await client.query(...rollout('p-active', 'halting')).catch((e: unknown) => e);
    expect((second as { code?: string }).code).toBe('23505');
  });

  it('keeps one command per (rollout, member, seq) and notifies each new command and change of state', async () => {
    await using client = await connect(url);
    await using listener = await connect(url);
    await ensureFleetSchema(client);
    await client.query(`INSERT INTO baton_fleet.members (id, plugin) VALUES ('m-notify', 'p-notify')`);
    const { rows } = await client.query<{ id: string }>(...rollout('p-notify'));
    const rolloutId = rows[0]!.id;
    const seen: string[] = [];
    listener.on('notification', (n) => seen.push(n.payload ?? ''));
    await listener.query('LISTEN baton_fleet_commands');
    const insert = `INSERT INTO baton_fleet.commands (rollout_id, member_id, seq, action, artifact)
      VALUES ($1, 'm-notify', 1, 'reload', '{"version":"2.0.0"}') ON CONFLICT DO NOTHING RETURNING *`;
    const inserted = await client.query(insert, [rolloutId]);
    const again = await client.query(insert, [rolloutId]);
    expect([inserted.rowCount, again.rowCount]).toEqual([1, 0]);
    const command = parseCommandRow(inserted.rows[0] as Record<string, unknown>);
    expect(command).toMatchObject({ memberId: 'm-notify', seq: 1, action: 'reload', state: 'pending', result: null });
    await client.query(`UPDATE baton_fleet.commands SET state = 'running' WHERE id = $1`, [command.id]);
    await listener.query('SELECT 1'); // notifications of committed transactions arrive before this reply
    expect(seen.map((payload) => (JSON.parse(payload) as { state: string }).state)).toEqual(['pending', 'running']);
  });
});

describe('advisory locks', () => {
  it('a second session gets LOCKED naming the holder; the holder may unlock', async () => {
    await using a = await connect(url);
    await using b = await connect(url);
    await a.query(`SET application_name = 'holder-a'`);
    const key = advisoryKey('rollout', 'baton_fleet:p-lock');
    await lockKey(a, key, { fleetPhase: 'lock', message: 'rollout lock' });
    const error: unknown = await lockKey(b, key, { fleetPhase: 'lock', message: 'rollout lock', plugin: 'p' }).catch(
      (e: unknown) => e,
    );
    expect(isReloadError(error) && error.code).toBe('LOCKED');
    expect((error as Error).message).toContain("'holder-a'");
    expect(await unlockKey(a, key)).toBe(true);
    await lockKey(b, key, { fleetPhase: 'lock', message: 'rollout lock' });
  });
});
