/**
 * One `abort` listener per parent signal, fanned out to any number of short-lived subscribers.
 *
 * A reload makes a deadline-bound provider call per step of every resource, all under the same
 * signal. Adding an event listener per call would put thousands of listeners on one `AbortSignal`
 * (Node warns past ten, and each add scans the list), so {@link onAbort} keeps one listener per
 * signal and a `Set` of callbacks behind it.
 */
const fanouts = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `signal` aborts; returns the function that unsubscribes it. The
 * callback of a signal that is already aborted is not called (check `signal.aborted` first).
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let subscribers = fanouts.get(signal);
  if (subscribers === undefined) {
    const set = new Set<() => void>();
    subscribers = set;
    fanouts.set(signal, set);
    signal.addEventListener(
      'abort',
      () => {
        fanouts.delete(signal);
        for (const subscriber of [...set]) subscriber();
        set.clear();
      },
      { once: true },
    );
  }
  subscribers.add(callback);
  const set = subscribers;
  return () => void set.delete(callback);
}
