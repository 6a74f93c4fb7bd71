import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { EventLoopUtilization, IntervalHistogram } from 'node:perf_hooks';
import type { Clock } from './pacer.js';

/** How busy the engine's event loop was over a run. */
export interface LoopSummary {
  /** Share of the time the event loop was running code (0..1), over the monitored span. */
  readonly utilization: number;
  /** Event-loop delay over the span: how late timers fired, in ms. */
  readonly delayP50Ms: number;
  readonly delayP99Ms: number;
  readonly delayMaxMs: number;
  /** Per sampling interval: when it ended (clock ms) and the largest delay in it (ms). */
  readonly samples: readonly (readonly [number, number])[];
}

/**
 * Watches the event loop of the process serving the engine: its utilisation, and its delay (how
 * late a timer fires because the loop was busy) per interval. A call's latency includes the delay
 * of every turn it waits for, so this says how much of the latency the process's own work caused.
 */
export class LoopMonitor {
  readonly #overall: IntervalHistogram;
  readonly #interval: IntervalHistogram;
  readonly #samples: [number, number][] = [];
  readonly #timer: ReturnType<typeof setInterval>;
  readonly #elu: EventLoopUtilization;
  #summary: LoopSummary | undefined;

  /** Starts sampling every `intervalMs` (the timeline's bucket). */
  constructor(
    private readonly clock: Clock,
    intervalMs: number,
  ) {
    this.#overall = monitorEventLoopDelay({ resolution: 5 });
    this.#interval = monitorEventLoopDelay({ resolution: 5 });
    this.#overall.enable();
    this.#interval.enable();
    this.#elu = performance.eventLoopUtilization();
    this.#timer = setInterval(() => {
      this.#sample();
    }, intervalMs);
    this.#timer.unref();
  }

  #sample(): void {
    // The histogram's max is NaN-free: 0 until a delay was measured.
    this.#samples.push([this.clock.now(), this.#interval.max / 1e6]);
    this.#interval.reset();
  }

  /** Stops sampling (again: the same summary). */
  stop(): LoopSummary {
    if (this.#summary) return this.#summary;
    clearInterval(this.#timer);
    this.#sample();
    this.#overall.disable();
    this.#interval.disable();
    const elu = performance.eventLoopUtilization(this.#elu);
    const ms = (ns: number): number => ns / 1e6;
    this.#summary = {
      utilization: elu.utilization,
      delayP50Ms: ms(this.#overall.percentile(50)),
      delayP99Ms: ms(this.#overall.percentile(99)),
      delayMaxMs: ms(this.#overall.max),
      samples: this.#samples,
    };
    return this.#summary;
  }
}
