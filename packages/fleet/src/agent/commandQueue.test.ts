import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { insertRollout, issueCommand } from '../rollout/__tests__/fleetFixtures.js';
import { ensureFleetSchema } from '../store/fleetSchema.js';
import { fleetNames } from '../store/schemaName.js';
import { claimNextCommand, recordCommandEnd } from './commandQueue.js';

type Client = Awaited<ReturnType<typeof connect>>;
let clients: Client[] = [];
beforeAll(async () => {
  const url = await testDatabase('fleet_queue');
  clients = await Promise.all([connect(url), connect(url), connect(url), connect(url)]);
  await ensureFleetSchema(clients[0]!);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.end()));
});

const names = fleetNames();
let run = 0;

it('of any number of concurrent claimers, exactly one gets each command, oldest first per claimer', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 8 }), async (claimers, count) => {
      const [admin] = clients as [Client];
      const memberId = `q-${(run += 1)}`;
      await admin.query(`INSERT INTO baton_fleet.members (id, plugin) VALUES ($1, 'engine')`, [memberId]);
      const rolloutId = await insertRollout(admin);
      const issued: string[] = [];
      for (let seq = 1; seq <= count; seq++)
        issued.push((await issueCommand(admin, { rolloutId, memberId, seq, version: '2.0.0' })).id);
      const claimedBy = await Promise.all(
        clients.slice(0, claimers).map(async (client) => {
          const mine: string[] = [];
          for (;;) {
            const command = await claimNextCommand(client, names, memberId);
            if (command === undefined) return mine;
            expect(command.state).toBe('running');
            mine.push(command.id);
          }
        }),
      );
      const all = claimedBy.flat();
      expect(all.toSorted((a, b) => Number(a) - Number(b))).toEqual(issued);
      for (const mine of claimedBy) expect(mine).toEqual(mine.toSorted((a, b) => Number(a) - Number(b)));
    }),
    { numRuns: 15 },
  );
});

it('an end is recorded only while the command runs (never over lost or cancelled)', async () => {
  const [admin] = clients as [Client];
  await admin.query(`INSERT INTO baton_fleet.members (id, plugin) VALUES ('q-end', 'engine')`);
  const rolloutId = await insertRollout(admin);
  await issueCommand(admin, { rolloutId, memberId: 'q-end', version: '2.0.0' });
  const claimed = (await claimNextCommand(admin, names, 'q-end'))!;
  await admin.query(`UPDATE baton_fleet.commands SET state = 'lost' WHERE id = $1`, [claimed.id]);
  expect(await recordCommandEnd(admin, names, claimed, { outcome: 'done', version: '2.0.0' })).toBe(false);
  const { rows } = await admin.query('SELECT state FROM baton_fleet.commands WHERE id = $1', [claimed.id]);
  expect(rows).toEqual([{ state: 'lost' }]);
});
