/** A one-line progress bar on a terminal; periodic plain lines otherwise. */
export class Progress {
  readonly #enabled: boolean;
  #timer: ReturnType<typeof setInterval> | undefined;
  #last = '';

  constructor(enabled: boolean) {
    this.#enabled = enabled;
  }

  /** Redraws every 100 ms with what `line(fraction)` says. */
  start(durationMs: number, startedAt: number, line: () => string): void {
    if (!this.#enabled) return;
    this.#timer = setInterval(() => {
      const fraction = Math.min(1, (performance.now() - startedAt) / durationMs);
      const width = 28;
      const done = Math.round(fraction * width);
      this.#last = `\r  [${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${line()}`;
      process.stdout.write(this.#last.padEnd(110));
    }, 100);
  }

  /** Prints a line above the bar. */
  say(text: string): void {
    if (this.#enabled && this.#last) process.stdout.write('\r' + ' '.repeat(110) + '\r');
    console.log(text);
    if (this.#enabled && this.#last) process.stdout.write(this.#last.padEnd(110));
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#enabled && this.#last) process.stdout.write('\r' + ' '.repeat(110) + '\r');
  }
}
