/**
 * The abort signal a group of provider calls share until one of them is abandoned (its deadline
 * passed or the reload was aborted): that call's controller is aborted, which tells every call of
 * the group still running to stop, and later calls get a fresh signal.
 *
 * One group is one dispatch: a reload fails as a whole when any step fails, so the steps still
 * running elsewhere are then only work to roll back, and aborting them makes the rollback start
 * sooner. Sharing also spares making an `AbortSignal` per resource (an `EventTarget`, microseconds
 * to make), which a reload of thousands of resources would otherwise pay inside its pause.
 */
export class StepSignal {
  #controller: AbortController | undefined;

  /** The controller the next call runs under (made on first use). */
  current(): AbortController {
    return (this.#controller ??= new AbortController());
  }

  /** Called after `used` was aborted: the next call gets a fresh controller. */
  renew(used: AbortController): void {
    if (this.#controller === used) this.#controller = undefined;
  }
}
