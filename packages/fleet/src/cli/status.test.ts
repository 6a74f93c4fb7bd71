import { beforeAll, describe, expect, it } from 'vitest';
import { isReloadError } from '@baton/core';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { enginePlugin } from '../rollout/__tests__/fleetFixtures.js';
import { startFleet } from '../rollout/__tests__/fleetHarness.js';
import { FleetCoordinator } from '../rollout/fleetCoordinator.js';
import { ensureFleetSchema } from '../store/fleetSchema.js';
import { readFleetStatus } from './fleetStatus.js';
import { formatFleetStatus } from './formatStatus.js';
import { main } from './main.js';

let url: string;
beforeAll(async () => {
  url = await testDatabase('fleet_status');
});

const request = {
  plugin: 'engine',
  from: { version: '1.0.0' },
  to: { version: '2.0.0' },
  policy: { gateWaitMs: 30, staleAfterMs: 2000, stepTimeoutMs: 10_000, canary: 1, maxUnavailable: 2 },
};

describe('baton-fleet status', () => {
  it('shows a finished rollout (all members moved, its steps) and the members on the new version, live', async () => {
    const schema = 'status_done';
    await using _fleet = await startFleet(url, schema, ['m1', 'm2', 'm3']);
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 200 });
    const outcome = await coordinator.rollout(request);
    expect(outcome.status).toBe('done');
    await using client = await connect(url);
    const status = await readFleetStatus(client, { schema });
    expect(status.rollouts).toHaveLength(1);
    expect(status.rollouts[0]).toMatchObject({ moved: 3, planned: 3, stepsDone: 2, rolledBack: 0 });
    expect(status.members.map((m) => [m.id, m.live])).toEqual([
      ['m1', true],
      ['m2', true],
      ['m3', true],
    ]);
    const lines = formatFleetStatus(status, 10);
    expect(lines[0]).toMatch(/^rollout \d+ {2}engine 1\.0\.0 → 2\.0\.0 \(reload\) {2}DONE/);
    expect(lines[1]).toBe('  [##########] 3/3 members moved · step 2/2 done');
    expect(lines[2]).toMatch(/^ {2}canary: m1 done pause \d/);
    expect(lines[3]).toMatch(/^ {2}step 2: m2 done pause .* · m3 done pause /);
    expect(lines).toContain('members (3 live of 3)');

    const printed: string[] = [];
    expect(await main(['status', '--url', url, '--schema', schema], (l) => printed.push(l))).toBe(0);
    expect(printed.slice(0, 2)).toEqual(formatFleetStatus(status).slice(0, 2));
  });

  it('shows a halted rollout: what failed, and the members rolled back', async () => {
    const schema = 'status_halted';
    await using _fleet = await startFleet(url, schema, ['m1', 'm2'], {
      loaders: {
        m2: async (artifact) =>
          enginePlugin(artifact.version, { fail: artifact.version === '2.0.0' ? 'register' : undefined }),
      },
    });
    await using coordinator = await FleetCoordinator.open({ url, schema, pollMs: 200 });
    const outcome = await coordinator.rollout(request);
    expect(outcome.status).toBe('halted');
    await using client = await connect(url);
    const lines = formatFleetStatus(await readFleetStatus(client, { schema }), 4);
    expect(lines[0]).toMatch(/HALTED/);
    expect(lines[1]).toBe('  [##..] 1/2 members moved · step 1/2 done · 1 rolled back');
    expect(lines.find((l) => l.startsWith('  halted: '))).toContain('commandFailed');
    expect(lines.find((l) => l.startsWith('  step 2: '))).toMatch(/m2 failed [A-Z_]+/);
    expect(lines.find((l) => l.startsWith('  canary: '))).toMatch(/m1 done .*, rollback done/);
  });

  it('--watch redraws until its signal aborts, then exits 0', async () => {
    const schema = 'status_watch';
    await using client = await connect(url);
    await ensureFleetSchema(client, { schema });
    const clear = '\x1b[2J\x1b[H';
    const printed: string[] = [];
    const stop = new AbortController();
    const print = (line: string): void => {
      if (line === clear && printed.includes(clear)) stop.abort(); // the second frame begins: the last one
      printed.push(line);
    };
    const argv = ['status', '--url', url, '--schema', schema, '--watch', '100'];
    expect(await main(argv, print, undefined, stop.signal)).toBe(0);
    const frame = [clear, 'no rollout yet', 'members (0 live of 0)'];
    expect(printed).toEqual([...frame, ...frame]);
  });

  it('refuses a bad number of rollouts with a typed error, before any query', async () => {
    const untouched = {
      query: (): never => {
        throw new Error('no query expected');
      },
    };
    for (const rollouts of [0, 1.5, 1001]) {
      const error: unknown = await readFleetStatus(untouched, { rollouts }).catch((e: unknown) => e);
      expect(isReloadError(error) && error.code).toBe('INVALID_ARGUMENT');
      expect((error as Error).message).toContain(`rollouts must be a whole number from 1 to 1000 (got ${rollouts})`);
    }
  });

  it('answers bad usage with exit code 2 and an unreachable database with 1', async () => {
    const errors: string[] = [];
    const quiet = (): void => undefined;
    expect(await main([], quiet, (l) => errors.push(l))).toBe(2);
    expect(await main(['status'], quiet, (l) => errors.push(l))).toBe(2);
    expect(await main(['status', '--url', 'http://x'], quiet, (l) => errors.push(l))).toBe(2);
    expect(await main(['status', '--url', url, '--watch', '5'], quiet, (l) => errors.push(l))).toBe(2);
    expect(await main(['deploy', '--url', url], quiet, (l) => errors.push(l))).toBe(2);
    expect(errors.map((e) => e.split('\n')[0])).toEqual([
      'no command given',
      'status needs --url <postgres-url>',
      '--url must be a postgres:// or postgresql:// URL',
      '--watch must be a whole number from 100 to 3600000 (got "5")',
      "unknown command 'deploy'",
    ]);
    const failed: string[] = [];
    expect(
      await main(['status', '--url', 'postgres://nobody:none@127.0.0.1:1/none'], quiet, (l) => failed.push(l)),
    ).toBe(1);
    expect(failed[0]).toMatch(/^baton-fleet: /);
  });
});
