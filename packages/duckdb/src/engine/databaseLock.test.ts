import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPluginHost, isReloadError } from '@baton/core';
import { BatonDuckDB } from './batonDuckDB.js';
import { typedError } from './__tests__/engineFixtures.js';

const packageDirectory = fileURLToPath(new URL('../..', import.meta.url));

/** A second process holding `path` open (it writes a row, says `ready`, and waits for its stdin to close). */
const holder = `
import { DuckDBInstance } from '@duckdb/node-api';
const instance = await DuckDBInstance.create(process.argv[1]);
const connection = await instance.connect();
await connection.run('CREATE TABLE IF NOT EXISTS written_by_other (pid INTEGER)');
await connection.run('INSERT INTO written_by_other VALUES (' + process.pid + ')');
process.stdout.write('ready\\n');
process.stdin.resume();
process.stdin.on('end', () => { connection.disconnectSync(); instance.closeSync(); process.exit(0); });
`;

describe('a database file another process holds', () => {
  it('is LOCKED (retryable) while it holds it, and opens with its data once it let go', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'baton-duckdb-lock-'));
    const path = join(directory, 'engine.duckdb');
    const child = spawn(process.execPath, ['--input-type=module', '-e', holder, path], {
      cwd: packageDirectory,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    try {
      const [ready] = (await once(child.stdout, 'data')) as [Buffer];
      expect(ready.toString()).toBe('ready\n');
      const host = createPluginHost();
      const refused: unknown = await BatonDuckDB.open({ host, path }).catch((error: unknown) => error);
      expect(refused).toEqual(typedError('LOCKED', `DuckDB open failed on ${path}: IO Error: Could not set lock`));
      expect(isReloadError(refused) && refused.retryable).toBe(true);
      child.stdin.end();
      await once(child, 'exit');
      await using engine = await BatonDuckDB.open({ host, path });
      await using connection = await engine.connect();
      const rows = (await connection.runAndReadAll('SELECT pid FROM written_by_other')).getRows();
      expect(rows).toEqual([[child.pid]]);
      await host.close();
    } finally {
      child.kill();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
