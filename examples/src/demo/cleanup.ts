/**
 * Steps that undo what a run started, run in reverse order of `defer`, each at most once: called
 * early on the normal path (in the order the run needs), the rest on failure or Ctrl-C. A step that
 * fails does not stop the others; its error is kept.
 */
export class Cleanup {
  readonly errors: string[] = [];
  readonly #steps: { readonly name: string; run: (() => Promise<unknown>) | undefined }[] = [];

  /** Adds a step; returns a function that runs it now (once). */
  defer(name: string, step: () => Promise<unknown>): () => Promise<void> {
    const entry = { name, run: step as (() => Promise<unknown>) | undefined };
    this.#steps.push(entry);
    return async () => {
      const run = entry.run;
      entry.run = undefined;
      if (run) await run();
    };
  }

  /** Runs every step not run yet, last added first; errors are collected, not thrown. */
  async runAll(): Promise<void> {
    for (const entry of [...this.#steps].reverse()) {
      const run = entry.run;
      entry.run = undefined;
      if (!run) continue;
      try {
        await run();
      } catch (error) {
        this.errors.push(`${entry.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
