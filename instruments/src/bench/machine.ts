import { arch, cpus, loadavg, platform, release, totalmem } from 'node:os';
import type { MachineInfo } from './results.js';

/** The machine and runtime this process runs on, as BENCHMARKS.md reports them. */
export function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    os: `${platform()} ${release()} (${arch()})`,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    cpus: cores.length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    v8: process.versions.v8,
    code: codeUnderTest(),
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/**
 * Which build of `@baton/core` this process imports: `npm run bench` measures the packages as built
 * (`dist`, plain JavaScript as a host runs it), not the TypeScript source run through tsx, whose
 * transform adds a helper call to every closure it creates.
 */
function codeUnderTest(): string {
  const url = import.meta.resolve('@baton/core');
  return url.includes('/dist/') ? 'packages as built (dist)' : `source (${url.split('/').slice(-2).join('/')})`;
}
