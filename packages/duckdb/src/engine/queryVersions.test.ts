import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { definePlugin } from '@baton/core';
import type { BatonConnection } from '../index.js';
import { engineWith, pluginOf, typedError, versionFunction } from './__tests__/engineFixtures.js';

/** What one query saw: how many rows each version computed, and when it ran (ticks of one clock). */
interface QueryRecord {
  readonly connection: number;
  readonly rows: number;
  readonly versions: Map<string, number>;
  readonly start: number;
  readonly end: number;
}

const plan = fc.record({
  /** Per connection, the row counts of the queries it runs one after another. */
  connections: fc.array(fc.array(fc.integer({ min: 40_000, max: 120_000 }), { minLength: 1, maxLength: 3 }), {
    minLength: 1,
    maxLength: 3,
  }),
  /** Reloads in order: true commits a new version, false is refused (its register throws). */
  reloads: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }),
});

describe('one version per query', () => {
  test.prop([plan], { numRuns: 8 })(
    'queries running across reloads each see one version; no query fails; good reloads commit, bad ones roll back',
    async ({ connections, reloads }) => {
      let clock = 0;
      let chunks = 0;
      let wake: (() => void) | undefined;
      let queriesDone = false;
      const onChunk = (): void => {
        // A reload starts while a query is running (its third chunk since the last reload was started).
        if (wake && ++chunks % 3 === 0) {
          const resume = wake;
          wake = undefined;
          resume();
        }
      };
      const midQuery = (): Promise<void> =>
        queriesDone ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve));
      const versioned = (version: string) => pluginOf('versioned', version, versionFunction(version, onChunk));
      const broken = (version: string) =>
        definePlugin({
          name: 'versioned',
          version,
          register() {
            throw new Error('this version cannot register');
          },
        });

      await using fixture = await engineWith(versioned('1.0.0'));
      const { engine, host } = fixture;
      engine.registerScalarFunction('plugin_version');
      const commits: number[] = [];
      host.on('committed', () => commits.push(++clock));
      const records: QueryRecord[] = [];

      const runConnection = async (index: number, queries: readonly number[]): Promise<void> => {
        await using connection: BatonConnection = await engine.connect();
        for (const rows of queries) {
          const start = ++clock;
          const reader = await connection.runAndReadAll(
            'SELECT v, count(*) FROM (SELECT plugin_version(x) AS v FROM range($1::BIGINT) t(x)) GROUP BY v',
            [BigInt(rows)],
          );
          const versions = new Map(reader.getRows().map(([v, n]) => [String(v), Number(n)]));
          records.push({ connection: index, rows, versions, start, end: ++clock });
        }
      };
      let major = 1;
      const runReloads = async (): Promise<void> => {
        for (const commits of reloads) {
          await midQuery();
          if (commits) {
            const result = await host.reload(versioned(`${++major}.0.0`));
            await result.retired;
          } else {
            await expect(host.reload(broken(`${major + 1}.0.0`))).rejects.toThrow(typedError('REGISTRATION_FAILED'));
          }
        }
      };
      const queries = Promise.all(connections.map((list, index) => runConnection(index, list))).finally(() => {
        queriesDone = true;
        wake?.();
      });
      await Promise.all([queries, runReloads()]);

      // Every query succeeded, computed every row, and all of them with one version.
      expect(records).toHaveLength(connections.flat().length);
      for (const record of records) {
        expect([...record.versions.values()].reduce((a, b) => a + b, 0)).toBe(record.rows);
        expect([...record.versions.keys()], `query of ${record.rows} rows mixed versions`).toHaveLength(1);
      }
      // Versions only move forward on each connection, and the last committed version serves.
      for (let index = 0; index < connections.length; index++) {
        const seen = records
          .filter((r) => r.connection === index)
          .map((r) => Number.parseInt([...r.versions.keys()][0]!));
        expect(seen).toEqual([...seen].sort((a, b) => a - b));
      }
      expect(commits).toHaveLength(reloads.filter(Boolean).length);
      expect(host.plugins()[0]!.version).toBe(`${major}.0.0`);
      // The interleaving the property is about happened: a reload committed while a query ran.
      if (commits.length > 0) {
        const spanning = records.filter((r) => commits.some((tick) => r.start < tick && tick < r.end));
        expect(spanning.length).toBeGreaterThan(0);
      }
    },
  );
});
