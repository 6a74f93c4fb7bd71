import { describe, expect, it } from 'vitest';
import { engineWith, pluginOf, typedError, versionFunction } from './__tests__/engineFixtures.js';

const versionsOf = (sql: string) => `SELECT DISTINCT v FROM (SELECT plugin_version(x) AS v FROM ${sql})`;

describe('a BatonConnection', () => {
  it('runs pipelined queries in call order, each on one version, across reloads', async () => {
    await using fixture = await engineWith(pluginOf('p', '1.0.0', versionFunction('1.0.0')));
    const { engine, host } = fixture;
    engine.registerScalarFunction('plugin_version');
    await using connection = await engine.connect();
    const finished: number[] = [];
    const queries = Array.from({ length: 6 }, (_, i) =>
      connection.runAndReadAll(versionsOf('range(30000) t(x)')).then((reader) => {
        finished.push(i);
        return reader.getRows().flat();
      }),
    );
    for (const version of ['2.0.0', '3.0.0']) {
      const result = await host.reload(pluginOf('p', version, versionFunction(version)));
      await result.retired;
    }
    const versions = await Promise.all(queries);
    expect(finished).toEqual([0, 1, 2, 3, 4, 5]);
    for (const seen of versions) expect(seen).toHaveLength(1);
    const majors = versions.map(([v]) => Number.parseInt(String(v)));
    expect(majors).toEqual([...majors].sort((a, b) => a - b));
    expect(await connection.runAndReadAll(versionsOf('range(10) t(x)')).then((r) => r.getRows())).toEqual([['3.0.0']]);
  });

  it('finishes queued queries before the engine closes, and refuses queries after', async () => {
    await using fixture = await engineWith(pluginOf('p', '1.0.0', versionFunction('1.0.0')));
    const { engine } = fixture;
    engine.registerScalarFunction('plugin_version');
    const connection = await engine.connect();
    const other = await engine.connect();
    const queued = [connection, connection, other].map((c) => c.runAndReadAll(versionsOf('range(20000) t(x)')));
    const closed = engine.close();
    expect((await Promise.all(queued)).map((r) => r.getRows())).toEqual([[['1.0.0']], [['1.0.0']], [['1.0.0']]]);
    await closed;
    await expect(connection.run('SELECT 1')).rejects.toThrow(typedError('RESOURCE_CLOSED'));
    await expect(engine.connect()).rejects.toThrow(typedError('RESOURCE_CLOSED'));
    expect(() => engine.registerScalarFunction('x')).toThrow(typedError('RESOURCE_CLOSED'));
  });
});
