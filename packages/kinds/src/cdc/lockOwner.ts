import { randomBytes } from 'node:crypto';
import { readFile, readlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { errnoCode } from '@baton/core/durable';

/**
 * Who holds a sink lock: written into the lock file, read back by a process that finds the lock
 * taken. `token` is random per acquisition (it names that one holding); `boot` and `start` (Linux:
 * the boot id and the process start time from `/proc/<pid>/stat`) tell a live holder from a process
 * that merely got the same pid later.
 */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** When the lock was taken (ISO 8601). */
  readonly since: string;
  readonly token: string;
  readonly boot?: string;
  readonly start?: string;
  /** The pid namespace (Linux: `/proc/self/ns/pid`), so a holder in another container is not judged by a pid of ours. */
  readonly ns?: string;
}

/** What is known of a lock holder: running, gone, or on another host (cannot be checked from here). */
export type OwnerState = 'alive' | 'dead' | 'unknown';

const readText = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);

/** Field 3 (state) and field 22 (start time in clock ticks since boot) of `/proc/<pid>/stat`. */
async function procStat(pid: number | 'self'): Promise<{ state: string; start: string } | undefined> {
  const text = await readText(`/proc/${pid}/stat`);
  if (text === undefined) return undefined;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // the name may contain spaces and ')'
  const [state, start] = [fields[0], fields[19]];
  return state && start && /^\d+$/.test(start) ? { state, start } : undefined;
}

type Identity = Pick<LockOwner, 'boot' | 'start' | 'ns'>;
let self: Promise<Identity> | undefined;

/** This process's boot id, start time and pid namespace (cached; absent where `/proc` is not available). */
function selfIdentity(): Promise<Identity> {
  self ??= (async () => {
    const boot = (await readText('/proc/sys/kernel/random/boot_id'))?.trim();
    const start = (await procStat('self'))?.start;
    const ns = await readlink('/proc/self/ns/pid').catch(() => undefined);
    return { ...(boot ? { boot } : {}), ...(start ? { start } : {}), ...(ns ? { ns } : {}) };
  })();
  return self;
}

/** A fresh owner record for this process (a new random token each time). */
export async function newLockOwner(): Promise<LockOwner> {
  return {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    token: randomBytes(16).toString('hex'),
    ...(await selfIdentity()),
  };
}

/**
 * Whether the holder `owner` still runs. Another host, or another pid namespace on this one (a
 * container sharing the directory): `unknown`. Same host: `dead` when the machine rebooted since
 * (boot id), when no process has the pid, when that process is a zombie, or when its start time
 * differs (the pid was reused); otherwise `alive` (a pid that exists but belongs to another user
 * counts as alive). Without `/proc` only the pid is checked.
 */
export async function ownerState(owner: LockOwner): Promise<OwnerState> {
  if (owner.host !== hostname()) return 'unknown';
  const mine = await selfIdentity();
  if (owner.boot !== undefined && mine.boot !== undefined && owner.boot !== mine.boot) return 'dead';
  if (owner.ns !== undefined && mine.ns !== undefined && owner.ns !== mine.ns) return 'unknown';
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (errnoCode(error) !== 'EPERM') return 'dead';
  }
  if (owner.start === undefined || mine.start === undefined) return 'alive';
  const stat = await procStat(owner.pid);
  if (stat === undefined) return 'dead'; // exited between the two checks
  if (stat.state === 'Z' || stat.state === 'X') return 'dead';
  return stat.start === owner.start ? 'alive' : 'dead';
}

const MAX_RECORD_BYTES = 1024;
const optionalText = (value: unknown): boolean =>
  value === undefined || (typeof value === 'string' && value.length <= 128);

/** Serialises an owner record (JSON, one line). */
export function encodeLockOwner(owner: LockOwner): string {
  return `${JSON.stringify(owner)}\n`;
}

/** Parses an owner record; undefined when the text is not one (too long, not JSON, wrong fields). */
export function decodeLockOwner(text: string): LockOwner | undefined {
  if (text.length > MAX_RECORD_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = value as Partial<Record<keyof LockOwner, unknown>> | null;
  if (typeof o !== 'object' || o === null) return undefined;
  const valid =
    Number.isSafeInteger(o.pid) &&
    (o.pid as number) > 0 &&
    typeof o.host === 'string' &&
    o.host.length <= 255 &&
    typeof o.since === 'string' &&
    o.since.length <= 64 &&
    typeof o.token === 'string' &&
    /^[0-9a-f]{32}$/.test(o.token) &&
    optionalText(o.boot) &&
    optionalText(o.start) &&
    optionalText(o.ns);
  return valid ? (o as LockOwner) : undefined;
}

/** `pid 123 on host db-1 since 2026-…`: how an error names a holder. */
export function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid} on host ${owner.host} since ${owner.since}`;
}
