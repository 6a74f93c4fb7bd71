/**
 * A small typed event emitter for the fleet's agents and coordinators. Listeners run synchronously
 * in the order they were added; a listener that throws is skipped over (the work that emitted goes
 * on) and its error is passed to `onListenerError`.
 */
export class FleetEvents<M extends object> {
  readonly #listeners = new Map<keyof M, Set<(payload: never) => void>>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => undefined) {
    this.#onListenerError = onListenerError;
  }

  /** Adds a listener of `event`; returns the function that removes it. */
  on<E extends keyof M>(event: E, listener: (payload: M[E]) => void): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => void set.delete(listener);
  }

  /** Calls every listener of `event` with `payload`. */
  emit<E extends keyof M>(event: E, payload: M[E]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as (payload: M[E]) => void)(payload);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
