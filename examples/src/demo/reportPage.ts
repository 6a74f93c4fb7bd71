/**
 * The script of the HTML report's page, run in the browser after uPlot and `const TIMELINE = …`
 * (a `ReportTimeline`, see timeline.ts). It draws four charts over the load with uPlot; on each, the pauses
 * (a gate closed) as shaded bands and the reload attempts as vertical markers, both as elements
 * over the plot (`.pause-band`, `.reload-marker`), so they carry their labels as tooltips and a
 * browser test can find them. A bucket where no call completed is a gap in the latency lines, not
 * a zero. The charts are kept in `window.batonCharts` (for the browser test).
 *
 * Plain browser JavaScript in a string: it runs as written, without a build step.
 */
export const REPORT_PAGE_SCRIPT = String.raw`
(() => {
  const data = TIMELINE;
  const palette = ['#0969da', '#8250df', '#bf8700', '#1a7f37', '#cf222e', '#57606a'];
  const seconds = (u, values) => values.map((v) => v == null ? '' : (Math.round(v * 100) / 100) + ' s');
  const width = () => Math.min(900, document.body.clientWidth);

  /** Shaded bands for the pauses and lines for the reload attempts, over the plotting area. */
  function overlays(u) {
    for (const old of u.over.querySelectorAll('.pause-band, .reload-marker')) old.remove();
    for (const p of data.pauses) {
      const from = u.valToPos(p.fromSec, 'x');
      const to = u.valToPos(p.toSec, 'x');
      const band = document.createElement('div');
      band.className = 'pause-band';
      band.title = p.label + ': ' + ((p.toSec - p.fromSec) * 1000).toFixed(1) + ' ms, from ' + p.fromSec + ' s';
      band.dataset.fromSec = String(p.fromSec);
      band.dataset.toSec = String(p.toSec);
      // At least 3 px wide, so a pause of a few milliseconds is still seen on a run of seconds.
      band.style.left = Math.min(from, (from + to) / 2 - 1.5) + 'px';
      band.style.width = Math.max(3, to - from) + 'px';
      u.over.appendChild(band);
    }
    for (const m of data.markers) {
      const marker = document.createElement('div');
      marker.className = 'reload-marker ' + m.tone;
      marker.title = m.label + ' at ' + m.atSec + ' s';
      marker.dataset.atSec = String(m.atSec);
      marker.style.left = u.valToPos(m.atSec, 'x') + 'px';
      u.over.appendChild(marker);
    }
  }

  function chart(id, title, yLabel, series, columns, yRange) {
    const element = document.getElementById(id);
    return new uPlot(
      {
        title,
        width: width(),
        height: 240,
        scales: { x: { time: false, range: [0, data.endSec] }, y: yRange ? { range: yRange } : {} },
        axes: [
          { label: 'time since the load started', values: seconds },
          { label: yLabel, size: 60 },
        ],
        series: [{ label: 'time', value: (u, v) => (v == null ? '-' : v.toFixed(2) + ' s') }, ...series],
        hooks: { draw: [overlays] },
        legend: { live: true },
      },
      [data.t, ...columns],
      element,
    );
  }

  const line = (label, i, extra) => ({ label, stroke: palette[i % palette.length], width: 1.6, points: { show: false }, ...extra });
  // Latencies and delays: a point where a value stands alone between two gaps, else it would not show.
  const isolated = (u, seriesIdx) => {
    const ys = u.data[seriesIdx];
    const out = [];
    for (let k = 0; k < ys.length; k++) if (ys[k] != null && ys[k - 1] == null && ys[k + 1] == null) out.push(k);
    return out;
  };
  const gappy = (label, i, extra) => line(label, i, { points: { show: true, size: 5, filter: isolated }, ...extra });
  const charts = [
    chart(
      'throughput',
      'Throughput, by the plugin version that served the calls',
      'per second',
      [
        ...data.callsByVersion.map((s, i) => line('calls on ' + s.version, i, { fill: palette[i % palette.length] + '22' })),
        line('PostgreSQL transactions', 5, { dash: [6, 3] }),
      ],
      [...data.callsByVersion.map((s) => s.perSec), data.writesPerSec],
      (u, min, max) => [0, Math.max(1, max) * 1.1],
    ),
    chart(
      'latency',
      'Latency of engine calls, from when each was due',
      'ms',
      [gappy('p50', 3), gappy('p99', 0), gappy('max', 4, { dash: [4, 3] })],
      [data.p50Ms, data.p99Ms, data.maxMs],
      (u, min, max) => [0, Math.max(1, max) * 1.1],
    ),
    chart(
      'cdc',
      'CDC: PostgreSQL transactions delivered to the sink',
      'per second',
      [line('batches delivered', 1)],
      [data.cdcPerSec],
      (u, min, max) => [0, Math.max(1, max) * 1.1],
    ),
    chart(
      'loop',
      "Event-loop delay of the engine's process",
      'ms',
      // A continuous measure (sampled every 100 ms, not always once per bucket): a line across empty buckets.
      [line('largest delay', 2, { spanGaps: true })],
      [data.loopDelayMs],
      (u, min, max) => [0, Math.max(1, max) * 1.1],
    ),
  ];
  window.batonCharts = charts;
  window.addEventListener('resize', () => {
    for (const u of charts) u.setSize({ width: width(), height: 240 });
  });
})();
`;
