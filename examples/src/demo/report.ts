import type { DemoRun } from './scenario.js';
import { percentile } from './recorder.js';

const ms = (n: number | undefined): string => (n === undefined ? '-' : `${n.toFixed(n < 10 ? 2 : 1)} ms`);
const int = (n: number): string => n.toLocaleString('en-US');

/** The text report: what happened, and whether every promise held. Returns its lines and whether all checks passed. */
export function textReport(run: DemoRun, htmlPath: string): { lines: string[]; ok: boolean } {
  const { recorder, attempts, audit, crdt, expected, options } = run;
  const lines: string[] = [];
  const say = (line = ''): number => lines.push(line);
  const checks: [string, boolean][] = [];
  say(
    `Baton demo: ${options.clients} clients for ${options.durationSec} s (seed ${options.seed}, ${int(options.rows)} indexed rows)`,
  );
  say();
  say(`calls   ${int(recorder.calls)} served, ${int(recorder.failed)} failed`);
  const byOp = recorder.byOp();
  say(
    `        ${Object.entries(byOp)
      .map(([op, n]) => `${op} ${int(n)}`)
      .join(' · ')}`,
  );
  checks.push(['no call failed', recorder.failed === 0]);
  for (const error of recorder.errors) say(`        failure: ${error}`);
  say();
  for (const a of attempts) {
    if (a.result) {
      const t = a.result.timings;
      const waits = a.queueWaitsMs;
      say(`${a.label}: COMMITTED`);
      say(
        `        total ${ms(t.totalMs)} · compat ${ms(t.compatMs)} · drain ${ms(t.drainMs)} · dispatch ${ms(t.dispatchMs)} · pause ${ms(t.pauseMs)}`,
      );
      say(
        `        ${int(waits.length)} calls waited at the gate: wait p50 ${ms(percentile(waits, 0.5))} · p99 ${ms(percentile(waits, 0.99))} · max ${ms(waits.length ? Math.max(...waits) : 0)}`,
      );
      for (const h of a.result.handoffs)
        say(`        handoff ${h.kind} '${h.name}' ${ms(h.ms)}${describeDetail(h.detail)}`);
      const window = recorder.latencies(a.atMs, a.atMs + 1000);
      say(
        `        latency of calls in the second after it began: p50 ${ms(percentile(window, 0.5))} · p99 ${ms(percentile(window, 0.99))}`,
      );
    } else if (a.error) {
      say(
        `${a.label}: REFUSED (${a.error.code} at ${a.error.phase ?? '?'}; ${a.paused ? 'callers were paused' : 'nothing was paused'})`,
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
  say(
    `CDC     ${int(audit.committed)} batches committed · ${int(audit.inSink)} in the sink (read back from disk) · lost ${audit.lost} · duplicated ${audit.duplicated}`,
  );
  say(
    `        sink checkpoint LSN ${String(audit.checkpointLsn)}; the retention job compacted the change log up to LSN ${String(run.changeLogFloor)}`,
  );
  checks.push([
    'no CDC batch lost or duplicated',
    audit.lost === 0 && audit.duplicated === 0 && audit.inSink === audit.committed,
  ]);
  say(`index   ${run.probesIdentical} of ${run.probesCompared} probe answers identical before and after the reloads`);
  checks.push(['index answers unchanged', run.probesIdentical === run.probesCompared]);
  say(
    `CRDT    visits ${int(crdt.visits)} (expected ${int(expected.visits)}) · tags ${int(crdt.tags)} (expected ${int(expected.tags.size)})`,
  );
  checks.push(['CRDT values preserved', crdt.visits === expected.visits && crdt.tags === expected.tags.size]);
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
