import type { Bucket, Marker } from './recorder.js';
import type { DemoRun } from './scenario.js';

const BUCKET_MS = 100;
const escape = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** An SVG line chart of one series over the run, with the reload markers as vertical lines. */
function chart(
  title: string,
  unit: string,
  buckets: readonly Bucket[],
  value: (b: Bucket) => number,
  markers: readonly Marker[],
  totalMs: number,
): string {
  const width = 880;
  const height = 220;
  const pad = { left: 56, right: 16, top: 28, bottom: 30 };
  const max = Math.max(1e-9, ...buckets.map(value)) * 1.1;
  const x = (t: number): number => pad.left + (t / Math.max(1, totalMs)) * (width - pad.left - pad.right);
  const y = (v: number): number => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  const points = buckets.map((b) => `${x(b.t + BUCKET_MS / 2).toFixed(1)},${y(value(b)).toFixed(1)}`).join(' ');
  const colour = { ok: '#1a7f37', refused: '#cf222e', pause: '#9a6700' } as const;
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<text x="${pad.left - 6}" y="${y(f * max) + 4}" text-anchor="end">${(f * max).toFixed(max < 10 ? 1 : 0)}</text><line x1="${pad.left}" x2="${width - pad.right}" y1="${y(f * max)}" y2="${y(f * max)}" class="grid"/>`,
    )
    .join('');
  const seconds = Array.from(
    { length: Math.floor(totalMs / 1000) + 1 },
    (_, s) => `<text x="${x(s * 1000)}" y="${height - 10}" text-anchor="middle">${s}s</text>`,
  ).join('');
  const marks = markers
    .map(
      (m) =>
        `<line x1="${x(m.t)}" x2="${x(m.t)}" y1="${pad.top}" y2="${height - pad.bottom}" stroke="${colour[m.tone]}" stroke-dasharray="${m.tone === 'pause' ? '2 3' : '0'}"><title>${escape(m.label)} at ${(m.t / 1000).toFixed(2)} s</title></line>`,
    )
    .join('');
  return `<figure><figcaption>${escape(title)} (${unit}, per ${BUCKET_MS} ms)</figcaption><svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(title)}">${ticks}${seconds}${marks}<polyline fill="none" stroke="#0969da" stroke-width="1.6" points="${points}"/></svg></figure>`;
}

/** A self-contained HTML report: the text report and SVG timelines of throughput and p99 latency. */
export function htmlReport(run: DemoRun, lines: readonly string[]): string {
  const buckets = run.recorder.timeline(BUCKET_MS);
  const total = run.recorder.now();
  const delivered = new Array<number>(buckets.length).fill(0);
  for (const t of run.cdcTimesMs) delivered[Math.min(buckets.length - 1, Math.floor(t / BUCKET_MS))]! += 1;
  const cdc: Bucket[] = buckets.map((b, i) => ({ t: b.t, calls: delivered[i]!, p99Ms: 0 }));
  const legend = run.recorder.markers
    .filter((m) => m.tone !== 'pause')
    .map((m) => `<li class="${m.tone}">${(m.t / 1000).toFixed(2)} s — ${escape(m.label)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton demo report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:920px;color:#1f2328}
pre{background:#f6f8fa;padding:1rem;overflow-x:auto;font-size:12.5px}
svg{width:100%;height:auto;font-size:11px;fill:#57606a}
.grid{stroke:#d0d7de;stroke-width:.5}
figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
li.ok{color:#1a7f37}li.refused{color:#cf222e}
</style></head><body>
<h1>Baton: hot reload under load</h1>
<p>Dashed lines mark the pauses (gate closed for stateful resources); solid green lines a committed reload, solid red lines a refused one.</p>
<ul>${legend}</ul>
${chart('Throughput', 'queries, calls and writer transactions completed', buckets, (b) => b.calls, run.recorder.markers, total)}
${chart('Latency p99', 'ms', buckets, (b) => b.p99Ms, run.recorder.markers, total)}
${chart('CDC: PostgreSQL transactions delivered to the sink', 'batches', cdc, (b) => b.calls, run.recorder.markers, total)}
<h2>Report</h2>
<pre>${escape(lines.join('\n'))}</pre>
</body></html>
`;
}
