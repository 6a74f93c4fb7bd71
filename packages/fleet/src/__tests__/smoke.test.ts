import { expect, it } from 'vitest';
import { connect, testDatabase } from './testDatabase.js';

it('the shared test server gives each file a database of its own', async () => {
  const url = await testDatabase('fleet_smoke');
  await using client = await connect(url);
  const { rows } = await client.query<{ db: string }>('SELECT current_database() AS db');
  expect(rows[0]?.db).toMatch(/^fleet_smoke_/);
});
