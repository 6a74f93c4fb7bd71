import { cpus, platform, release, totalmem, arch } from 'node:os';
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
  };
}
