import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DemoRun } from './scenario.js';
import { REPORT_PAGE_SCRIPT } from './reportPage.js';
import { buildTimeline } from './timeline.js';
import type { ReportTimeline } from './timeline.js';

/** The timeline's bucket: 100 ms. */
const BUCKET_MS = 100;

const escape = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** JSON that is safe inside a `<script>` element (no `</script>`, no line separators JavaScript reads as newlines). */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const require = createRequire(import.meta.url);
/** uPlot's browser build and its stylesheet, inlined so the page works offline, from a file. */
const uplot = (file: string): string => readFileSync(require.resolve(`uplot/dist/${file}`), 'utf8');

/** The columns the report draws, from a run: the load only (not the checks after it), in {@link BUCKET_MS} buckets. */
export function reportTimeline(run: DemoRun): ReportTimeline {
  return buildTimeline({
    samples: run.recorder.samples(),
    attempts: run.attempts,
    cdcTimesMs: run.cdcTimesMs,
    loopDelay: run.loop.samples,
    endMs: run.loadEndMs,
    bucketMs: BUCKET_MS,
  });
}

/**
 * A self-contained HTML page (it loads nothing): the charts of {@link ReportTimeline} drawn by
 * uPlot — throughput by plugin version, call latency percentiles, CDC deliveries and event-loop
 * delay, with the pauses as shaded bands and the reload attempts as markers — and the text report.
 */
export function htmlReport(run: DemoRun, lines: readonly string[]): string {
  const timeline = reportTimeline(run);
  const attempts = timeline.markers
    .map((m) => `<li class="${m.tone}">${m.atSec.toFixed(2)} s — ${escape(m.label)}</li>`)
    .join('');
  const pauses = timeline.pauses
    .map((p) => `${((p.toSec - p.fromSec) * 1000).toFixed(1)} ms from ${p.fromSec.toFixed(2)} s`)
    .join(', ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Baton demo report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${uplot('uPlot.min.css')}</style>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:920px;padding:0 10px;color:#1f2328}
pre{background:#f6f8fa;padding:1rem;overflow-x:auto;font-size:12.5px}
section{margin:1.5rem 0}
li.committed{color:#1a7f37}li.refused{color:#cf222e}
.pause-band{position:absolute;top:0;height:100%;background:rgba(191,135,0,.28);border-left:1px solid #bf8700;border-right:1px solid #bf8700;pointer-events:auto}
.reload-marker{position:absolute;top:0;height:100%;width:0;border-left:2px solid #1a7f37;pointer-events:auto}
.reload-marker.refused{border-left:2px dashed #cf222e}
.key span{display:inline-block;width:14px;height:10px;margin:0 4px 0 12px;vertical-align:middle}
</style></head><body>
<h1>Baton: hot reload under load</h1>
<p class="key">On every chart:<span style="background:rgba(191,135,0,.5)"></span>a pause (the plugin's gate closed: stateful calls waited)<span style="border-left:2px solid #1a7f37"></span>a committed reload<span style="border-left:2px dashed #cf222e"></span>a refused one. Hover over them for details; drag to zoom, double-click to zoom out.</p>
<ul>${attempts}</ul>
<p>Pauses: ${pauses || 'none'}. Buckets of ${timeline.bucketMs} ms over the ${timeline.endSec.toFixed(2)} s of load.</p>
<section id="throughput"></section>
<section id="latency"></section>
<section id="cdc"></section>
<section id="loop"></section>
<h2>Report</h2>
<pre>${escape(lines.join('\n'))}</pre>
<script>${uplot('uPlot.iife.min.js')}</script>
<script>const TIMELINE = ${scriptJson(timeline)};</script>
<script>${REPORT_PAGE_SCRIPT}</script>
</body></html>
`;
}
