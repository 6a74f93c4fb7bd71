import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { postgresServer } from '@baton/postgres';
import type { PostgresServer } from '@baton/postgres';
import { CHROMIUM_ARGS, ensureChromium } from './chromium.js';
import { htmlReport, reportTimeline } from './htmlReport.js';
import { textReport } from './report.js';
import { runDemo } from './scenario.js';

const examplesDir = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `text` on the server at `url`. */
async function sql(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(text)).rows;
  } finally {
    await client.end();
  }
}

// The demo on a server it did not start (--postgres-url): its own schemas, publication and slot there.
let server: PostgresServer;
/** The first test's run, for the browser test of its HTML report. */
let shortRun: Awaited<ReturnType<typeof runDemo>> | undefined;
let shortRunHtml = '';
beforeAll(async () => {
  server = await postgresServer({ postgresFlags: ['-c', 'fsync=off'] });
}, 60_000);
afterAll(() => server.stop());

describe('the demo (npm start), shortened, on an existing PostgreSQL (--postgres-url) and DuckDB', () => {
  it('serves every query and call, commits v2, refuses v3 and the tampered artifact, and loses no change', async () => {
    const dataDirectory = await mkdtemp(join(tmpdir(), 'baton-demo-'));
    // A slot an earlier run left behind when it was killed: dropped at the start, not reused.
    await sql(server.url, "SELECT pg_create_logical_replication_slot('baton_demo', 'pgoutput')");
    try {
      const run = await runDemo(
        {
          durationSec: 2,
          clients: 4,
          writers: 2,
          rate: 200,
          writeRate: 60,
          warmupSec: 0.5, // the warm-up's clients count too (their CRDT calls are in the expectations)
          dataDirectory,
          seed: 7,
          rows: 1000,
          progress: false,
          minCallsPerPhase: 40,
          postgresUrl: server.url,
        },
        join(examplesDir, 'plugins'),
        join(examplesDir, '.baton-runtime'),
      );
      const { lines, ok } = textReport(run, join(dataDirectory, 'report.html'));
      expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
      expect(ok).toBe(true);
      // Calls kept being served after the committed reload, not only before it.
      const committedAt = run.attempts[0]!.atMs;
      expect(run.recorder.latencies(committedAt).length).toBeGreaterThan(0);
      expect(run.attempts.map((a) => a.error?.code ?? 'committed')).toEqual([
        'committed',
        'SCHEMA_INCOMPATIBLE',
        'VERIFICATION_FAILED',
      ]);
      // Queries ran on both versions, none on two at once.
      expect(run.queries).toMatchObject({ failed: 0, wrong: 0, mixed: 0 });
      expect([...run.queries.byVersions.keys()].sort()).toEqual(['1.0.0', '2.0.0']);
      // The sink holds every committed change once, none of the rolled-back ones.
      const { sink, ledger, monitor } = run.cdc;
      expect(sink).toMatchObject({ lost: 0, duplicated: 0, phantom: 0 });
      expect(sink.inSink).toBe(ledger.committed.length);
      expect(ledger.rolledBack.length).toBeGreaterThan(0);
      expect(monitor.ahead).toEqual([]);
      expect(monitor.atConfirmations).toBeGreaterThan(0);
      expect(monitor.last?.slot).toBe(sink.checkpoint);
      expect(run.cdc.slotDropped).toBe(true);
      expect(await sql(server.url, 'SELECT slot_name FROM pg_replication_slots')).toEqual([]);
      // The server is left running, with the sink's tables to look at.
      const [{ n }] = (await sql(server.url, 'SELECT count(*)::int AS n FROM baton_demo_sink.baton_cdc_changes')) as [
        { n: number },
      ];
      expect(n).toBe(ledger.committed.length);
      expect(run.crdt).toMatchObject({ visits: run.expected.visits, savedVisits: run.expected.visits });
      // The reloads came when the schedule said, not before; the timeline ends with the load.
      expect(run.attempts.map((a) => a.dueMs)).toEqual([0.3, 0.55, 0.75].map((f) => f * 2000));
      for (const a of run.attempts) expect(a.atMs).toBeGreaterThanOrEqual(a.dueMs);
      expect(run.loadEndMs).toBeGreaterThanOrEqual(2000);
      expect(run.attempts[0]!.pause).toBeDefined();
      expect(run.attempts.slice(1).map((a) => a.pause)).toEqual([undefined, undefined]);
      shortRunHtml = htmlReport(run, lines);
      shortRun = run;
      expect(shortRunHtml).toContain('reload 1.0.0 → 2.0.0: committed');
    } finally {
      await rm(dataDirectory, { recursive: true, force: true });
    }
  }, 60_000);

  it('writes an HTML report that headless Chromium opens offline without an error, with the pause band and the reload markers on every chart', async () => {
    expect(shortRun, 'the short run above made no report').toBeDefined();
    const timeline = reportTimeline(shortRun!);
    const dir = await mkdtemp(join(tmpdir(), 'baton-report-'));
    const browser = await chromium.launch({ executablePath: await ensureChromium(), args: [...CHROMIUM_ARGS] });
    try {
      const path = join(dir, 'report.html');
      await writeFile(path, shortRunHtml);
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => {
        errors.push(e.message);
      });
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(path).href);
      await page.waitForFunction('window.batonCharts && window.batonCharts.length === 4');
      const charts = await page.evaluate<ChartSeen[]>(SEE_CHARTS);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]); // everything is inlined: the page works offline
      expect(charts.map((c) => c.title)).toEqual([
        'Throughput, by the plugin version that served the calls',
        'Latency of engine calls, from when each was due',
        'CDC: PostgreSQL transactions delivered to the sink',
        "Event-loop delay of the engine's process",
      ]);
      expect(timeline.pauses).toHaveLength(1);
      for (const c of charts) {
        expect(c.xMax).toBe(timeline.endSec); // nothing after the load is drawn
        expect(c.width).toBeGreaterThan(500);
        // The pause: a band from the gate's closing to its opening (at least 3 px wide).
        expect(c.bands).toHaveLength(1);
        const [band] = c.bands;
        expect(band!.right).toBeGreaterThanOrEqual(band!.to - 1);
        expect(band!.left).toBeLessThanOrEqual(band!.from + 1);
        expect(band!.right - band!.left).toBeGreaterThanOrEqual(Math.max(3, band!.to - band!.from) - 1);
        // A marker where each attempt ended: committed, then two refused.
        expect(c.markers.map((m) => m.className)).toEqual([
          'reload-marker committed',
          'reload-marker refused',
          'reload-marker refused',
        ]);
        for (const m of c.markers) expect(Math.abs(m.left - m.at)).toBeLessThanOrEqual(1);
        expect(c.markers[1]!.title).toContain('refused (SCHEMA_INCOMPATIBLE)');
      }
      // Throughput by version: calls on 1.0.0 before the reload, on 2.0.0 after it.
      expect(charts[0]!.legend).toEqual(
        expect.arrayContaining(['calls on 1.0.0', 'calls on 2.0.0', 'PostgreSQL transactions']),
      );
      expect(charts[1]!.legend).toEqual(expect.arrayContaining(['p50', 'p99', 'max']));
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 400_000);

  it('stopped in the middle of the load (what Ctrl-C does to npm start): rejects, drops its slot, closes DuckDB', async () => {
    const dataDirectory = await mkdtemp(join(tmpdir(), 'baton-demo-abort-'));
    const stop = new AbortController();
    // Stop once the load has started: the run prints "load: …" then (console.log is how it reports progress).
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      if (String(line).startsWith('load: ')) stop.abort(new Error('stopped by the test'));
    });
    try {
      const run = runDemo(
        {
          durationSec: 600,
          clients: 2,
          writers: 2,
          rate: 200,
          writeRate: 60,
          dataDirectory,
          seed: 3,
          rows: 500,
          progress: false,
          postgresUrl: server.url,
        },
        join(examplesDir, 'plugins'),
        join(examplesDir, '.baton-runtime'),
        stop.signal,
      );
      await expect(run).rejects.toThrow('stopped by the test');
      expect(stop.signal.aborted).toBe(true);
      expect(await sql(server.url, 'SELECT slot_name FROM pg_replication_slots')).toEqual([]);
      expect(await sql(server.url, 'SELECT pid FROM pg_stat_replication')).toEqual([]);
      // DuckDB was closed: its write-ahead log was checkpointed into the database file.
      expect((await readdir(dataDirectory)).sort()).toEqual(['.baton-demo-data', 'artifacts', 'engine.duckdb']);
    } finally {
      log.mockRestore();
      await rm(dataDirectory, { recursive: true, force: true });
    }
  }, 60_000);

  it('a failure after the slot was made (the sink cannot start): rejects, drops the slot, closes DuckDB', async () => {
    const dataDirectory = await mkdtemp(join(tmpdir(), 'baton-demo-fail-'));
    // v1 with a sink URL nothing answers at: the engine starts, the slot is made, then the CDC stream fails to start.
    const plugins = await mkdtemp(join(tmpdir(), 'baton-demo-plugins-'));
    await cp(join(examplesDir, 'plugins'), plugins, { recursive: true });
    const entry = join(plugins, 'geo-search-v1', 'index.js');
    const code = await readFile(entry, 'utf8');
    expect(code).toContain('url: env.sinkUrl,');
    await writeFile(entry, code.replace('url: env.sinkUrl,', "url: 'postgres://nobody:none@127.0.0.1:1/none',"));
    try {
      const run = runDemo(
        {
          durationSec: 2,
          clients: 1,
          writers: 1,
          rate: 50,
          writeRate: 20,
          dataDirectory,
          seed: 5,
          rows: 200,
          progress: false,
          postgresUrl: server.url,
        },
        plugins,
        join(examplesDir, '.baton-runtime'),
      );
      await expect(run).rejects.toMatchObject({ message: expect.stringContaining('audit') });
      expect(await sql(server.url, 'SELECT slot_name FROM pg_replication_slots')).toEqual([]);
      expect(await sql(server.url, 'SELECT pid FROM pg_stat_replication')).toEqual([]);
      expect((await readdir(dataDirectory)).sort()).toEqual(['.baton-demo-data', 'artifacts', 'engine.duckdb']);
    } finally {
      await rm(dataDirectory, { recursive: true, force: true });
      await rm(plugins, { recursive: true, force: true });
    }
  }, 60_000);
});

/** What the browser test reads off one chart of the report. */
interface ChartSeen {
  readonly title: string;
  readonly xMax: number;
  readonly width: number;
  /** Pause bands: their edges and where the pause's start and end fall on the x axis (px in the plot). */
  readonly bands: readonly { left: number; right: number; from: number; to: number }[];
  readonly markers: readonly { left: number; at: number; className: string; title: string }[];
  readonly legend: readonly string[];
}

/** Runs in the page: reads every chart (`window.batonCharts`, uPlot instances) and its overlays. */
const SEE_CHARTS = `window.batonCharts.map((u) => ({
  title: u.root.querySelector('.u-title').textContent,
  xMax: u.scales.x.max,
  width: u.over.clientWidth,
  bands: [...u.over.querySelectorAll('.pause-band')].map((b) => ({
    left: b.offsetLeft,
    right: b.offsetLeft + b.offsetWidth,
    from: u.valToPos(Number(b.dataset.fromSec), 'x'),
    to: u.valToPos(Number(b.dataset.toSec), 'x'),
  })),
  markers: [...u.over.querySelectorAll('.reload-marker')].map((m) => ({
    left: m.offsetLeft,
    at: u.valToPos(Number(m.dataset.atSec), 'x'),
    className: m.className,
    title: m.title,
  })),
  legend: [...u.root.querySelectorAll('.u-legend .u-label')].map((e) => e.textContent),
}))`;
