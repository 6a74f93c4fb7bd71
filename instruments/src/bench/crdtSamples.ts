import type { CrdtPrimitive, GCounterOp, LwwRegisterOp, OrSetOp, PnCounterOp } from '@baton/kinds';

/** A small deterministic pseudo-random generator (mulberry32), so every run checks the same states. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REPLICAS = ['r0', 'r1', 'r2'] as const;

/** Values of every primitive type, from small domains so that values collide (re-adds, ties). */
function primitive(random: () => number): CrdtPrimitive {
  const pick = Math.floor(random() * 6);
  const n = Math.floor(random() * 5);
  switch (pick) {
    case 0:
      return ['a', 'b', 'c', '', 'ünï'][n]!;
    case 1:
      return n - 2;
    case 2:
      return [0.5, -0, 1e300, 2.5, -7][n]!;
    case 3:
      return BigInt(n - 2) * (n === 4 ? 2n ** 70n : 1n);
    case 4:
      return n % 2 === 0;
    default:
      return new Uint8Array(n).fill(n);
  }
}

/** The generated operations of one reference kind, by replica. */
export interface OpGenerators {
  readonly gCounter: (replica: string, random: () => number) => GCounterOp;
  readonly pnCounter: (replica: string, random: () => number) => PnCounterOp;
  readonly lwwRegister: (replica: string, random: () => number) => LwwRegisterOp;
  readonly orSet: (replica: string, random: () => number) => OrSetOp;
}

/** Operation generators of the reference CRDT kinds of @baton/kinds (ops name the replica applying them). */
export const opGenerators: OpGenerators = {
  gCounter: (replica, random) => ({ replica, by: 1 + Math.floor(random() * 1000) }),
  pnCounter: (replica, random) => {
    const by = 1 + Math.floor(random() * 1000);
    return { replica, by: random() < 0.4 ? -by : by };
  },
  lwwRegister: (replica, random) => ({ replica, value: primitive(random), timestamp: Math.floor(random() * 20) }),
  orSet: (replica, random) =>
    random() < 0.65 ? { replica, add: primitive(random) } : { replica, remove: primitive(random) },
};

/**
 * `count` operation sequences of 1 to `maxOps` operations each, spread over three replicas, from
 * `generate`: the generated samples a host (or @baton/testing) hands a compat check.
 */
export function generatedSamples<Op>(
  generate: (replica: string, random: () => number) => Op,
  count: number,
  maxOps: number,
  seed: number,
): Op[][] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => {
    const length = 1 + Math.floor(random() * maxOps);
    return Array.from({ length }, () => generate(REPLICAS[Math.floor(random() * REPLICAS.length)]!, random));
  });
}
