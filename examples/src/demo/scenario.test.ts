import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { htmlReport } from './htmlReport.js';
import { textReport } from './report.js';
import { runDemo } from './scenario.js';

const examplesDir = fileURLToPath(new URL('../..', import.meta.url));

describe('the demo (npm start), shortened', () => {
  it('serves every call, commits v2, refuses v3 and the tampered artifact, and loses nothing', async () => {
    const dataDirectory = await mkdtemp(join(tmpdir(), 'baton-demo-'));
    const run = await runDemo(
      { durationSec: 2, clients: 8, dataDirectory, seed: 7, rows: 2000, progress: false, minCallsPerPhase: 50 },
      join(examplesDir, 'plugins'),
      join(examplesDir, '.baton-runtime'),
    );
    const { lines, ok } = textReport(run, join(dataDirectory, 'report.html'));
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(ok).toBe(true);
    // Calls kept being served after the committed reload, not only before it (each phase of the
    // schedule waits for 50 more calls, so a stall would time the test out instead).
    const committedAt = run.attempts[0]!.atMs;
    expect(run.recorder.latencies(committedAt).length).toBeGreaterThan(0);
    expect(run.recorder.failed).toBe(0);
    expect(run.attempts.map((a) => a.error?.code ?? 'committed')).toEqual([
      'committed',
      'SCHEMA_INCOMPATIBLE',
      'VERIFICATION_FAILED',
    ]);
    expect(run.audit).toMatchObject({ lost: 0, duplicated: 0 });
    expect(run.audit.inSink).toBe(run.audit.committed);
    const html = htmlReport(run, lines);
    expect(html).toContain('<svg');
    expect(html).toContain('reload 1.0.0 → 2.0.0: committed');
  }, 60_000);
});
