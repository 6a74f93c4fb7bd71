import type { QueryAnswer } from '../engine/queries.js';

/**
 * What the query clients' DuckDB queries saw: how many ran, failed or came back wrong, and which
 * plugin versions computed their rows — a query whose rows name more than one version is mixed.
 */
export class QueryLog {
  run = 0;
  failed = 0;
  wrong = 0;
  mixed = 0;
  /** Queries per set of versions that computed their rows (`1.0.0`, `2.0.0`, or `1.0.0+2.0.0` if mixed). */
  readonly byVersions = new Map<string, number>();
  readonly problems: string[] = [];
  /** When each answered query ran (ms since the run started) and which versions computed it. */
  readonly spans: { readonly startMs: number; readonly endMs: number; readonly versions: string }[] = [];

  /** Records a query's answer (and when it ran), or its failure. */
  record(answer: QueryAnswer | undefined, span?: { startMs: number; endMs: number }, error?: unknown): void {
    this.run++;
    if (!answer) {
      this.failed++;
      this.#problem(`query failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (answer.wrong !== undefined) {
      this.wrong++;
      this.#problem(`wrong answer: ${answer.wrong}`);
    }
    const versions = [...answer.versions].sort().join('+');
    if (answer.versions.size > 1) this.mixed++;
    this.byVersions.set(versions, (this.byVersions.get(versions) ?? 0) + 1);
    if (span) this.spans.push({ ...span, versions });
  }

  /** The queries that overlapped [fromMs, toMs] (started before its end, ended after its start), by the versions that computed them. */
  overlapping(fromMs: number, toMs: number): Map<string, number> {
    const found = new Map<string, number>();
    for (const span of this.spans)
      if (span.startMs < toMs && span.endMs > fromMs) found.set(span.versions, (found.get(span.versions) ?? 0) + 1);
    return found;
  }

  #problem(text: string): void {
    if (this.problems.length < 5) this.problems.push(text);
  }
}
