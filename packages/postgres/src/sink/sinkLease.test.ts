/**
 * Lease fencing of the PostgreSQL sink (`fence` option): the token checked inside each transaction,
 * no session lock under a lease (a new owner starts while the old session lives), a writer paused
 * inside its transaction, the in-memory handoff of a fenced writer, and interleavings of lease moves
 * and deliveries — against the package's shared server, with a lease table shaped as the fleet's.
 */
import { isReloadError } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql, testDatabase } from '../__tests__/testServer.js';
import { batch, codeOf, countingPg, ranges, writerBackends } from './__tests__/sinkFixtures.js';
import { createLeaseTable, holdAfterLeaseCheck, leaseRowFree, moveLease, until } from './__tests__/leaseFixtures.js';
import { postgresCdcOutput } from './postgresCdcOutput.js';
import type { PostgresCdcStream } from './postgresCdcStream.js';
import type { PostgresCdcOutputOptions } from './sinkOptions.js';
import { readPostgresSink } from './readPostgresSink.js';

let url: string;
let outputs = 0;

beforeAll(async () => {
  url = await testDatabase('sink_lease');
  await createLeaseTable(url);
});

/**
 * "Process `n`": the holders registry of this process is keyed by URL, so a URL that differs in a
 * harmless parameter is not recognised as the same sink (and keeps the writer's application name).
 */
const processUrl = (n: number): string => {
  const other = new URL(url);
  other.searchParams.set('connect_timeout', String(30 + n));
  return other.href;
};

/** A fresh output and lease stream; `fenced(token)` makes a provider of it fenced by `token` ("process 1"). */
function place() {
  const output = `leased_${outputs++}`;
  const stream = `stream_${output}`;
  const fenced = (token: bigint | (() => bigint), extra: Partial<PostgresCdcOutputOptions> = {}) =>
    postgresCdcOutput({ name: 'pg-sink', url: processUrl(1), output, fence: { stream, token }, ...extra });
  return { output, stream, fenced };
}

/** Advisory locks held by the writers of `output` (none under a lease). */
const advisoryLocksOf = async (output: string): Promise<number> => {
  const [row] = await sql<{ n: number }>(
    url,
    `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND a.application_name LIKE $1`,
    [`baton sink ${output} %`],
  );
  return row!.n;
};

describe('postgresCdcOutput({ fence }): the lease token checked in every transaction', () => {
  it('a zombie writer (its lease moved on, its session alive) writes nothing; the new owner starts at once', async () => {
    const { output, stream, fenced } = place();
    const tokenA = await moveLease(url, stream, 'a');
    const a = await fenced(tokenA).start({});
    expect(a.leaseToken).toBe(tokenA);
    await a.deliver(batch(0));
    expect(await advisoryLocksOf(output)).toBe(0); // the lease is the lock

    // A is paused: its connection stays open. Its lease expires and B acquires it (token bumped).
    const tokenB = await moveLease(url, stream, 'b');
    // A wakes before B even started: its generation is still the sink's, but its token is stale —
    // refused inside its transaction, and from then on without a query.
    const refused = await a.deliver(batch(1)).catch((e: unknown) => e);
    expect(isReloadError(refused) && refused.code).toBe('LOCKED');
    expect(refused).toMatchObject({
      kind: 'cdcOutput',
      step: 'deliver',
      details: { fenced: true, leaseToken: tokenB },
    });
    expect((refused as Error).message).toMatch(
      new RegExp(
        `lease token ${tokenA} of stream '${stream}'\\) was fenced off: the lease is now token ${tokenB}, held by 'b'`,
      ),
    );
    expect(await codeOf(a.deliver(batch(2)))).toBe('LOCKED');
    expect(await codeOf(a.checkpoint())).toBe('LOCKED');
    const b = await fenced(() => tokenB, { url }).start({}); // not LOCKED by A's live session
    expect(await writerBackends(url, output)).toHaveLength(2);
    expect(b.generation).toBe(a.generation + 1n);
    await b.deliver(batch(1));
    await a.shutdown();
    await b.deliver(batch(2));
    expect(await b.checkpoint()).toBe(3n);
    await b.shutdown();
    expect(await ranges(url, output)).toEqual(['0-1:1', '1-2:2', '2-3:2']);
  });

  it('the lease check costs a deliver or checkpoint no round trip: as many queries as without a fence', async () => {
    const { output, stream, fenced } = place();
    const plain = await postgresCdcOutput({ name: 'plain', url, output: `${output}_plain` }).start({});
    const leased = await fenced(await moveLease(url, stream, 'a')).start({});
    const queriesOf = async (writer: PostgresCdcStream): Promise<number> => {
      const counted = await countingPg(async () => {
        await writer.deliver(batch(0));
        await writer.deliver(batch(1, 3));
        return writer.checkpoint();
      });
      expect(counted.result).toBe(4n);
      return counted.queries;
    };
    const withoutFence = await queriesOf(plain);
    expect(withoutFence).toBeGreaterThan(0);
    expect(await queriesOf(leased)).toBe(withoutFence);
    await plain.shutdown();
    await leased.shutdown();
  });

  it('a stale, released or missing lease claims nothing at start; a missing table or bad token is INVALID_ARGUMENT', async () => {
    const { output, stream, fenced } = place();
    expect(await codeOf(fenced(1n).start({}))).toBe('LOCKED'); // no lease row yet
    const first = await moveLease(url, stream, 'a');
    await moveLease(url, stream, 'b');
    expect(await codeOf(fenced(first).start({}))).toBe('LOCKED'); // stale
    await sql(url, `UPDATE baton_fleet.cdc_leases SET owner = NULL WHERE stream = $1`, [stream]);
    const released = await fenced(first + 1n)
      .start({})
      .catch((e: unknown) => e);
    expect((released as Error).message).toMatch(/the lease was released \(token 2\)/);
    // Nothing was claimed: no offsets row was bumped, no session is left.
    expect(await sql(url, `SELECT generation FROM baton_cdc_offsets WHERE output = $1`, [output])).toEqual([]);
    expect(await writerBackends(url, output)).toEqual([]);

    const noTable = postgresCdcOutput({ name: 'x', url, output, fence: { stream, token: 1n, table: 'no_such' } });
    expect(await codeOf(noTable.start({}))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(fenced(() => 0n).start({}))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(fenced((() => 'x') as never).start({}))).toBe('INVALID_ARGUMENT');
    const bad = [
      { stream: '', token: 1n },
      { stream, token: 0n },
      { stream, token: 1 },
      { stream, token: 1n, schema: 'Bad' },
      { stream, token: 1n, idleInTransactionTimeoutMs: -1 },
      { stream, token: 1n, extra: true },
      null,
    ];
    for (const fence of bad)
      expect(await codeOf(Promise.resolve().then(() => postgresCdcOutput({ name: 'x', url, fence } as never)))).toBe(
        'INVALID_ARGUMENT',
      );
  });

  it('a fenced start is LOCKED while a writer without a fence holds the output', async () => {
    const { output, stream, fenced } = place();
    const plain = await postgresCdcOutput({ name: 'plain', url, output }).start({});
    const token = await moveLease(url, stream, 'a');
    const refused = await fenced(token)
      .start({})
      .catch((e: unknown) => e);
    expect(isReloadError(refused) && refused.code).toBe('LOCKED');
    expect((refused as Error).message).toMatch(/held by another live writer/);
    await plain.shutdown();
    const stream2 = await fenced(token).start({});
    await stream2.deliver(batch(0));
    await stream2.shutdown();
    expect(await ranges(url, output)).toEqual(['0-1:2']);
  });

  it('a writer paused inside its transaction: the server ends its session, the new owner writes, the zombie nothing', async () => {
    const { output, stream, fenced } = place();
    const tokenA = await moveLease(url, stream, 'a');
    const a = await postgresCdcOutput({
      name: 'pg-sink',
      url,
      output,
      fence: { stream, token: tokenA, idleInTransactionTimeoutMs: 300 },
    }).start({});
    await a.deliver(batch(0));
    const pause = holdAfterLeaseCheck(output);
    const stuck = codeOf(a.deliver(batch(1)));
    await pause.held;
    // Its transaction holds the lease row: an acquire cannot take it (it waits, or is LOCKED).
    expect(await leaseRowFree(url, stream)).toBe(false);
    // The server ends the idle-in-transaction session; the row is free again, and B takes the lease.
    await until('the paused session was ended', () => leaseRowFree(url, stream));
    const tokenB = await moveLease(url, stream, 'b');
    const b = await fenced(tokenB).start({});
    await b.deliver(batch(1));
    pause.resume();
    expect(await stuck).toBe('IO_FAILED'); // its session is gone; nothing of it committed
    expect(await codeOf(a.deliver(batch(1)))).toBe('LOCKED'); // reconnected: fenced by the token
    await a.shutdown();
    await b.shutdown();
    expect(await ranges(url, output)).toEqual(['0-1:1', '1-2:2']);
  });
});

describe('postgresCdcOutput({ fence }): the in-memory handoff', () => {
  it('hands over under postgres-sink-fenced/1 with the token; a newer owner fences the adopter', async () => {
    const { output, stream, fenced } = place();
    const token = await moveLease(url, stream, 'a');
    const old = await fenced(token).start({});
    await old.deliver(batch(0));
    const takeover = await old.detach();
    expect(takeover.layout).toBe('postgres-sink-fenced/1');
    expect((takeover.state as { lease: unknown }).lease).toEqual({
      schema: 'baton_fleet',
      table: 'cdc_leases',
      stream,
      token,
    });
    // Read only by a provider configured alike: one without a fence does not know the layout.
    expect(await postgresCdcOutput({ name: 'pg-sink', url: processUrl(1), output }).adopt(takeover)).toBeUndefined();
    const otherLease = postgresCdcOutput({
      name: 'pg-sink',
      url: processUrl(1),
      output,
      fence: { stream: 'another', token },
    });
    expect(await codeOf(otherLease.adopt(takeover))).toBe('INVALID_ARGUMENT');
    const adopted = (await fenced(() => 999n).adopt(takeover))!; // keeps the writer's token
    expect([adopted.leaseToken, adopted.generation]).toEqual([token, old.generation]);
    await adopted.deliver(batch(1));
    await moveLease(url, stream, 'b');
    expect(await codeOf(adopted.deliver(batch(2)))).toBe('LOCKED');
    await adopted.shutdown();
    expect(await writerBackends(url, output)).toEqual([]);
    expect(await ranges(url, output)).toEqual(['0-1:1', '1-2:1']);
  });

  it('a provider with a fence does not read an unfenced takeover (the reload starts anew)', async () => {
    const { output, fenced } = place();
    const old = await postgresCdcOutput({ name: 'pg-sink', url: processUrl(1), output }).start({});
    const takeover = await old.detach();
    expect(await fenced(1n).adopt(takeover)).toBeUndefined();
    expect(await takeover.close()).toBe(0n);
  });
});

/** One step of the interleaving property: a lease move to a writer (which then starts), or a delivery. */
type Step = { readonly move: number } | { readonly deliver: number };

describe('postgresCdcOutput({ fence }): lease moves and deliveries interleaved', () => {
  test.prop(
    [
      fc.array(
        fc.array(fc.oneof(fc.record({ move: fc.nat(2) }), fc.record({ deliver: fc.nat(2) })), {
          minLength: 1,
          maxLength: 3,
        }),
        { minLength: 2, maxLength: 7 },
      ),
      fc.scheduler(),
    ],
    { numRuns: 10 },
  )(
    'only the writer holding the current token writes; each batch once; tokens never go back along the log',
    async (rounds, s) => {
      const { output, stream, fenced } = place();
      const writers: (PostgresCdcStream | undefined)[] = [undefined, undefined, undefined];
      const tokens = new Map<bigint, bigint>(); // generation → the token it started under
      /** Writer i moves the lease to itself and starts under the new token. */
      const move = async (i: number) => {
        await writers[i]?.shutdown();
        const token = await moveLease(url, stream, `w${i}`);
        // A start races the moves running with it: under a token already stale it claims nothing.
        const started = await fenced(token, { url: processUrl(i) })
          .start({})
          .catch((error: unknown) => {
            expect(error).toMatchObject({ code: 'LOCKED', details: { fenced: true } });
          });
        if (!started) return;
        writers[i] = started;
        tokens.set(started.generation, token);
      };
      /** Writer i delivers the batch after what it believes the sink holds. */
      const deliver = async (i: number) => {
        const writer = writers[i];
        if (!writer) return;
        const from = Number(writer.position);
        const current = await sql<{ token: string }>(
          url,
          `SELECT token::text AS token FROM baton_fleet.cdc_leases WHERE stream = $1`,
          [stream],
        );
        const result = await codeOf(writer.deliver(batch(from)));
        // A writer whose token was already stale before the call started never writes (RESOURCE_CLOSED:
        // its own move shut it down meanwhile).
        if (current[0]?.token !== String(writer.leaseToken)) expect(['LOCKED', 'RESOURCE_CLOSED']).toContain(result);
        else expect(['resolved', 'LOCKED', 'RESOURCE_CLOSED']).toContain(result);
      };
      await move(0);
      for (const round of rounds) {
        // The steps of a round run concurrently; the scheduler picks the order they are sent in.
        const runs = round.map((step: Step) =>
          s
            .schedule(Promise.resolve(), JSON.stringify(step))
            .then(() => ('move' in step ? move(step.move) : deliver(step.deliver))),
        );
        await s.waitIdle();
        await Promise.all(runs);
      }
      for (const writer of writers) await writer?.shutdown();
      const held = (await readPostgresSink({ name: 'check', url, output })).batches;
      // Each LSN once, contiguous from 0: nothing written twice, nothing skipped.
      expect(held.map((b) => b.lsnStart)).toEqual(held.map((_, i) => BigInt(i)));
      // Along the log, the tokens the writers held never decrease: no stale writer wrote after a newer one.
      const along = held.map((b) => tokens.get(b.generation)!);
      expect(along).toEqual([...along].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)));
    },
    60_000,
  );
});
