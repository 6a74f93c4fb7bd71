import { inspect } from 'node:util';
import type { DemoRun } from './scenario.js';
import { formatLsn } from '@baton/postgres';
import { OPS, WRITE_OP, percentile } from './recorder.js';
import type { Op } from './recorder.js';
import type { Attempt } from './reloadSchedule.js';

const ms = (n: number | undefined): string => (n === undefined ? '-' : `${n.toFixed(n < 10 ? 2 : 1)} ms`);
const int = (n: number): string => n.toLocaleString('en-US');
const sec = (n: number): string => `${(n / 1000).toFixed(2)} s`;
const when = (a: Attempt): string => `at ${sec(a.atMs)} (due at ${sec(a.dueMs)})`;

/** How long after a reload attempt began its effect on latency is counted as the reload's, not the steady state's. */
const RELOAD_WINDOW_MS = 1000;

/** The operations whose latency the report gives one by one. */
const LATENCY_OPS: readonly Op[] = ['search', 'aggregate', 'visit', 'merge', 'tag', 'note'];

/** `op p50/p99` of one operation's calls during the load. */
function opLatency(run: DemoRun, name: Op): string {
  const { latency, op, end, count } = run.recorder.samples();
  const index = OPS.indexOf(name);
  const values: number[] = [];
  for (let i = 0; i < count; i++)
    if (op[i] === index && end[i]! >= 0 && end[i]! < run.loadEndMs) values.push(latency[i]!);
  return `${name} ${percentile(values, 0.5).toFixed(1)}/${percentile(values, 0.99).toFixed(1)}`;
}

/** Latencies of the engine calls that completed away from every reload attempt (not within a second after one began). */
function steadyLatencies(run: DemoRun): number[] {
  const windows = run.attempts.map((a) => [a.atMs, Math.max(a.endedAtMs, a.atMs + RELOAD_WINDOW_MS)] as const);
  const { end, latency, op, count } = run.recorder.samples();
  const out: number[] = [];
  for (let i = 0; i < count; i++)
    if (
      op[i] !== WRITE_OP &&
      end[i]! >= 0 &&
      end[i]! < run.loadEndMs &&
      !windows.some(([from, to]) => end[i]! >= from && end[i]! < to)
    )
      out.push(latency[i]!);
  return out;
}

/** The text report: what happened, and whether every promise held. Returns its lines and whether all checks passed. */
export function textReport(run: DemoRun, htmlPath: string): { lines: string[]; ok: boolean } {
  const { recorder, attempts, cdc, crdt, expected, options, queries } = run;
  const lines: string[] = [];
  const say = (line = ''): number => lines.push(line);
  const checks: [string, boolean][] = [];
  say(
    `Baton demo: ${options.clients} query clients (${int(options.rate)} calls/s) and ${options.writers} writers (${int(options.writeRate)} transactions/s) for ${options.durationSec} s (seed ${options.seed}, ${int(options.rows)} indexed rows)`,
  );
  say(`        PostgreSQL: ${run.postgres}`);
  say(`        time: ${run.phases.map(([name, t]) => `${name} ${(t / 1000).toFixed(2)} s`).join(' · ')}`);
  say();
  const failedBy = recorder.byOp(true);
  const calls = recorder.byOp();
  const callOps = ['visit', 'merge', 'tag', 'note'] as const;
  const callCount = callOps.reduce((n, op) => n + calls[op], 0);
  const callsFailed = callOps.reduce((n, op) => n + failedBy[op], 0);
  say(
    `queries ${int(queries.run)} on DuckDB (search ${int(calls.search)} · aggregate ${int(calls.aggregate)}), ${int(queries.failed)} failed, ${int(queries.wrong)} wrong, ${int(queries.mixed)} mixed versions`,
  );
  say(
    `        computed by ${[...queries.byVersions].map(([versions, n]) => `${versions}: ${int(n)}`).join(' · ') || 'no version'}`,
  );
  for (const problem of queries.problems) say(`        ${problem}`);
  say(
    `calls   ${int(callCount)} on the CRDTs and storage (${callOps.map((op) => `${op} ${int(calls[op])}`).join(' · ')}), ${int(callsFailed)} failed`,
  );
  for (const error of recorder.errors) say(`        failure: ${error}`);
  const warmUp = recorder.latencies(-Infinity, 0).length;
  if (warmUp > 0)
    say(
      `        (${int(warmUp)} of the queries and calls during the ${options.warmupSec ?? 0} s warm-up before the load)`,
    );
  const steady = steadyLatencies(run);
  say(
    `        latency from when each call was due, away from the reloads: p50 ${ms(percentile(steady, 0.5))} · p99 ${ms(percentile(steady, 0.99))} · max ${ms(steady.reduce((m, x) => Math.max(m, x), 0))}`,
  );
  say(`        latency p50/p99 by operation (ms): ${LATENCY_OPS.map((op) => opLatency(run, op)).join(' · ')}`);
  say(
    `        event loop during the load: ${(run.loop.utilization * 100).toFixed(0)}% busy · delay p50 ${ms(run.loop.delayP50Ms)} · p99 ${ms(run.loop.delayP99Ms)} · max ${ms(run.loop.delayMaxMs)}`,
  );
  checks.push(['no query failed, none wrong', queries.failed === 0 && queries.wrong === 0 && queries.run > 0]);
  checks.push(['no query mixed plugin versions', queries.mixed === 0]);
  checks.push(['no call failed', callsFailed === 0]);
  say();
  for (const a of attempts) {
    if (a.result) {
      const t = a.result.timings;
      const waits = a.queueWaitsMs;
      say(`${a.label}: COMMITTED ${when(a)}`);
      say(
        `        total ${ms(t.totalMs)} · compat ${ms(t.compatMs)} · drain ${ms(t.drainMs)} · dispatch ${ms(t.dispatchMs)} · pause ${ms(t.pauseMs)}`,
      );
      say(
        `        ${int(waits.length)} calls waited at the gate: wait p50 ${ms(percentile(waits, 0.5))} · p99 ${ms(percentile(waits, 0.99))} · max ${ms(waits.length ? Math.max(...waits) : 0)}`,
      );
      for (const h of a.result.handoffs)
        say(`        handoff ${h.kind} '${h.name}' ${ms(h.ms)}${describeDetail(h.detail)}`);
      if (a.startedAtMs !== undefined && a.committedAtMs !== undefined) {
        const overlapping = [...queries.overlapping(a.startedAtMs, a.committedAtMs)];
        say(
          `        DuckDB queries overlapping the reload: ${overlapping.reduce((n, [, count]) => n + count, 0)} (${overlapping.map(([versions, n]) => `${n} computed by ${versions}`).join(', ') || 'none'})`,
        );
      }
      const window = recorder.latencies(a.atMs, a.atMs + 1000);
      say(
        `        latency of calls in the second after it began: p50 ${ms(percentile(window, 0.5))} · p99 ${ms(percentile(window, 0.99))}`,
      );
    } else if (a.error) {
      say(
        `${a.label}: REFUSED ${when(a)} (${a.error.code} at ${a.error.phase ?? '?'}; ${a.paused ? 'callers were paused' : 'nothing was paused'})`,
      );
      say(`        ${a.error.message}`);
    }
  }
  const [upgrade, incompatible, tampered] = attempts;
  checks.push(['1.0.0 → 2.0.0 committed', upgrade?.result !== undefined]);
  checks.push([
    '3.0.0 refused as schema-incompatible before any pause',
    incompatible?.error?.code === 'SCHEMA_INCOMPATIBLE' && !incompatible.paused,
  ]);
  checks.push([
    'the tampered artifact refused at verification',
    tampered?.error?.code === 'VERIFICATION_FAILED' && !tampered.paused,
  ]);
  checks.push(['2.0.0 still serves at the end', run.finalVersion === '2.0.0']);
  say();
  const { ledger, sink, monitor } = cdc;
  say(
    `writes  ${int(ledger.transactions)} transactions committed to PostgreSQL (${int(sink.written)} changes; the last one marks the end), ${int(ledger.rollbacks)} rolled back on purpose (${int(ledger.rolledBack.length)} changes), ${int(ledger.failures)} failed`,
  );
  for (const error of ledger.errors) say(`        failure: ${error}`);
  say(
    `CDC     ${int(cdc.batches)} batches through the slot → Baton-managed stream → PostgreSQL sink; the sink (read back) holds ${int(sink.inSink)} changes in ${int(sink.batches)} batches, one per transaction`,
  );
  say(`        lost ${int(sink.lost)} · duplicated ${int(sink.duplicated)} · never committed ${int(sink.phantom)}`);
  say(
    `        behind PostgreSQL's WAL head: at most ${int(Number(cdc.maxSourceLag.lsn))} bytes of WAL (the stream's source-lag readings, every 250 ms)`,
  );
  if (cdc.pumpError !== undefined)
    say(`        the pump failed: ${cdc.pumpError instanceof Error ? cdc.pumpError.message : inspect(cdc.pumpError)}`);
  checks.push([
    'every committed change in the sink exactly once, one batch per transaction (lost 0, duplicated 0, none rolled back)',
    cdc.drained &&
      sink.lost === 0 &&
      sink.duplicated === 0 &&
      sink.phantom === 0 &&
      sink.written > 0 &&
      sink.batches === ledger.transactions,
  ]);
  const last = monitor.last;
  say(
    `slot    ${int(monitor.samples)} samples (${int(monitor.atConfirmations)} at confirmations, the rest every 100 ms): slot ahead of the sink checkpoint ${monitor.ahead.length} times; trailing it by at most ${int(Number(monitor.maxTrailBytes))} bytes of WAL`,
  );
  say(
    `        at the end: slot ${last ? formatLsn(last.slot) : '-'} · sink checkpoint ${last ? formatLsn(last.checkpoint) : '-'}; the slot was ${cdc.slotDropped ? 'dropped' : 'NOT dropped'}`,
  );
  for (const ahead of monitor.ahead.slice(0, 3)) say(`        ahead: ${ahead}`);
  for (const error of monitor.errors) say(`        sample failed: ${error}`);
  checks.push([
    'the slot never ahead of the sink checkpoint (and equal to it at the end)',
    monitor.ahead.length === 0 && monitor.samples > 0 && last !== undefined && last.slot === last.checkpoint,
  ]);
  say(`index   ${run.probesIdentical} of ${run.probesCompared} probe answers identical before and after the reloads`);
  checks.push(['index answers unchanged', run.probesIdentical === run.probesCompared]);
  say(
    `CRDT    visits ${int(crdt.visits)} (expected ${int(expected.visits)}; saved in DuckDB ${int(crdt.savedVisits)}) · tags ${int(crdt.tags)} (expected ${int(expected.tags.size)}; saved ${int(crdt.savedTags)})`,
  );
  checks.push([
    'CRDT values as expected, live and saved in DuckDB',
    crdt.visits === expected.visits &&
      crdt.savedVisits === expected.visits &&
      crdt.tags === expected.tags.size &&
      crdt.savedTags === expected.tags.size,
  ]);
  say();
  for (const [name, passed] of checks) say(`${passed ? 'PASS' : 'FAIL'}  ${name}`);
  say();
  say(`HTML report with the timeline: ${htmlPath}`);
  return { lines, ok: checks.every(([, passed]) => passed) };
}

function describeDetail(detail: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const bytes = detail['bytes'];
  if (typeof bytes === 'number')
    parts.push(bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);
  if (typeof detail['checkpointLsn'] === 'bigint') parts.push(`at LSN ${detail['checkpointLsn']}`);
  if (detail['migrated'] === true) parts.push('migrated to the new format');
  return parts.length ? ` (${parts.join(', ')})` : '';
}
