/**
 * What `npm run fleet` shows while a trial runs: the lines worth reading (members joining, each
 * step, each reload with its pause, each gate, a halt, a rollback, the CDC stream changing hands, a
 * fenced write) and, on a terminal, a progress bar under them — the rollout's steps done, the calls
 * served and failed, the batches the CDC owner wrote — redrawn every 100 ms. Elsewhere only the lines.
 */
import type { ChildLine } from './childProcess.js';

const WIDTH = 24;
const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value ?? 0));

/** The progress view; `hear` every line of every child. */
export class ProgressView {
  readonly #tty: boolean;
  readonly #began = performance.now();
  readonly #figures = new Map<string, ChildLine>();
  #steps = 0;
  #done = 0;
  #phase = 'starting';
  #bar = '';
  #timer: NodeJS.Timeout | undefined;

  constructor(tty: boolean) {
    this.#tty = tty;
    if (tty)
      this.#timer = setInterval(() => {
        this.#draw();
      }, 100);
  }

  /** Prints a line (above the bar). */
  say(text: string): void {
    const at = `${((performance.now() - this.#began) / 1000).toFixed(1).padStart(5)} s  `;
    if (this.#tty && this.#bar !== '') process.stdout.write(`\r${' '.repeat(this.#bar.length)}\r`);
    console.log(at + text);
    if (this.#tty && this.#bar !== '') process.stdout.write(this.#bar);
  }

  /** Takes in one line a child printed. */
  hear(who: string, line: ChildLine): void {
    const e = line.event;
    if (e === 'figures') {
      this.#figures.set(who, line);
      return;
    }
    const text = describe(who, line);
    if (e === 'rollout.started') {
      this.#steps += (line['plan'] as unknown[]).length;
      this.#phase = `rollout to ${String(line['toVersion'])}`;
    }
    if (e === 'rollout.stepDone') this.#done++;
    if (e === 'outcome') this.#phase = `rollout ${String(line['status'])}`;
    if (text !== undefined) this.say(text);
    if (this.#tty) this.#draw();
  }

  /** Stops redrawing and clears the bar. */
  stop(): void {
    clearInterval(this.#timer);
    if (this.#tty && this.#bar !== '') process.stdout.write(`\r${' '.repeat(this.#bar.length)}\r`);
    this.#bar = '';
  }

  #draw(): void {
    const fraction = this.#steps === 0 ? 0 : this.#done / this.#steps;
    const filled = Math.round(fraction * WIDTH);
    let calls = 0;
    let failed = 0;
    let written = 0;
    for (const line of this.#figures.values()) {
      calls += num(line['calls']);
      failed += num(line['failedCalls']);
      written += num((line['cdc'] as { written?: number } | undefined)?.written);
    }
    const full = `  [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${this.#done}/${this.#steps} steps · ${this.#phase} · ${calls} calls, ${failed} failed · ${written} CDC batches written`;
    // One terminal line: a bar that wraps cannot be redrawn in place.
    const next = full.slice(0, Math.max(20, (process.stdout.columns || 100) - 1));
    const clear = this.#bar.length > next.length ? ' '.repeat(this.#bar.length - next.length) : '';
    this.#bar = next;
    process.stdout.write(`\r${next}${clear}`);
  }
}

/** The line worth printing for a child's line, if any. */
function describe(who: string, line: ChildLine): string | undefined {
  const l = line;
  switch (l.event) {
    case 'joined':
      return `${who} joined, serving ${String(l['version'])}`;
    case 'cdcStarted':
      return `${who} owns the CDC stream (lease token ${String(l['token'])}) and pumps the slot into the sink`;
    case 'preflight':
      return `pre-flight: formats checked across versions; while mixed the new version writes ${JSON.stringify(l['pinned'])}`;
    case 'rollout.started':
      return `rollout ${String(l['rolloutId'])} ${String(l['fromVersion'])} → ${String(l['toVersion'])}${l['resumed'] === true ? ' (resumed from its rows)' : ''}: ${(l['plan'] as string[][]).map((s) => `[${s.join(',')}]`).join(' ')}`;
    case 'rollout.stepStarted':
      return `step ${num(l['step'])}/${num(l['steps'])}: ${(l['members'] as string[]).join(', ')}${l['resumed'] === true ? ' (resumed)' : ''}`;
    case 'reload.committed':
      return `  ${who} reloaded ${String(l['move'])}, pause ${num(l['pauseMs']).toFixed(1)} ms`;
    case 'reload.rolledBack':
      return `  ${who} refused ${String(l['move'])}: ${String(l['code'])} ${String(l['message'])}`;
    case 'rollout.gate':
      return `  gate ${num(l['step'])}: ${l['passed'] === true ? 'passed' : `failed ${JSON.stringify(l['violations'])}`}`;
    case 'rollout.stepDone':
      return `  step ${num(l['step'])} done in ${num(l['ms']).toFixed(0)} ms, ${num(l['roundTrips'])} PostgreSQL round trips`;
    case 'rollout.halted':
      return `rollout ${String(l['rolloutId'])} halted: ${JSON.stringify(l['reason'])}; rolling back`;
    case 'rollout.rolledBack':
      return `rollout ${String(l['rolloutId'])} rolled back: ${JSON.stringify(l['summary'])}`;
    case 'formatSwitched':
      return `format phase of ${String(l['version'])} switched: every member runs it; the format switch rolls next`;
    case 'outcome':
      return `${String(l['action'])} rollout ${String(l['status'])} in ${num(l['wallMs']).toFixed(0)} ms, ${num(l['roundTrips'])} round trips`;
    case 'kill':
    case 'freeze':
      return `${who} ${l.event === 'kill' ? 'SIGKILLed' : 'frozen (SIGSTOP)'} at ${String(l['point'])}`;
    case 'thawed':
      return `${who} woken (SIGCONT)`;
    case 'fenced':
      return `${who}'s write was fenced: ${String(l['message'])}`;
    case 'leaseLost':
      return `${who} lost the CDC lease`;
    case 'failed':
      return `${who} failed: ${String(l['message'])}`;
    default:
      return undefined;
  }
}
