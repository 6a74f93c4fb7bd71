/**
 * The in-memory handoff of a PostgreSQL sink writer: `detach` on one provider's stream, `adopt` on a
 * second provider of the same output (as a new plugin version would make it), `close` when nobody
 * adopts — against the package's shared server.
 */
import type { CdcTakeover } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { sql, testDatabase } from '../__tests__/testServer.js';
import {
  batch,
  batches,
  codeOf,
  countingPg,
  elsewhere,
  ranges,
  withinOneTurn,
  writerBackends,
} from './__tests__/sinkFixtures.js';
import { postgresCdcOutput } from './postgresCdcOutput.js';
import { PostgresCdcStream } from './postgresCdcStream.js';
import type { PostgresCdcOutputOptions } from './sinkOptions.js';
import { readPostgresSink } from './readPostgresSink.js';

let url: string;
let outputs = 0;

beforeAll(async () => {
  url = await testDatabase('takeover');
});

const options = (extra: Partial<PostgresCdcOutputOptions> = {}): PostgresCdcOutputOptions => ({
  name: 'pg-sink',
  url,
  output: `out_${outputs++}`,
  ...extra,
});

describe('PostgresCdcStream.detach → postgresCdcOutput(...).adopt', () => {
  test.prop(
    [
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 4 }),
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      fc.boolean(),
    ],
    { numRuns: 6 },
  )(
    'a second provider of the output continues the writer without a query; every batch once, in order',
    async (before, after, pipelined) => {
      const opts = options();
      const all = batches([...before, ...after]);
      const old = await postgresCdcOutput(opts).start({});
      const [backend] = await writerBackends(url, opts.output!);
      let takeover: CdcTakeover;
      if (pipelined) {
        // Deliveries not awaited, then detach: it runs after them, in call order.
        const delivered = all.slice(0, before.length).map((b) => old.deliver(b));
        takeover = await old.detach();
        await Promise.all(delivered);
      } else {
        for (const b of all.slice(0, before.length)) await old.deliver(b);
        const quiet = await countingPg(() => withinOneTurn(() => old.detach()));
        expect({ queries: quiet.queries, connects: quiet.connects, turned: quiet.result.turned }).toEqual({
          queries: 0,
          connects: 0,
          turned: false,
        });
        takeover = quiet.result.result;
      }
      const through = before.length === 0 ? 0n : all[before.length - 1]!.lsnEnd;
      expect([takeover.output, takeover.layout, takeover.lsn]).toEqual(['pg-sink', 'postgres-sink/1', through]);

      const next = postgresCdcOutput({ ...opts }); // as the new version makes it
      const adopted = await countingPg(() => withinOneTurn(() => next.adopt(takeover)));
      expect({ queries: adopted.queries, connects: adopted.connects, turned: adopted.result.turned }).toEqual({
        queries: 0,
        connects: 0,
        turned: false,
      });
      const stream = adopted.result.result!;
      expect([stream.position, stream.generation]).toEqual([through, old.generation]);

      // The detached stream is closed for good, and its shutdown lets go of nothing.
      expect(await codeOf(old.deliver(all[before.length]!))).toBe('RESOURCE_CLOSED');
      expect(await codeOf(old.checkpoint())).toBe('RESOURCE_CLOSED');
      expect(await codeOf(old.detach())).toBe('RESOURCE_CLOSED');
      await old.shutdown();
      // Another process still finds the sink locked: the lock moved with the session.
      expect(await codeOf(postgresCdcOutput({ ...opts, url: elsewhere(url) }).start({}))).toBe('LOCKED');

      if (before.length > 0) await stream.deliver(all[before.length - 1]!); // a re-delivery: skipped
      for (const b of all.slice(before.length)) await stream.deliver(b);
      expect(await stream.checkpoint()).toBe(all.at(-1)!.lsnEnd);
      expect(await writerBackends(url, opts.output!)).toEqual([backend]); // the same session all along
      await stream.shutdown();
      expect(await writerBackends(url, opts.output!)).toEqual([]);
      expect(await ranges(url, opts.output!)).toEqual(all.map((b) => `${b.lsnStart}-${b.lsnEnd}:${old.generation}`));
    },
    60_000,
  );

  it('refuses a takeover of another output with INVALID_ARGUMENT and writes nothing; another layout is undefined', async () => {
    const opts = options();
    const old = await postgresCdcOutput(opts).start({});
    await old.deliver(batch(0, 2));
    expect(await codeOf(old.detach({ signal: AbortSignal.abort() }))).toBe('ABORTED'); // nothing changes
    expect(await codeOf(old.detach(null as never))).toBe('INVALID_ARGUMENT');
    const takeover = await old.detach();
    const other = { schema: 'other_schema', tablePrefix: 'other_prefix', output: `${opts.output!}_other` };
    const wrong = [
      postgresCdcOutput({ ...opts, name: 'another-name' }),
      postgresCdcOutput({ ...opts, output: other.output }),
      postgresCdcOutput({ ...opts, schema: other.schema }),
      postgresCdcOutput({ ...opts, tablePrefix: other.tablePrefix }),
      postgresCdcOutput({ ...opts, url: url.replace(/\/[^/?]+(\?|$)/, '/another_database$1') }),
    ];
    for (const provider of wrong) {
      const error = await provider.adopt(takeover).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', kind: 'cdcOutput', step: 'adopt' });
      expect((error as Error).message).toMatch(/nothing was taken over/);
    }
    const next = postgresCdcOutput(opts);
    // A copy with a field changed is not the takeover its holder was made with; a wrong LSN is refused.
    const forged = { ...takeover, state: { ...(takeover.state as object), generation: 99n } };
    expect(await codeOf(next.adopt(forged))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(next.adopt({ ...takeover, lsn: 1n }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(next.adopt({ ...takeover, state: null }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(next.adopt(null as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(next.adopt(takeover, null as never))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(next.adopt(takeover, { signal: AbortSignal.abort() }))).toBe('ABORTED');
    expect(await next.adopt({ ...takeover, layout: 'postgres-sink/2' })).toBeUndefined();
    expect(await next.adopt({ ...takeover, layout: 'file-cdc/1' })).toBeUndefined();
    // Nothing reached the other tables or output.
    const [tables] = await sql<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 OR tablename LIKE $2`,
      [other.schema, `${other.tablePrefix}%`],
    );
    expect(tables!.n).toBe(0);
    expect(await readPostgresSink({ name: 'check', url, output: other.output })).toEqual({
      checkpoint: undefined,
      batches: [],
    });
    // Still open: the right provider adopts it, once.
    const stream = (await next.adopt(takeover))!;
    expect(await codeOf(next.adopt(takeover))).toBe('RESOURCE_CLOSED');
    expect(await codeOf(takeover.close())).toBe('RESOURCE_CLOSED');
    await stream.deliver(batch(2));
    await stream.shutdown();
    expect(await ranges(url, opts.output!)).toEqual(['0-2:1', '2-3:1']);
  });

  it('close() releases the lock and ends the session, returning the position; then adopt and close are RESOURCE_CLOSED', async () => {
    const opts = options();
    const old = await postgresCdcOutput(opts).start({});
    await old.deliver(batch(0, 3));
    const takeover = await old.detach();
    expect(await codeOf(postgresCdcOutput({ ...opts, url: elsewhere(url) }).start({}))).toBe('LOCKED');
    expect(await codeOf(takeover.close({ signal: AbortSignal.abort() }))).toBe('ABORTED'); // and still open
    expect(await takeover.close()).toBe(3n);
    expect(await writerBackends(url, opts.output!)).toEqual([]);
    expect(await codeOf(postgresCdcOutput(opts).adopt(takeover))).toBe('RESOURCE_CLOSED');
    expect(await codeOf(takeover.close())).toBe('RESOURCE_CLOSED');
    // Another process's writer can start now, where the closed takeover stood.
    const next = await postgresCdcOutput({ ...opts, url: elsewhere(url) }).start({ fromLsn: 3n });
    expect([next.position, next.generation]).toEqual([3n, 2n]);
    await next.deliver(batch(3));
    await next.shutdown();
    expect(await ranges(url, opts.output!)).toEqual(['0-3:1', '3-4:2']);
  });

  it('a writer whose connection was lost still hands over: the adopter reconnects with the same generation', async () => {
    const opts = options();
    const old = await postgresCdcOutput(opts).start({});
    await old.deliver(batch(0));
    const [first] = await writerBackends(url, opts.output!);
    await sql(url, 'SELECT pg_terminate_backend($1)', [first]);
    expect(await codeOf(old.deliver(batch(1)))).toBe('IO_FAILED'); // the loss is noticed: no client now
    const noticed = await old.detach();
    expect((noticed.state as { client: unknown }).client).toBeNull();
    const middle = (await postgresCdcOutput(opts).adopt(noticed))!;
    await middle.deliver(batch(1)); // reconnects, takes the lock again
    const [second] = await writerBackends(url, opts.output!);
    expect(second).not.toBe(first);
    // A loss not noticed before the detach: the adopter's first call fails, its next one reconnects.
    await sql(url, 'SELECT pg_terminate_backend($1)', [second]);
    const last = (await postgresCdcOutput(opts).adopt(await middle.detach()))!;
    expect(await codeOf(last.deliver(batch(2)))).toBe('IO_FAILED');
    await last.deliver(batch(2));
    await last.shutdown();
    expect(await ranges(url, opts.output!)).toEqual(['0-1:1', '1-2:1', '2-3:1']);
  });

  it('a newer start in this process fences a pending takeover; a detached-then-fenced writer writes nothing', async () => {
    const opts = options();
    const provider = postgresCdcOutput(opts);
    const old = await provider.start({});
    await old.deliver(batch(0));
    const takeover = await old.detach();
    const newer = await provider.start({}); // not LOCKED: the takeover let go of the lock
    expect(newer.generation).toBe(old.generation + 1n);
    expect(await codeOf(postgresCdcOutput(opts).adopt(takeover))).toBe('RESOURCE_CLOSED');
    expect(await codeOf(takeover.close())).toBe('RESOURCE_CLOSED');
    await newer.deliver(batch(1));
    // And an adopted stream is fenced by a newer start like any other.
    const adopted = (await postgresCdcOutput(opts).adopt(await newer.detach()))!;
    const newest = await provider.start({});
    expect(await codeOf(adopted.deliver(batch(2)))).toBe('LOCKED');
    await newest.deliver(batch(2));
    await newest.shutdown();
    await adopted.shutdown();
    expect(await ranges(url, opts.output!)).toEqual(['0-1:1', '1-2:2', '2-3:3']);
  });

  it('two copies of the package in one process: each adopts the other’s writer, and a start of either fences the other', async () => {
    vi.resetModules(); // a second module graph, as a new plugin version's copy of @baton/postgres
    const copy = await import('./postgresCdcOutput.js');
    expect(copy.postgresCdcOutput).not.toBe(postgresCdcOutput);
    const opts = options();
    const old = await postgresCdcOutput(opts).start({});
    await old.deliver(batch(0));
    const moved = (await copy.postgresCdcOutput(opts).adopt(await old.detach()))!;
    expect(moved).not.toBeInstanceOf(PostgresCdcStream); // the copy's class: nothing relies on instanceof
    await moved.deliver(batch(1));
    const back = (await postgresCdcOutput(opts).adopt(await moved.detach()))!;
    await back.deliver(batch(2));
    // One registry for both copies: the copy's start fences this copy's stream (not LOCKED by it).
    const newer = await copy.postgresCdcOutput(opts).start({});
    expect(await codeOf(back.deliver(batch(3)))).toBe('LOCKED');
    await newer.deliver(batch(3));
    await newer.shutdown();
    expect(await ranges(url, opts.output!)).toEqual(['0-1:1', '1-2:1', '2-3:1', '3-4:2']);
  });

  test.prop([fc.constantFrom(0, 1, 2, 3, 4, 5), fc.integer({ min: 1, max: 3 })], { numRuns: 6 })(
    'racing adopters (two copies of the package) and a close: the first one called takes the takeover, the others are RESOURCE_CLOSED; every batch once',
    async (order, rows) => {
      vi.resetModules();
      const copy = await import('./postgresCdcOutput.js');
      const opts = options();
      const old = await postgresCdcOutput(opts).start({});
      await old.deliver(batch(0, rows));
      const takeover = await old.detach();
      const contenders = {
        adopt: () => postgresCdcOutput(opts).adopt(takeover),
        'adopt (copy)': () => copy.postgresCdcOutput(opts).adopt(takeover),
        close: async () => await takeover.close(),
      };
      const names = Object.keys(contenders) as (keyof typeof contenders)[];
      const permutations = names.flatMap((a) =>
        names.flatMap((b) => names.filter((c) => c !== a && c !== b && a !== b).map((c) => [a, b, c])),
      );
      const called = permutations[order]!;
      // All called at once, none awaited before the others: exactly the first one wins.
      const settled = await Promise.allSettled(called.map((name) => contenders[name]()));
      expect(settled.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code?: string }).code))).toEqual([
        'ok',
        'RESOURCE_CLOSED',
        'RESOURCE_CLOSED',
      ]);
      const winner = (settled[0] as PromiseFulfilledResult<unknown>).value;
      const next =
        called[0] === 'close'
          ? await postgresCdcOutput({ ...opts, url: elsewhere(url) }).start({ fromLsn: winner as bigint })
          : (winner as PostgresCdcStream);
      if (called[0] === 'close') expect(winner).toBe(BigInt(rows));
      await next.deliver(batch(rows));
      await next.shutdown();
      const generation = called[0] === 'close' ? 2 : 1;
      expect(await ranges(url, opts.output!)).toEqual([`0-${rows}:1`, `${rows}-${rows + 1}:${generation}`]);
    },
    60_000,
  );
});
