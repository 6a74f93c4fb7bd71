import { fc } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { ensureFleetSchema } from '../store/fleetSchema.js';
import { countQueries } from '../store/queryable.js';
import { reloadErrorOf } from './__tests__/errors.js';
import { ensureFormatSchema } from './formatSchema.js';
import {
  beginMixedPhase,
  listFormatPhases,
  readFormatPhase,
  revertFormatPhase,
  switchFormatPhase,
} from './formatPhaseStore.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase('fleet_formats');
  await using client = await connect(url);
  await ensureFormatSchema(client);
});

const mixed = (plugin: string, extra: { fromVersion?: string; rollbackSafe?: boolean } = {}) => ({
  plugin,
  version: '2.0.0',
  fromVersion: extra.fromVersion ?? '1.0.0',
  pinned: { 'g-counter': 1 },
  rollbackSafe: extra.rollbackSafe ?? false,
});

describe('ensureFormatSchema', () => {
  it('is idempotent from many sessions at once, beside ensureFleetSchema, in another schema too', async () => {
    const clients = await Promise.all([connect(url), connect(url), connect(url), connect(url)]);
    try {
      await Promise.all([
        ...clients.slice(0, 3).map((client) => ensureFormatSchema(client, { schema: 'fleet_race' })),
        ensureFleetSchema(clients[3], { schema: 'fleet_race' }),
      ]);
      await ensureFormatSchema(clients[0], { schema: 'fleet_race' });
      const { rows } = await clients[0].query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'fleet_race' ORDER BY 1`,
      );
      expect(rows.map((row) => row.name)).toEqual(['commands', 'format_phases', 'members', 'rollouts']);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });

  it('refuses a schema that is not a plain identifier before sending anything', async () => {
    await using client = await connect(url);
    const counted = countQueries(client);
    const error = await reloadErrorOf(() => ensureFormatSchema(counted, { schema: 'x"; DROP TABLE y; --' }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(counted.count).toBe(0);
  });

  it('holds only rows this module writes: constraints refuse a bad phase or a switched row without a time', async () => {
    await using client = await connect(url);
    const insert = (phase: string, switchedAt: string | null) =>
      client
        .query(
          `INSERT INTO baton_fleet.format_phases (plugin, version, from_version, phase, switched_at) VALUES ('c', '2', '1', $1, $2)`,
          [phase, switchedAt],
        )
        .catch((error: unknown) => (error as { code?: string }).code);
    expect(await insert('done', null)).toBe('23514');
    expect(await insert('switched', null)).toBe('23514');
    expect(await insert('mixed', new Date().toISOString())).toBe('23514');
  });
});

describe('the format phase rows', () => {
  it('begin: records phase mixed once; a resumed rollout keeps a switched row; another from-version starts over', async () => {
    await using client = await connect(url);
    expect(await readFormatPhase(client, { plugin: 'p-begin', version: '2.0.0' })).toBeUndefined();
    const row = await beginMixedPhase(client, mixed('p-begin'));
    expect(row).toMatchObject({
      plugin: 'p-begin',
      version: '2.0.0',
      fromVersion: '1.0.0',
      phase: 'mixed',
      pinned: { 'g-counter': 1 },
      rollbackSafe: false,
      switchedAt: null,
    });
    expect(await beginMixedPhase(client, mixed('p-begin'))).toMatchObject({ phase: 'mixed' });
    const switched = await switchFormatPhase(client, {
      plugin: 'p-begin',
      version: '2.0.0',
      members: [{ id: 'm1', version: '2.0.0' }],
    });
    expect(switched.switchedAt).toBeInstanceOf(Date);
    // The coordinator restarted and ran its preflight again: the switch stands.
    expect(await beginMixedPhase(client, mixed('p-begin'))).toEqual(switched);
    // Switching again keeps the first time.
    expect(
      await switchFormatPhase(client, {
        plugin: 'p-begin',
        version: '2.0.0',
        members: [{ id: 'm1', version: '2.0.0' }],
      }),
    ).toEqual(switched);
    // A new rollout to 2.0.0 from another version starts in phase mixed again.
    expect(await beginMixedPhase(client, mixed('p-begin', { fromVersion: '1.5.0' }))).toMatchObject({
      phase: 'mixed',
      fromVersion: '1.5.0',
      switchedAt: null,
    });
    expect((await listFormatPhases(client, { plugin: 'p-begin' })).map((r) => r.phase)).toEqual(['mixed']);
  });

  it('switch: refused (row unchanged) unless every live member runs the new version', async () => {
    await using client = await connect(url);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            id: fc.constantFrom('m1', 'm2', 'm3', 'm4', 'm5'),
            version: fc.constantFrom('1.0.0', '2.0.0', '2.0.1'),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (members) => {
          const plugin = `p-switch-${run++}`;
          await beginMixedPhase(client, mixed(plugin));
          const behind = members.filter((member) => member.version !== '2.0.0');
          const attempt = switchFormatPhase(client, { plugin, version: '2.0.0', members });
          if (behind.length === 0) {
            expect(await attempt).toMatchObject({ phase: 'switched' });
            return;
          }
          const error = await reloadErrorOf(() => attempt);
          expect(error.code).toBe('SCHEMA_INCOMPATIBLE');
          expect(error.plugin).toBe(plugin);
          expect(error.details['behind']).toEqual(behind);
          expect(error.message).toContain(`${behind[0]!.id} on ${behind[0]!.version}`);
          expect(await readFormatPhase(client, { plugin, version: '2.0.0' })).toMatchObject({
            phase: 'mixed',
            switchedAt: null,
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('switch: refused without members, without a recorded phase, and for members that are not { id, version }', async () => {
    await using client = await connect(url);
    await beginMixedPhase(client, mixed('p-args'));
    for (const members of [[], undefined, [{ id: 'm1' }], [null]]) {
      const error = await reloadErrorOf(() =>
        switchFormatPhase(client, { plugin: 'p-args', version: '2.0.0', members: members as never }),
      );
      expect(error.code).toBe('INVALID_ARGUMENT');
    }
    const none = await reloadErrorOf(() =>
      switchFormatPhase(client, { plugin: 'p-none', version: '2.0.0', members: [{ id: 'm1', version: '2.0.0' }] }),
    );
    expect(none).toMatchObject({ code: 'INVALID_ARGUMENT', plugin: 'p-none' });
    expect(none.message).toContain('no format phase is recorded');
    expect(await readFormatPhase(client, { plugin: 'p-args', version: '2.0.0' })).toMatchObject({ phase: 'mixed' });
  });

  it('revert: allowed while mixed and after a rollback-safe switch; refused after an unsafe one', async () => {
    await using client = await connect(url);
    const all = [{ id: 'm1', version: '2.0.0' }];
    expect(await revertFormatPhase(client, { plugin: 'p-revert-none', version: '2.0.0' })).toBeUndefined();
    await beginMixedPhase(client, mixed('p-revert'));
    expect(await revertFormatPhase(client, { plugin: 'p-revert', version: '2.0.0' })).toMatchObject({ phase: 'mixed' });
    await switchFormatPhase(client, { plugin: 'p-revert', version: '2.0.0', members: all });
    const refused = await reloadErrorOf(() => revertFormatPhase(client, { plugin: 'p-revert', version: '2.0.0' }));
    expect(refused).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', phase: 'rollback', plugin: 'p-revert' });
    expect(refused.message).toContain('1.0.0 cannot read them');
    expect(await readFormatPhase(client, { plugin: 'p-revert', version: '2.0.0' })).toMatchObject({
      phase: 'switched',
    });

    await beginMixedPhase(client, mixed('p-revert-safe', { rollbackSafe: true }));
    await switchFormatPhase(client, { plugin: 'p-revert-safe', version: '2.0.0', members: all });
    expect(await revertFormatPhase(client, { plugin: 'p-revert-safe', version: '2.0.0' })).toMatchObject({
      phase: 'mixed',
      switchedAt: null,
    });
  });

  it('refuses bad arguments before sending anything', async () => {
    await using client = await connect(url);
    const counted = countQueries(client);
    const bad = [
      () => readFormatPhase(counted, { plugin: '', version: '2.0.0' }),
      () => readFormatPhase(counted, { plugin: 'p', version: 2 as never }),
      () => readFormatPhase(counted, null as never),
      () => beginMixedPhase(counted, { ...mixed('p'), pinned: { 'g-counter': 0 } }),
      () => beginMixedPhase(counted, { ...mixed('p'), pinned: [] as never }),
      () => beginMixedPhase(counted, { ...mixed('p'), rollbackSafe: 'yes' as never }),
      () => beginMixedPhase(counted, { ...mixed('p'), fromVersion: undefined as never }),
      () => listFormatPhases(counted, { schema: 'Bad Schema' }),
    ];
    for (const call of bad) expect((await reloadErrorOf(call)).code).toBe('INVALID_ARGUMENT');
    expect(counted.count).toBe(0);
  });

  it('a row edited into something else is CORRUPT_INPUT, never a phase taken on trust', async () => {
    await using client = await connect(url);
    await ensureFormatSchema(client, { schema: 'fleet_tampered' });
    await client.query(
      `INSERT INTO fleet_tampered.format_phases (plugin, version, from_version, phase, pinned)
       VALUES ('p-bad', '2.0.0', '1.0.0', 'mixed', '{"g-counter": "1"}')`,
    );
    const error = await reloadErrorOf(() => listFormatPhases(client, { schema: 'fleet_tampered' }));
    expect(error).toMatchObject({ code: 'CORRUPT_INPUT', plugin: 'p-bad' });
    expect(error.message).toContain('pinned["g-counter"]');
  });

  it('a lost connection is IO_FAILED naming what was being done', async () => {
    const client = await connect(url);
    await client.end();
    const error = await reloadErrorOf(() => readFormatPhase(client, { plugin: 'p', version: '2.0.0' }));
    expect(error.code).toBe('IO_FAILED');
    expect(error.message).toContain('reading the phase of p 2.0.0');
    expect(error.cause).toBeInstanceOf(Error);
  });
});
