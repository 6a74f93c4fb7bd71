import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { readFileSink } from '@baton/kinds';

const instrumentsDir = fileURLToPath(new URL('../..', import.meta.url));
const script = fileURLToPath(new URL('./sinkWriter.ts', import.meta.url));

/** What the second-process trial saw. */
export interface SecondProcessTrialResult {
  readonly rounds: number;
  /** Processes that started on a sink another live process held, and were refused with LOCKED. */
  readonly refusedWhileHeld: number;
  /** Starts that should have been refused but were not. */
  readonly admittedWhileHeld: number;
  /** Holders killed with SIGKILL (the others shut down cleanly). */
  readonly killed: number;
  /** Races of `racers` processes for the lock a holder left: how many had exactly one winner. */
  readonly racesWithOneWinner: number;
  readonly racers: number;
  /** LSNs of the change log at the sink at the end, and how many were missing or written twice. */
  readonly lsns: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly failures: readonly string[];
}

interface Line {
  readonly event: 'refused' | 'started' | 'done';
  readonly code?: string;
  readonly holder?: { readonly pid?: number } | null;
}

/** A sink writer process and the lines it printed. */
class Writer {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  readonly exited: Promise<void>;
  #wake: (() => void) | undefined;

  constructor(dir: string, end: number, seed: number, hold: boolean) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@baton/source', script, dir, String(end), String(seed), hold ? 'hold' : ''],
      { cwd: instrumentsDir, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.exited = new Promise((resolve) => {
      this.child.once('exit', () => {
        resolve();
      });
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines.push(JSON.parse(line) as Line);
      this.#wake?.();
    });
  }

  /** The first line of `event` (or 'refused'), waiting for it; undefined if the process exits first. */
  async first(event: Line['event']): Promise<Line | undefined> {
    for (;;) {
      const line = this.lines.find((l) => l.event === event || l.event === 'refused');
      if (line) return line;
      const exited = await Promise.race([
        this.exited.then(() => true),
        new Promise<false>((resolve) => {
          this.#wake = () => {
            resolve(false);
          };
        }),
      ]);
      if (exited) return this.lines.find((l) => l.event === event || l.event === 'refused');
    }
  }

  /** Lets a holding writer shut its stream down and exit. */
  async release(): Promise<void> {
    this.child.stdin!.end();
    await this.exited;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Rolling restarts of one engine over one file CDC sink, each engine a real process writing the
 * change log in batches of its own sizes. Each round: a holder starts and writes; a second process
 * starting meanwhile must be refused with LOCKED naming the holder; the holder is SIGKILLed
 * mid-write or shut down; then `racers` processes race for the sink at once: exactly one must win
 * and continue from the sink's checkpoint. At the end the sink must hold every LSN exactly once.
 */
export async function runSecondProcessTrial(options: {
  readonly rounds: number;
  readonly racers: number;
  readonly seed: number;
}): Promise<SecondProcessTrialResult> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-second-process-'));
  const counts = { refusedWhileHeld: 0, admittedWhileHeld: 0, killed: 0, racesWithOneWinner: 0 };
  const failures: string[] = [];
  let end = 0;
  let lsns = 0;
  let lost = 0;
  let duplicated = 0;
  const writers: Writer[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      end += 60;
      const holder = new Writer(dir, end, options.seed + round, true);
      writers.push(holder);
      const started = await holder.first('started');
      if (started?.event !== 'started') {
        failures.push(`round ${round}: the holder did not start (${JSON.stringify(started)})`);
        continue;
      }
      const second = new Writer(dir, end, options.seed + 1000 + round, false);
      writers.push(second);
      const answer = await second.first('started');
      if (answer?.event === 'refused' && answer.code === 'LOCKED' && answer.holder?.pid === holder.child.pid)
        counts.refusedWhileHeld++;
      else {
        counts.admittedWhileHeld++;
        failures.push(`round ${round}: a second process was not refused: ${JSON.stringify(answer)}`);
      }
      await second.exited;
      if (round % 2 === 0) {
        counts.killed++;
        await holder.kill(); // mid-write or while holding: its unacknowledged tail is cut on the next start
      } else {
        await holder.first('done');
        await holder.release();
      }
      const racers = Array.from(
        { length: options.racers },
        (_, i) => new Writer(dir, end, options.seed + 2000 + round * 10 + i, true),
      );
      writers.push(...racers);
      const answers = await Promise.all(racers.map((r) => r.first('started')));
      const winners = answers.filter((a) => a?.event === 'started').length;
      const refused = answers.filter((a) => a?.event === 'refused' && a.code === 'LOCKED').length;
      if (winners === 1 && refused === options.racers - 1) counts.racesWithOneWinner++;
      else failures.push(`round ${round}: ${winners} winners, ${refused} refused: ${JSON.stringify(answers)}`);
      for (const [i, racer] of racers.entries()) {
        if (answers[i]?.event === 'started') await racer.first('done');
        await racer.release();
      }
    }
    const sink = await readFileSink(dir);
    const seen = new Map<bigint, number>();
    for (const batch of sink.batches)
      for (let lsn = batch.lsnStart; lsn < batch.lsnEnd; lsn++) seen.set(lsn, (seen.get(lsn) ?? 0) + 1);
    lsns = seen.size;
    for (let lsn = 0n; lsn < BigInt(end); lsn++) {
      const count = seen.get(lsn) ?? 0;
      if (count === 0) lost++;
      if (count > 1) duplicated += count - 1;
    }
  } catch (error) {
    failures.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  } finally {
    for (const writer of writers) writer.child.kill('SIGKILL');
    await Promise.all(writers.map((w) => w.exited));
    await rm(dir, { recursive: true, force: true });
  }
  if (lost > 0 || duplicated > 0) failures.push(`${lost} LSNs lost, ${duplicated} written twice`);
  return { rounds: options.rounds, racers: options.racers, ...counts, lsns, lost, duplicated, failures };
}
