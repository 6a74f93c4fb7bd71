import { describe, expect, it } from 'vitest';
import { BIGINT, VARCHAR } from '@duckdb/node-api';
import { Float64, Int64, Utf8, vectorFromArray } from 'apache-arrow';
import { ReloadError } from '@baton/core';
import { lowerFunction } from '@baton/kinds';
import { engineWith, pluginOf, scalar, typedError, versionFunction } from './__tests__/engineFixtures.js';

describe('scalar entry points', () => {
  it('are registered once and route each query to the version serving when it starts', async () => {
    await using fixture = await engineWith(pluginOf('p', '1.0.0', versionFunction('1.0.0')));
    const { engine, host } = fixture;
    expect(engine.registerScalarFunction('plugin_version')).toEqual({
      name: 'plugin_version',
      kind: 'scalarFunction',
      key: 'plugin_version',
      signature: '(BIGINT) → VARCHAR',
    });
    await using connection = await engine.connect();
    const versions = async (): Promise<unknown[]> =>
      (await connection.runAndReadAll('SELECT DISTINCT plugin_version(x) FROM range(5000) t(x)')).getRows().flat();
    expect(await versions()).toEqual(['1.0.0']);
    const reload = await host.reload(pluginOf('p', '2.0.0', versionFunction('2.0.0')));
    await reload.retired;
    expect(await versions()).toEqual(['2.0.0']);
    // A second connection sees the same entry point without registering it again.
    await using other = await engine.connect();
    expect((await other.runAndReadAll('SELECT plugin_version(1)')).getRows()).toEqual([['2.0.0']]);
  });

  it('fails the query with the provider error, typed, and the connection goes on', async () => {
    const boom = scalar('boom', [new Float64()], new Float64(), () => {
      throw new TypeError('kaboom');
    });
    const typed = scalar('typed', [new Float64()], new Float64(), () => {
      throw new ReloadError({ code: 'CORRUPT_INPUT', phase: 'call', message: 'bad row' });
    });
    const later = scalar('later', [new Float64()], new Float64(), ([x]) => Promise.resolve(x));
    const short = scalar('short', [new Float64()], new Float64(), () => vectorFromArray([1], new Float64()));
    const wrong = scalar('wrong', [new Float64()], new Float64(), ([x]) =>
      vectorFromArray(
        Array.from({ length: x!.length }, () => 'x'),
        new Utf8(),
      ),
    );
    const plain = scalar('plain', [new Float64()], new Float64(), () => [1]);
    await using fixture = await engineWith(
      pluginOf('p', '1.0.0', boom, typed, later, short, wrong, plain, lowerFunction()),
    );
    for (const name of ['boom', 'typed', 'later', 'short', 'wrong', 'plain', 'lower'])
      fixture.engine.registerScalarFunction(name);
    await using connection = await fixture.engine.connect();
    const run = (sql: string): Promise<unknown> => connection.runAndReadAll(sql);
    await expect(run('SELECT boom(x) FROM range(10) t(x)')).rejects.toThrow(
      typedError('PROVIDER_FAILED', "scalarFunction 'boom' (p 1.0.0): invoke() failed: kaboom"),
    );
    await expect(run('SELECT boom(x) FROM range(10) t(x)')).rejects.toMatchObject({ cause: expect.any(TypeError) });
    await expect(run('SELECT typed(1)')).rejects.toThrow(typedError('CORRUPT_INPUT', 'bad row'));
    await expect(run('SELECT later(1)')).rejects.toThrow(typedError('INVALID_PROVIDER', 'returned a promise'));
    await expect(run('SELECT short(x) FROM range(3) t(x)')).rejects.toThrow(
      typedError('INVALID_PROVIDER', 'returned 1 rows for 3 input rows'),
    );
    await expect(run('SELECT wrong(1)')).rejects.toThrow(typedError('INVALID_PROVIDER', 'returned Utf8'));
    await expect(run('SELECT plain(1)')).rejects.toThrow(typedError('INVALID_PROVIDER', 'not return an Arrow vector'));
    await expect(run('SELEC 1')).rejects.toThrow(typedError('INVALID_ARGUMENT', 'Parser Error'));
    expect((await connection.runAndReadAll("SELECT lower('OK')")).getRows()).toEqual([['ok']]);
  });

  it('fails queries on a version whose declared types no longer match the entry point', async () => {
    await using fixture = await engineWith(pluginOf('p', '1.0.0', versionFunction('1.0.0')));
    const { engine, host } = fixture;
    engine.registerScalarFunction('plugin_version');
    const changed = scalar('plugin_version', [new Int64()], new Int64(), ([x]) => x);
    await host.reload(pluginOf('p', '2.0.0', changed));
    await using connection = await engine.connect();
    await expect(connection.runAndReadAll('SELECT plugin_version(1)')).rejects.toThrow(
      typedError(
        'INVALID_PROVIDER',
        'declared (BIGINT) → BIGINT, but the DuckDB entry point was registered as (BIGINT) → VARCHAR',
      ),
    );
  });

  it('refuses calls from a connection the engine did not make, and bad registrations', async () => {
    await using fixture = await engineWith(pluginOf('p', '1.0.0', versionFunction('1.0.0')));
    const { engine } = fixture;
    engine.registerScalarFunction('plugin_version');
    const raw = await engine.instance.connect();
    await expect(raw.run('SELECT plugin_version(1)')).rejects.toThrow(/Baton entry point.*BatonConnection/);
    raw.disconnectSync();
    expect(() => engine.registerScalarFunction('plugin_version')).toThrow(
      typedError('INVALID_ARGUMENT', 'already registered'),
    );
    expect(() => engine.registerScalarFunction('plugin_version', { name: 'bad name;' })).toThrow(
      typedError('INVALID_ARGUMENT', 'not a function name'),
    );
    expect(() => engine.registerScalarFunction('missing')).toThrow(typedError('INVALID_ARGUMENT', 'no loaded plugin'));
    // A surface nobody serves yet can be registered with explicit types; calls fail until a plugin provides it.
    engine.registerScalarFunction('missing', { parameterTypes: [BIGINT], returnType: VARCHAR });
    await using connection = await engine.connect();
    await expect(connection.runAndReadAll('SELECT missing(1)')).rejects.toThrow(typedError('SURFACE_NOT_FOUND'));
    await fixture.host.load(pluginOf('q', '1.0.0', { ...versionFunction('q'), name: 'missing' }));
    expect((await connection.runAndReadAll('SELECT missing(1)')).getRows()).toEqual([['q']]);
  });

  it('interrupts a query when its signal aborts, typed ABORTED, and releases its leases', async () => {
    const controller = new AbortController();
    let chunks = 0;
    await using fixture = await engineWith(
      pluginOf(
        'p',
        '1.0.0',
        versionFunction('1.0.0', () => {
          if (++chunks === 2) controller.abort(new Error('user cancelled'));
        }),
      ),
    );
    fixture.engine.registerScalarFunction('plugin_version');
    await using connection = await fixture.engine.connect();
    await expect(
      connection.runAndReadAll('SELECT count(plugin_version(x)) FROM range(10000000) t(x)', undefined, {
        signal: controller.signal,
      }),
    ).rejects.toThrow(typedError('ABORTED'));
    const reload = await fixture.host.reload(pluginOf('p', '2.0.0', versionFunction('2.0.0')));
    await reload.retired; // the aborted query held no lease any more
    await expect(connection.runAndReadAll('SELECT 1', undefined, { signal: AbortSignal.abort() })).rejects.toThrow(
      typedError('ABORTED'),
    );
  });
});
